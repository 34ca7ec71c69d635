/**
 * The second installation: a single-node private cloud on k3s (Hetzner cx22, 2 vCPU / 4 GiB, with a
 * 50 GB block volume). Flux instead of Argo CD, k3s's bundled Traefik, Longhorn on the volume, an
 * in-cluster registry, Authelia for single sign-on, one PostgreSQL and one Redis shared by
 * everything, and two example apps: a Go service and a FastAPI service, each with its own database.
 *
 * Synthesize with `CDK8S_OUTDIR=<folder> node -r ./scripts/swc-register.js examples/private-cloud.ts`
 * (it refuses to write without CDK8S_OUTDIR, so it never replaces the reference installation's dist/).
 * The node's files (cloud-init, registries.yaml) come from examples/private-cloud-node.ts.
 */
import * as path from 'path';
import {
  Authelia, CertManager, DatabaseEnvStyles, DEFAULT_CAPACITY, Flux, ImageTags, IngressController, Longhorn, NovahostApp, Platform, PolicyException, Registry, SharedPostgres, SharedRedis, TraefikInstalls, withFluxControllers, withReserved,
} from '../lib';

/** The images of the apps; Flux rewrites their tags here (see docs/image-automation.md). */
export const IMAGE_FILE = 'examples/private-cloud.images.yaml';
const images = ImageTags.load(path.join(__dirname, '..', IMAGE_FILE));

export const platform = new Platform({
  domain: 'novahost.example',
  acmeEmail: 'ops@novahost.example',
  // ssh: image automation pushes tag bumps with a deploy key that may write.
  git: { repoURL: 'ssh://git@github.com/shakalabs/novahost-infra.git', revision: 'main', path: 'clusters/private-cloud' },
  // k3s, the Flux controllers and k3s's own Traefik run outside dist/; the node keeps room for them.
  capacity: withReserved(withFluxControllers(DEFAULT_CAPACITY, { imageAutomation: true }), { cpu: '50m', memory: '64Mi' }),
});

new Flux(platform, 'flux', {
  gitSecret: 'platform-git',
  imageAutomation: {
    tags: images,
    file: IMAGE_FILE,
    images: {
      'go-api': { semverRange: '>=0.1.0 <1.0.0', pullSecret: 'registry-pull' },
      'fastapi': { semverRange: '>=0.1.0 <1.0.0', pullSecret: 'registry-pull' },
    },
  },
});
// k3s keeps its own Traefik (no --disable=traefik); the platform configures it.
new IngressController(platform, 'traefik', { install: TraefikInstalls.K3S_BUNDLED });
new CertManager(platform, 'cert-manager');
// k3s runs with --disable=local-storage, so Longhorn's class is the only default. Every volume
// (PostgreSQL, Redis, the registry) is also backed up off the VPS, daily, 14 kept: a lost disk is
// then a restore, not the end. Hetzner Object Storage here; any S3-compatible store works.
const longhorn = new Longhorn(platform, 'longhorn', {
  defaultClass: true,
  backupTarget: { url: 's3://private-cloud-backups@fsn1/', credentialSecret: 'longhorn-backup-s3', endpoint: 'https://fsn1.your-objectstorage.com' },
});

const postgres = new SharedPostgres(platform, 'postgres', {
  storage: { size: '10Gi', storageClassName: longhorn.retainClass },
  resources: { cpuRequest: '100m', memoryRequest: '384Mi', memoryLimit: '768Mi' },
  settings: { sharedBuffers: '192MB', effectiveCacheSize: '512MB' },
  backup: { storage: { size: '5Gi', storageClassName: longhorn.retainClass } },
});
const redis = new SharedRedis(platform, 'redis', { storageClass: longhorn.retainClass, maxmemory: '128mb', resources: { memoryRequest: '128Mi', memoryLimit: '256Mi' } });
const registry = new Registry(platform, 'registry', { storageClassName: longhorn.retainClass, storageSize: '15Gi' });

// Sessions in the shared Redis (index 0), state in a database of the shared PostgreSQL: the same
// handles the apps below get.
new Authelia(platform, 'authelia', { database: postgres, cache: { server: redis, index: 0 } });

// A Go service: migrations are embedded in the binary and run before it listens (see docs/private-cloud.md).
new NovahostApp(platform, 'go-api', {
  database: { server: postgres, envStyle: DatabaseEnvStyles.DISCRETE },
  services: {
    api: {
      image: images.image('go-api'),
      port: 8080,
      route: { path: '/' },
      readiness: { httpPath: '/healthz' },
      liveness: { httpPath: '/healthz' },
      env: { MIGRATE_ON_START: 'true' },
      database: true,
      resources: { cpuRequest: '25m', memoryRequest: '32Mi', memoryLimit: '128Mi' },
    },
  },
});

// A FastAPI service behind single sign-on: Alembic migrates, then uvicorn starts.
new NovahostApp(platform, 'fastapi', {
  database: { server: postgres, envStyle: DatabaseEnvStyles.DISCRETE },
  cache: { server: redis, index: 1 },
  services: {
    web: {
      image: images.image('fastapi'),
      port: 8000,
      command: ['sh', '-c', 'alembic upgrade head && exec uvicorn app.main:app --host 0.0.0.0 --port 8000'],
      route: { path: '/', sso: true },
      readiness: { httpPath: '/health' },
      liveness: { httpPath: '/health' },
      database: true,
      cache: true,
      resources: { cpuRequest: '50m', memoryRequest: '96Mi', memoryLimit: '256Mi' },
    },
  },
});

/** The node pulls the apps' images from the registry as this user (registries.yaml). */
export const NODE_PULL_USER = 'k3s-node';
export { registry };

/**
 * Reviewed deviations of this installation from the policy suite. Authelia's Service is rendered by
 * its chart (the HelmRelease), so the policy that checks Ingress backends against the Services in
 * dist/ cannot see it; the route's port is the chart's `service.port` value, set by lib/sso.ts.
 */
export const POLICY_EXCEPTIONS: readonly PolicyException[] = [
  {
    policy: 'ingress-backends',
    namespace: 'auth',
    kind: 'Ingress',
    name: 'auth-novahost-example',
    reason: 'the backend Service "authelia" (port 9091) is rendered by the authelia chart from the HelmRelease values, not in dist/',
  },
];

if (require.main === module) {
  const reference = path.resolve(__dirname, '..', 'dist');
  if (!process.env.CDK8S_OUTDIR || path.resolve(process.env.CDK8S_OUTDIR) === reference) {
    console.error(`examples/private-cloud.ts: set CDK8S_OUTDIR to the folder to write, other than the reference installation's ${path.relative(process.cwd(), reference) || 'dist'}/ (e.g. CDK8S_OUTDIR=clusters/private-cloud)`);
    process.exit(1);
  }
  platform.synth(); // checks that exactly one GitOps engine is declared before it writes
}
