// Every exported construct checks its props at run time (lib/core/prop-schema.ts): synthesis does
// not type-check, so these inputs are what a user's main.ts can really contain.
import {
  ArgoCd, Authelia, BuildJob, BuildsNamespace, CertManager, ClusterProfiles, ExternalSecrets, Flux, IngressController, Longhorn,
  Monitoring, NovahostApp, Platform, Registry, SharedPostgres, SharedRedis,
} from '../lib';
import { cronProblem } from '../lib/core/cron';
import { PROBLEM_LINE, problemsOf, routedPlatform, testPlatform } from './support/platform';

const BUILD = {
  source: { gitUrl: 'https://github.com/example/app.git', ref: 'v1.0.0' },
  destination: { image: 'ghcr.io/example/app:1.0.0', pushSecret: 'registry-push' },
};

type Case = [string, (p: Platform) => unknown, RegExp];
const cases: Case[] = [
  // SharedPostgres
  ['a SharedPostgres number is given where a string is expected', (p) => new SharedPostgres(p, 'postgres', { storage: { size: 20 } } as any), /^shared\/postgres: storage\.size 20 is a number, not a string\. Fix: write it like "20Gi"$/],
  ['a SharedPostgres prop is misspelled', (p) => new SharedPostgres(p, 'postgres', { storag: {} } as any), /^shared\/postgres: storag \{\} is not a known setting\. Fix: did you mean "storage"\?$/],
  ['a SharedPostgres memory limit is a number', (p) => new SharedPostgres(p, 'postgres', { resources: { memoryLimit: 256 } } as any), /^shared\/postgres: resources\.memoryLimit 256 is a number, not a quantity string\. Fix: write it as a string with a unit/],
  ['a SharedPostgres limit is below its request', (p) => new SharedPostgres(p, 'postgres', { resources: { memoryRequest: '2Gi' } }), /^shared\/postgres: resources\.memoryLimit "1Gi" is below the memory request \(2Gi\)\. Fix: make the limit at least the request$/],
  ['a SharedPostgres request is more than a node can give a pod', (p) => new SharedPostgres(p, 'postgres', { resources: { memoryRequest: '64Gi', memoryLimit: '64Gi' } }), /^shared\/postgres: resources\.memoryRequest "64Gi" is more than any node of .* can give one pod \(\d+Mi after what the cluster reserves\), so the pod would never start\. Fix: request at most \d+Mi, or give the cluster profile a larger node$/],
  ['an app service asks more CPU than a node has', (p) => new NovahostApp(p, 'shop', { services: { web: { image: 'ghcr.io/example/web:1.0.0', port: 3000, resources: { cpuRequest: '8', cpuLimit: '8' } } } }), /^shop: services\.web\.resources\.cpuRequest "8" is more than any node of .* can give one pod \(\d+m after what the cluster reserves\)/],
  ['a SharedPostgres backup schedule has a minute out of range', (p) => new SharedPostgres(p, 'postgres', { backup: { schedule: '61 3 * * *' } }), /^shared\/postgres: backup\.schedule "61 3 \* \* \*" has a minute field "61" that has a value outside 0-59\. Fix: write five fields/],
  ['a SharedPostgres backup schedule has six fields', (p) => new SharedPostgres(p, 'postgres', { backup: { schedule: '0 17 3 * * *' } }), /backup\.schedule "0 17 3 \* \* \*" has 6 fields, not the five of a cron schedule/],
  ['a SharedPostgres runAsUser is a string', (p) => new SharedPostgres(p, 'postgres', { runAsUser: '70' } as any), /^shared\/postgres: runAsUser "70" is a string, not a number\. Fix: use the UID/],
  ['a SharedPostgres S3 upload lacks its bucket', (p) => new SharedPostgres(p, 'postgres', { backup: { s3: { endpoint: 'https://s3.example.com', credentialsSecret: 's3' } } } as any), /^shared\/postgres: backup\.s3\.bucket \(unset\) is required\. Fix: name the bucket/],
  ['a SharedPostgres extra setting name is not one', (p) => new SharedPostgres(p, 'postgres', { settings: { extra: { 'work mem': '4MB' } } }), /settings\.extra key "work mem" is not a postgresql\.conf setting name/],
  ['a SharedPostgres maxConnections is out of range', (p) => new SharedPostgres(p, 'postgres', { settings: { maxConnections: 5 } }), /settings\.maxConnections 5 is not a whole number from 10 to 1000/],
  // SharedRedis
  ['a SharedRedis eviction policy is in the wrong case', (p) => new SharedRedis(p, 'redis', { evictionPolicy: 'AllKeys-LRU' } as any), /^shared\/redis: evictionPolicy "AllKeys-LRU" is not one of EvictionPolicies\. Fix: did you mean EvictionPolicies\.ALLKEYS_LRU \("allkeys-lru"\)\?$/],
  ['a SharedRedis persistence is given as a string', (p) => new SharedRedis(p, 'redis', { persistence: 'aof' } as any), /^shared\/redis: persistence "aof" is not one of Persistence\. Fix: did you mean Persistence\.AOF\?$/],
  ['a SharedRedis maxmemory is upper case', (p) => new SharedRedis(p, 'redis', { maxmemory: '256MB' }), /^shared\/redis: maxmemory "256MB" is not a Redis memory size/],
  ['a SharedRedis prop is misspelled', (p) => new SharedRedis(p, 'redis', { keyprefix: false } as any), /^shared\/redis: keyprefix false is not a known setting\. Fix: did you mean "keyPrefix"\?$/],
  ['a SharedRedis databases is fractional', (p) => new SharedRedis(p, 'redis', { databases: 1.5 }), /databases 1\.5 is not a whole number from 1 to 10000/],
  // Builds
  ['a BuildJob ref has shell metacharacters', (p) => new BuildJob(new BuildsNamespace(p, 'builds'), 'app', { ...BUILD, source: { ...BUILD.source, ref: 'main;rm -rf /' } }), /^builds\/app: source\.ref "main;rm -rf \/" is not a Git branch, tag or full 40-character commit id/],
  ['a BuildJob ref has ..', (p) => new BuildJob(new BuildsNamespace(p, 'builds'), 'app', { ...BUILD, source: { ...BUILD.source, ref: 'a..b' } }), /^builds\/app: source\.ref "a\.\.b" is not a Git branch/],
  ['a BuildJob subdirectory climbs out with ..', (p) => new BuildJob(new BuildsNamespace(p, 'builds'), 'app', { ...BUILD, source: { ...BUILD.source, subdirectory: '../etc' } }), /^builds\/app: source\.subdirectory "\.\.\/etc" is not a relative path/],
  ['a BuildJob dockerfile has a backtick', (p) => new BuildJob(new BuildsNamespace(p, 'builds'), 'app', { ...BUILD, source: { ...BUILD.source, dockerfile: 'Dockerfile`id`' } }), /^builds\/app: source\.dockerfile "Dockerfile`id`" is not a relative path/],
  ['a BuildJob has no destination', (p) => new BuildJob(new BuildsNamespace(p, 'builds'), 'app', { source: BUILD.source } as any), /^builds\/app: destination \(unset\) is required\. Fix: give \{ image \}/],
  ['a BuildJob option is misspelled', (p) => new BuildJob(new BuildsNamespace(p, 'builds'), 'app', { ...BUILD, backofflimit: 1 } as any), /^builds\/app: backofflimit 1 is not a known setting\. Fix: did you mean "backoffLimit"\?$/],
  ['a BuildJob cache names both kinds', (p) => new BuildJob(new BuildsNamespace(p, 'builds'), 'app', { ...BUILD, cache: { registry: 'ghcr.io/example/app:cache', pvc: 'cache' } as any }), /^builds\/app: cache .* names both a registry and a pvc/],
  ['a BuildJob timeout is negative', (p) => new BuildJob(new BuildsNamespace(p, 'builds'), 'app', { ...BUILD, timeouts: { activeDeadlineSeconds: -1 } }), /timeouts\.activeDeadlineSeconds -1 is not a whole number from 1 to 604800/],
  ['a BuildJob template subdirectory is absolute', (p) => BuildJob.template(new BuildsNamespace(p, 'builds'), 'default', { pushSecret: 'push', subdirectory: '/etc' }), /^builds\/default: subdirectory "\/etc" is not a relative path/],
  ['a BuildsNamespace count is a string', (p) => new BuildsNamespace(p, 'builds', { maxJobs: '20' } as any), /^builds: maxJobs "20" is a string, not a number/],
  ['a BuildsNamespace peer has no ports', (p) => new BuildsNamespace(p, 'builds', { clusterPeers: [{ name: 'registry', namespace: 'registry', ports: [] }] }), /^builds: clusterPeers\[0\]\.ports \[\] is empty/],
  // Monitoring
  ['a Monitoring retention is not a duration', (p) => new Monitoring(p, 'monitoring', { prometheus: { retention: '7 days' } }), /^monitoring: prometheus\.retention "7 days" is not a positive Prometheus duration/],
  ['a Monitoring size is a number', (p) => new Monitoring(p, 'monitoring', { loki: { storageSize: 5 } } as any), /^monitoring: loki\.storageSize 5 is a number, not a quantity string/],
  ['a Monitoring alert ratio is out of range', (p) => new Monitoring(p, 'monitoring', { alerts: { volumeFullRatio: 80 } }), /^monitoring: alerts\.volumeFullRatio 80 is not a number from 0\.1 to 0\.99\. Fix: use a share such as 0\.8$/],
  ['a Monitoring alert pattern would end its PromQL string', (p) => new Monitoring(p, 'monitoring', { alerts: { backupCronJobPattern: 'x"} or vector(1) #' } }), /alerts\.backupCronJobPattern .* has a quote/],
  ['a Monitoring alert option is misspelled', (p) => new Monitoring(p, 'monitoring', { alerts: { certificateExpiryDay: 14 } } as any), /alerts\.certificateExpiryDay 14 is not a known setting\. Fix: did you mean "certificateExpiryDays"\?/],
  // Services
  ['a CertManager DNS-01 key is not a Secret key', (p) => new CertManager(p, 'cert-manager', { digitalOceanDns01: { tokenKey: 'a/b' } }), /^shared\/cert-manager: digitalOceanDns01\.tokenKey "a\/b" is not a Secret key/],
  ['an IngressController install is in the wrong case', (p) => new IngressController(p, 'traefik', { install: 'HELM-CHART' } as any), /^shared\/traefik: install "HELM-CHART" is not one of TraefikInstalls\. Fix: did you mean TraefikInstalls\.HELM_CHART \("helm-chart"\)\?$/],
  ['an IngressController service type is in the wrong case', (p) => new IngressController(p, 'traefik', { serviceType: 'nodeport' } as any), /serviceType "nodeport" is not one of the allowed values\. Fix: did you mean "NodePort"\?/],
  ['an ExternalSecrets store kind is in the wrong case', (p) => new ExternalSecrets(p, 'eso', { store: { name: 'vault', kind: 'clustersecretstore' } } as any), /store\.kind "clustersecretstore" is not one of the allowed values\. Fix: did you mean "ClusterSecretStore"\?/],
  ['an ExternalSecrets store is missing', (p) => new ExternalSecrets(p, 'eso', {} as any), /^external-secrets\/eso: store \(unset\) is required/],
  // GitOps
  ['an ArgoCd retry count is a string', (p) => new ArgoCd(p, 'argocd', { syncRetries: '10' } as any), /^argocd: syncRetries "10" is a string, not a number/],
  ['a Flux prop is misspelled', (p) => new Flux(p, 'flux', { gitIntervall: '1m' } as any), /^flux-system\/flux: gitIntervall "1m" is not a known setting\. Fix: did you mean "gitInterval"\?$/],
  ['a Flux interval is a number', (p) => new Flux(p, 'flux', { interval: 10 } as any), /^flux-system\/flux: interval 10 is a number, not a duration string/],
  // Addons
  ['a Longhorn schedule has a day-of-week out of range', (p) => new Longhorn(p, 'longhorn', { snapshots: { cron: '0 2 * * 8', retain: 7 } }), /snapshots\.cron "0 2 \* \* 8" has a day of week field "8" that has a value outside 0-6/],
  ['a Longhorn backup target has shell metacharacters', (p) => new Longhorn(p, 'longhorn', { backupTarget: { url: 's3://b@r/$(id)' } }), /backupTarget\.url "s3:\/\/b@r\/\$\(id\)" is not a Longhorn backup target/],
  ['a Registry size is a number', (p) => new Registry(p, 'registry', { storageSize: 20 } as any), /^registry: storageSize 20 is a number, not a string/],
  ['a Registry prop is misspelled', (p) => new Registry(p, 'registry', { hots: 'r.example.com' } as any), /^registry: hots "r\.example\.com" is not a known setting\. Fix: did you mean "host"\?$/],
  ['an Authelia policy is in the wrong case', (p) => new Authelia(p, 'authelia', { database: new SharedPostgres(p, 'postgres'), cache: { server: new SharedRedis(p, 'redis'), index: 0 }, policy: 'TWO_FACTOR' } as any),
    /^auth\/authelia: policy "TWO_FACTOR" is not one of AutheliaPolicies\. Fix: did you mean AutheliaPolicies\.TWO_FACTOR \("two_factor"\)\?$/],
  ['an Authelia cache index is a string', (p) => new Authelia(p, 'authelia', { database: new SharedPostgres(p, 'postgres'), cache: { server: new SharedRedis(p, 'redis'), index: '0' } } as any), /^auth\/authelia: cache\.index "0" is a string, not a number/],
  ['an Authelia has no database', (p) => new Authelia(p, 'authelia', { cache: { server: new SharedRedis(p, 'redis'), index: 0 } } as any), /^auth\/authelia: database \(unset\) is required/],
];

