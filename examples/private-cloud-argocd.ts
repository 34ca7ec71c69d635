/**
 * The private-cloud profile under the other GitOps engine: Argo CD, with Traefik from its chart
 * instead of k3s's bundled one. The test `__tests__/private-cloud-argocd.test.ts` checks it; as
 * an entry point, so that tools which only run entry points (scripts/chart-facts.ts) see the Helm
 * values this variant passes.
 *
 * Synthesize with `CDK8S_OUTDIR=<folder> node -r ./scripts/swc-register.js examples/private-cloud-argocd.ts`
 * (it refuses to write without CDK8S_OUTDIR, so it never replaces the reference installation's dist/).
 */
import {
  ArgoCd, assertGitOpsEngine, Authelia, CertManager, IngressController, Longhorn, NovahostApp, Platform, Registry, SharedPostgres, SharedRedis,
} from '../lib';

export const platform = new Platform({
  domain: 'example.com',
  acmeEmail: 'ops@example.com',
  git: { repoURL: 'https://github.com/example/infra.git' },
});

new ArgoCd(platform, 'argocd');
new IngressController(platform, 'traefik');
new CertManager(platform, 'cert-manager');
const longhorn = new Longhorn(platform, 'longhorn');
const postgres = new SharedPostgres(platform, 'postgres', { storage: { storageClassName: longhorn.retainClass } });
const redis = new SharedRedis(platform, 'redis', { storageClass: longhorn.retainClass });
new Registry(platform, 'registry', { storageClassName: longhorn.retainClass });
new Authelia(platform, 'authelia', { database: postgres, cache: { server: redis, index: 0 } });
new NovahostApp(platform, 'wiki', { services: { web: { image: 'registry.example.com/wiki:1.0.0', port: 3000, route: { path: '/', sso: true } } } });

if (require.main === module) {
  if (!process.env.CDK8S_OUTDIR) {
    console.error('examples/private-cloud-argocd.ts: set CDK8S_OUTDIR to the folder to write (it must not be the reference installation\'s dist/)');
    process.exit(1);
  }
  assertGitOpsEngine(platform);
  platform.synth();
}
