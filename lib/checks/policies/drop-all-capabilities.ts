// Policy: every container drops ALL capabilities and adds none.
import { containerPolicy } from './workloads';

/**
 * Every container drops ALL capabilities and adds none. Decision: even NET_BIND_SERVICE (which
 * restricted Pod Security would allow) is not added by default: a pod that must bind a port below
 * 1024 sets the namespaced sysctl net.ipv4.ip_unprivileged_port_start=0 instead (excalidraw does),
 * or gets an explicit exception in exceptions.ts.
 */
export const dropAllCapabilities = containerPolicy(
  'drop-all-capabilities',
  'Every container drops ALL Linux capabilities and adds none.',
  (c) => {
    const caps = c.container.securityContext?.capabilities ?? {};
    const drop: string[] = caps.drop ?? [];
    const add: string[] = caps.add ?? [];
    if (!drop.includes('ALL')) return `${c.path}.securityContext.capabilities.drop is ${JSON.stringify(drop)}; drop ["ALL"]`;
    if (add.length) return `${c.path}.securityContext.capabilities.add is ${JSON.stringify(add)}; add none (for ports below 1024 use the sysctl net.ipv4.ip_unprivileged_port_start)`;
    return undefined;
  },
);
