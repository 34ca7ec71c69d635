import { platform } from '../examples/private-cloud-argocd';
import { ALL_POLICIES, runPolicies } from '../lib/checks/policies';
import { validateWithMinimal } from './support/minimal-schemas';
import { findObject, synthesize } from './support/platform';

/** The profile's constructs under the other engine (examples/private-cloud-argocd.ts): Argo CD, with Traefik from its chart. */
let rendered: Record<string, any[]> | undefined;
function profile(): Record<string, any[]> {
  rendered ??= synthesize(platform);
  return rendered;
}

describe('private-cloud constructs under Argo CD', () => {
  it('installs Longhorn and Authelia as Helm Applications in order, after the operators', () => {
    const apps = profile().argocd.filter((o) => o.kind === 'Application');
    const wave = (name: string) => Number(findObject(apps, 'Application', name).metadata.annotations['argocd.argoproj.io/sync-wave']);
    expect(findObject(apps, 'Application', 'longhorn-helm').spec.source).toMatchObject({ chart: 'longhorn', targetRevision: '1.12.1' });
    expect(findObject(apps, 'Application', 'authelia-helm').spec.source).toMatchObject({ chart: 'authelia', targetRevision: '0.11.5' });
    expect(wave('longhorn-helm')).toBeLessThan(wave('longhorn-system'));
    expect(wave('shared')).toBeLessThan(wave('wiki'));
    expect(wave('authelia-helm')).toBeLessThan(wave('wiki'));
    // The Retain StorageClass is a cluster kind the platform project must admit.
    expect(findObject(profile().argocd, 'AppProject', 'platform').spec.clusterResourceWhitelist).toContainEqual({ group: 'storage.k8s.io', kind: 'StorageClass' });
  });

  it('validates against the schemas and passes the policies, but for the chart-rendered Authelia Service', () => {
    const objects = Object.values(profile()).flat();
    expect(validateWithMinimal(objects)).toEqual([]);
    expect(runPolicies(objects, [], ALL_POLICIES).map((f) => `${f.policy} ${f.namespace}/${f.kind}/${f.name}`)).toEqual(['ingress-backends auth/Ingress/auth-example-com']);
  });
});
