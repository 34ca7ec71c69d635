import * as path from 'path';
import {
  ArgoCd, BuildJob, BuildsNamespace, CertManager, ClusterProfiles, DigitalOcean, ImageTags, IngressController, Monitoring, NovahostApp,
  Platform, runSynth, SharedPostgres, SharedRedis,
} from './lib';
import { INSTALLATION } from './installation';

/** Set to true to run the builds smoke test once: a tiny image pushed, one artifact uploaded. */
const SMOKE_TEST_BUILD = false;

/** Every app image, pinned, in one file that people and image automation edit. */
const images = ImageTags.load(path.join(__dirname, 'images', 'images.yaml'));
/** Where builds push: this installation's DigitalOcean Container Registry. */
const DOCR = `registry.digitalocean.com/${INSTALLATION.cluster.containerRegistry}`;

// This installation, declared: domain, GitOps source, shared services, apps. Its own settings
// (domain, e-mail, repository, region, nodes) are data in installation.ts (`npm run init`).
export const platform = new Platform({
  domain: INSTALLATION.domain,
  acmeEmail: INSTALLATION.acmeEmail,
  git: INSTALLATION.git,
  // DigitalOcean Kubernetes (reference: three 2 vCPU / 4 GB nodes), retained block storage, one load
  // balancer that sends PROXY headers (apps see client addresses) and answers as ingress.<domain>.
  cluster: ClusterProfiles.doks({
    region: INSTALLATION.cluster.region,
    pools: [{ name: 'default', ...INSTALLATION.cluster.pool }],
    loadBalancer: { name: 'novahost-ingress', hostname: `ingress.${INSTALLATION.domain}` },
    // Builds push to DigitalOcean Container Registry (registry.digitalocean.com/<containerRegistry>).
    containerRegistry: INSTALLATION.cluster.containerRegistry,
  }),
});

new ArgoCd(platform, 'argocd');
const traefik = new IngressController(platform, 'traefik');
const certManager = new CertManager(platform, 'cert-manager');
// WAL archived every 5 minutes, daily base backups, nightly dumps and a restore drill; everything
// also encrypted to a Spaces bucket in the cluster's region, for the way back from a lost cluster.
const postgres = new SharedPostgres(platform, 'postgres', {
  metrics: true,
  backup: { s3: { endpoint: DigitalOcean.spacesEndpoint(INSTALLATION.cluster.region), bucket: INSTALLATION.cluster.backupBucket, credentialsSecret: 'postgres-backup-s3' } },
});
// Hourly snapshots (the newest 24 kept), encrypted to the same Spaces bucket under shared/redis,
// with PostgreSQL's Spaces key (one key for the bucket) and a passphrase of its own.
const redis = new SharedRedis(platform, 'redis', {
  metrics: true,
  backup: { s3: { endpoint: DigitalOcean.spacesEndpoint(INSTALLATION.cluster.region), bucket: INSTALLATION.cluster.backupBucket, prefix: 'shared/redis', credentialsSecret: 'postgres-backup-s3' } },
});
// Prometheus, Grafana (grafana.<domain>), Loki and Alloy; node-level collectors need a
// privileged namespace, so they get their own. Grafana's own state (users, UI-made dashboards,
// annotations, silences) is a database of the shared PostgreSQL, backed up with the rest.
new Monitoring(platform, 'monitoring', { ingressController: traefik, certManager, grafana: { database: { server: postgres } } });

const novahost = new NovahostApp(platform, 'novahost', {
  database: { server: postgres, extensions: ['timescaledb'] },
  // Cache indexes never change once given: data stays where it was written.
  cache: { server: redis, index: 0 },
  services: {
    'web': { image: images.image('novahost-web'), port: 3000, route: { path: '/' } },
    'api-server': {
      image: images.image('novahost-api-server'),
      port: 9000,
      route: { path: '/api' },
      readiness: { httpPath: '/api/health' },
      liveness: { httpPath: '/api/health' },
      database: true,
      cache: true,
      internetEgress: true,
    },
    'build-server': {
      image: images.image('novahost-build-server'),
      port: 9001,
      readiness: { httpPath: '/health' },
      liveness: { httpPath: '/health' },
      database: true,
      cache: true,
      apiAccess: true,
    },
    'reverse-proxy': {
      image: images.image('novahost-reverse-proxy'),
      port: 8080,
      readiness: { tcp: true },
      liveness: { tcp: true },
      resources: { memoryRequest: '64Mi', memoryLimit: '128Mi' },
    },
  },
});

// Builds run as Jobs in their own namespace; only Novahost's build-server may start them.
const builds = new BuildsNamespace(platform, 'builds', {
  builderClients: [novahost.service('build-server')],
  maxConcurrentBuilds: 1, // 4 GB nodes: a build's share must fit one node beside the rest
});
BuildJob.template(builds, 'default', { cache: { registry: `${DOCR}/build-cache:buildcache` } });
if (SMOKE_TEST_BUILD) {
  new BuildJob(builds, 'smoke-test', {
    source: { gitUrl: INSTALLATION.git.repoURL, ref: INSTALLATION.git.revision, subdirectory: 'examples/smoke-build' },
    destination: { image: `${DOCR}/smoke-test:0.1.0` },
    artifacts: { endpoint: DigitalOcean.spacesEndpoint(INSTALLATION.cluster.region), bucket: 'novahost-artifacts', prefix: 'smoke/', credentialsSecret: 'artifact-store', path: '/artifacts' },
  });
}

new NovahostApp(platform, 'excalidraw', {
  services: {
    web: {
      // Excalidraw publishes only moving tags, so images.yaml pins its digest.
      image: images.image('excalidraw-web'),
      port: 80,
      route: { path: '/' },
      runAsUser: 101,
      writablePaths: ['/tmp', '/var/cache/nginx', '/var/run'],
      resources: { cpuRequest: '10m', memoryRequest: '32Mi', memoryLimit: '64Mi' }, // static files
    },
  },
});

// `npm run synth` and `npx cdk8s synth` run this file through scripts/synth.ts, which reports every
// problem at once; tests import it to inspect the same installation.
if (require.main === module) runSynth(__filename);
