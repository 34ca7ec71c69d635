// Policy: dist/ holds no Secret object.
import { finding, Policy } from './types';

/**
 * dist/ is a public-to-the-team Git tree: a Secret with values in it is a leaked secret.
 * Secrets come from ExternalSecrets, sealed secrets or are created by hand; dist/ only references them.
 */
export const noSecretObjects: Policy = {
  id: 'no-secret-objects',
  description: 'No Secret in dist/ carries data or stringData.',
  check(objects) {
    return objects
      .filter((o) => o.kind === 'Secret' && (Object.keys(o.data ?? {}).length || Object.keys(o.stringData ?? {}).length))
      .map((o) => finding(this.id, o, `carries values (${[...Object.keys(o.data ?? {}), ...Object.keys(o.stringData ?? {})].sort().join(', ')}); keep secret values out of Git (ExternalSecret or a hand-made Secret, referenced by secretKeyRef)`));
  },
};
