// Policy: every container requests CPU and memory and has a memory limit.
import { containerPolicy } from './workloads';

/**
 * Requests let the scheduler (and the capacity check) account for the pod; a memory limit keeps a
 * leak from taking the single node down with it. A CPU limit is not required: it only throttles.
 */
export const resources = containerPolicy(
  'resources',
  'Every container requests CPU and memory and sets a memory limit.',
  (c) => {
    const r = c.container.resources ?? {};
    const missing = [
      r.requests?.cpu === undefined ? 'requests.cpu' : undefined,
      r.requests?.memory === undefined ? 'requests.memory' : undefined,
      r.limits?.memory === undefined ? 'limits.memory' : undefined,
    ].filter(Boolean);
    return missing.length ? `${c.path}.resources has no ${missing.join(', ')}; set them` : undefined;
  },
);
