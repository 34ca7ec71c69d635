import {
  ArgoCd, CertManager, IngressController, NovahostApp, Platform, SyncWave,
} from './lib';

// This installation, declared: domain, GitOps source, shared services, apps.
export const platform = new Platform({
  domain: 'shakalabs.com',
  acmeEmail: 'ops@shakalabs.com',
  git: { repoURL: 'https://github.com/shakalabs/novahost-infra.git', revision: 'main' },
});

new ArgoCd(platform, 'argocd');
new IngressController(platform, 'traefik');
new CertManager(platform, 'cert-manager');
platform.namespace('builds', { wave: SyncWave.BUILDS });

new NovahostApp(platform, 'novahost', {
  services: {
    'web': { image: 'ghcr.io/shakalabs/novahost-web:0.1.0', port: 3000, route: { path: '/' } },
    'api-server': { image: 'ghcr.io/shakalabs/novahost-api-server:0.1.0', port: 9000, route: { path: '/api' }, readiness: { httpPath: '/api/health' }, liveness: { httpPath: '/api/health' } },
    'build-server': { image: 'ghcr.io/shakalabs/novahost-build-server:0.1.0', port: 9001, readiness: { httpPath: '/health' }, liveness: { httpPath: '/health' } },
    'reverse-proxy': { image: 'ghcr.io/shakalabs/novahost-reverse-proxy:0.1.0', port: 8080, readiness: { tcp: true }, liveness: { tcp: true } },
  },
});

new NovahostApp(platform, 'excalidraw', {
  services: {
    web: {
      // Excalidraw publishes only moving tags; pin the digest (update with
      // `docker buildx imagetools inspect excalidraw/excalidraw:latest`).
      image: 'excalidraw/excalidraw@sha256:648edf36c55793fdeed475e09a86fb6c16a68783dc442d37d5070adfc0362a8f',
      port: 80,
      route: { path: '/' },
      runAsUser: 101,
      writablePaths: ['/tmp', '/var/cache/nginx', '/var/run'],
    },
  },
});

// `npx cdk8s synth` runs this file; tests import it to inspect the same installation.
if (require.main === module) platform.synth();
