// Policy: every pod uses the RuntimeDefault seccomp profile.
import { containerPolicy } from './workloads';

const ALLOWED = ['RuntimeDefault', 'Localhost'];

/** Without a seccomp profile a container can call every syscall of the node's kernel. */
export const seccompProfile = containerPolicy(
  'seccomp-profile',
  'Every container runs under seccomp RuntimeDefault or Localhost (its own profile or the pod\'s).',
  (c, t) => {
    const type = c.container.securityContext?.seccompProfile?.type ?? t.spec.securityContext?.seccompProfile?.type;
    if (ALLOWED.includes(type)) return undefined;
    return `${c.path}: seccompProfile.type is ${type === undefined ? 'unset' : JSON.stringify(type)} (container, else pod); set ${t.path}.securityContext.seccompProfile.type: RuntimeDefault`;
  },
);
