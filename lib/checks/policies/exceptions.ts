// Deliberate deviations from a policy that the constructs themselves need (rootless BuildKit);
// an installation's own exceptions live beside its main file.
import { PolicyException } from './types';

/**
 * Deliberate deviations from a policy, one object each, with the reason a reviewer agreed to. An exception that matches no finding is reported as stale, so this list
 * shrinks when the object is fixed or removed.
 *
 * Do not add an entry to silence a real problem: fix the construct that renders the object.
 */
const ROOTLESS_BUILDKIT = 'rootless BuildKit (the buildkit container only; clone and upload steps stay restricted): '
  + 'rootlesskit creates user and mount namespaces, which the runtime default seccomp profile blocks, '
  + 'and the setuid newuidmap/newgidmap need SETUID/SETGID and privilege escalation to map the subordinate '
  + 'uid range. It still runs as uid 1000, never privileged, on a read-only root filesystem, in the '
  + 'privileged-level, internet-only "builds" namespace that only the build-server may create Jobs in.';

/** A Job created from the build template, filled with the placeholders' examples (see the policy test). */
const TEMPLATE_BUILD_JOB = { namespace: 'builds', kind: 'Job', name: 'build-20261123-1f2e3d' } as const;

/** The reason for an exception on an object that selects pods a Helm chart renders. */
export const CHART_PODS = 'selects pods that a Helm chart renders (an Argo CD Application in dist/argocd), so dist/ holds no pod '
  + "template or Service for the policy to find; the labels are the chart's own (see lib/services/monitoring).";

/**
 * The exceptions every installation with a BuildsNamespace needs: rootless BuildKit in Jobs made
 * from the build template. An installation passes them with its own (see policy-exceptions.ts).
 */
export const BUILDKIT_EXCEPTIONS: readonly PolicyException[] = [
  { policy: 'no-privilege-escalation', ...TEMPLATE_BUILD_JOB, reason: ROOTLESS_BUILDKIT },
  { policy: 'drop-all-capabilities', ...TEMPLATE_BUILD_JOB, reason: ROOTLESS_BUILDKIT },
  { policy: 'seccomp-profile', ...TEMPLATE_BUILD_JOB, reason: ROOTLESS_BUILDKIT },
];
