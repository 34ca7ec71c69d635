// Policy: allowPrivilegeEscalation is false in every container.
import { containerPolicy } from './workloads';

/** Without it, a setuid binary in the image can gain privileges the container did not start with. */
export const noPrivilegeEscalation = containerPolicy(
  'no-privilege-escalation',
  'Every container sets securityContext.allowPrivilegeEscalation: false explicitly (the default is true).',
  (c) => (c.container.securityContext?.allowPrivilegeEscalation === false
    ? undefined
    : `${c.path}.securityContext.allowPrivilegeEscalation is ${fmt(c.container.securityContext?.allowPrivilegeEscalation)}; set it to false`),
);

function fmt(v: unknown): string {
  return v === undefined ? 'unset' : JSON.stringify(v);
}
