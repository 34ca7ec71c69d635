// Policy: every pod runs as a non-root user.
import { containerPolicy } from './workloads';

/** Root in a container is root on the node after any escape; the image's USER is not trusted. */
export const runAsNonRoot = containerPolicy(
  'run-as-non-root',
  'Every container runs with runAsNonRoot: true (its own or the pod\'s) and never as runAsUser 0.',
  (c, t) => {
    const sc = c.container.securityContext ?? {};
    const pod = t.spec.securityContext ?? {};
    const nonRoot = sc.runAsNonRoot ?? pod.runAsNonRoot;
    const user = sc.runAsUser ?? pod.runAsUser;
    if (user === 0) return `${c.path} runs as runAsUser 0 (root); use a non-zero uid`;
    if (nonRoot !== true) return `${c.path}: runAsNonRoot is not true in the container's or the pod's securityContext; set ${t.path}.securityContext.runAsNonRoot: true`;
    return undefined;
  },
);