describe('construct props at run time', () => {
  it.each(cases)('fails when %s', (_name, declare, message) => {
    // IngressController cases declare the controller themselves.
    const lines = problemsOf(declare, _name.includes('IngressController') ? testPlatform() : routedPlatform());
    expect(lines.some((l) => message.test(l))).toBe(true);
    for (const line of lines) expect(line).toMatch(PROBLEM_LINE);
  });

  it('reports every problem of one construct at once', () => {
    const lines = problemsOf((p) => new SharedRedis(p, 'redis', { databases: 0, maxmemory: '1GB', keyprefix: true } as any));
    expect(lines).toHaveLength(3);
  });

  it('takes what the README and main.ts declare', () => {
    expect(problemsOf((p) => {
      new SharedPostgres(p, 'postgres', { backup: { schedule: '17 3 * * 1-5', s3: { endpoint: 'https://fra1.digitaloceanspaces.com', bucket: 'backups', credentialsSecret: 's3' } } });
      new SharedRedis(p, 'redis', { evictionPolicy: 'allkeys-lru' as any });
      new Longhorn(p, 'longhorn', { snapshots: { cron: '0 2 * * SUN', retain: 4 } });
    })).toEqual([]);
  });
});

describe('ClusterProfiles props (checked before any construct exists)', () => {
  const thrown = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return (e as Error).message.split('\n');
    }
    return [];
  };
  it.each<[string, () => unknown, RegExp]>([
    ['a k3s node memory is a number', () => ClusterProfiles.k3sNode({ cpu: '2', memory: 4096 } as any), /^cluster: k3sNode\.memory 4096 is a number, not a quantity string/],
    ['a k3s node prop is misspelled', () => ClusterProfiles.k3sNode({ cpu: '2', memory: '4Gi', reserved: {} } as any), /^cluster: k3sNode\.reserved \{\} is not a known setting\. Fix: did you mean "reserve"\?$/],
    ['a DOKS pool count is a string', () => ClusterProfiles.doks({ region: 'fra1', pools: [{ size: 's-2vcpu-4gb', count: '3' }] } as any), /^cluster: doks\.pools\[0\]\.count "3" is a string, not a number/],
    ['a DOKS region is upper case', () => ClusterProfiles.doks({ region: 'FRA1', pools: [{ size: 's-2vcpu-4gb', count: 3 }] }), /^cluster: doks\.region "FRA1" is not a DigitalOcean region slug/],
    ['a managed cluster has no pools', () => ClusterProfiles.managed({ pools: [], dataStorageClass: 'retain', apiServer: { cidrs: ['10.0.0.1/32'], ports: [443] } }), /^cluster: managed\.pools \[\] is empty/],
    ['a managed ingress type is in the wrong case', () => ClusterProfiles.managed({ pools: [{ name: 'a', count: 1, allocatable: { cpu: '2', memory: '4Gi' } }], dataStorageClass: 'retain', apiServer: { cidrs: ['10.0.0.1/32'], ports: [443] }, ingress: { type: 'loadbalancer', annotations: {} } } as any),
      /managed\.ingress\.type "loadbalancer" is not one of the allowed values\. Fix: did you mean "LoadBalancer"\?/],
  ])('fails when %s, listing every problem', (_name, f, message) => {
    const lines = thrown(f);
    expect(lines.some((l) => message.test(l))).toBe(true);
    for (const line of lines) expect(line).toMatch(PROBLEM_LINE);
  });

  it('reports the profile problems when the platform is built from main.ts', () => {
    const lines = problemsOf(() => new Platform({ domain: 'example.com', acmeEmail: 'ops@example.com', git: { repoURL: 'https://github.com/x/y.git' }, cluster: ClusterProfiles.k3sNode({ cpu: 2, memory: 4 } as any) }), testPlatform());
    expect(lines).toEqual([expect.stringMatching(/^cluster: k3sNode\.cpu 2 is a number/), expect.stringMatching(/^cluster: k3sNode\.memory 4 is a number/)]);
  });
});

describe('the cron grammar (robfig/cron standard, as Kubernetes and Longhorn read it)', () => {
  it.each(['17 3 * * *', '*/15 * * * *', '0 0 1,15 * MON-FRI', '0 2 * jan-mar 0', '@daily', '5-10/2 0 * * *'])('takes %s', (s) => expect(cronProblem(s)).toBeUndefined());
  it.each(['', '* * * *', '60 * * * *', '* 24 * * *', '* * 0 * *', '* * * 13 *', '* * * * 7', '*/0 * * * *', '10-5 * * * *', 'TZ=UTC 0 * * * *', '@every 1h', '* * * * * *', '0 3 * * $(id)'])('refuses %j', (s) => expect(cronProblem(s)).toBeDefined());
});
