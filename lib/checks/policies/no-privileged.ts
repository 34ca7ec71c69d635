// Policy: no privileged container.
import { containerPolicy } from './workloads';

/** A privileged container is root on the node: it sees every device and can leave its sandbox. */
export const noPrivileged = containerPolicy(
  'no-privileged',
  'Containers (init containers too) never run privileged.',
  (c) => (c.container.securityContext?.privileged === true ? `${c.path}.securityContext.privileged is true; remove it (restricted Pod Security forbids it)` : undefined),
);
