import { Construct } from 'constructs';
import { Monitoring, NovahostApp, Platform, ServiceConsumer } from '../lib';
import { EvictionPolicies, Persistence, SharedRedis, SharedRedisProps } from '../lib/data/redis/shared-redis';
import { findObject, routedPlatform, synthesize, synthOf, testPlatform } from './support/platform';
import { canConnect } from './support/reachability';

const API = { image: 'ghcr.io/example/api:1.0.0', port: 9000, cache: true };
const WEB = { image: 'ghcr.io/example/web:1.0.0', port: 3000 };

function novahostWithRedis(props: SharedRedisProps = {}) {
  const platform = testPlatform();
  const redis = new SharedRedis(platform, 'redis', props);
  const novahost = new NovahostApp(platform, 'novahost', {
    cache: { server: redis, index: 0 },
    services: {
      'web': WEB,
      'api-server': API,
      'build-server': { image: 'ghcr.io/example/build:1.0.0', port: 9001, cache: true },
    },
  });
  return { platform, redis, novahost };
}

/** The objects SharedRedis renders (not the namespace's policies, which other constructs own). */
function redisObjects(platform: Platform): any[] {
  return synthesize(platform).shared.filter((o) => o.metadata.labels?.['app.kubernetes.io/name'] === 'redis');
}

function env(platform: Platform, ns: string, deployment: string): any[] {
  return findObject(synthesize(platform)[ns], 'Deployment', deployment).spec.template.spec.containers[0].env;
}

function aclLine(platform: Platform, user: string): string {
  const template: string = findObject(synthesize(platform).shared, 'ConfigMap', 'redis-config').data['users.acl.template'];
  const line = template.split('\n').find((l) => l.startsWith(`user ${user} `));
  if (!line) throw new Error(`no ACL line for ${user} in:\n${template}`);
  return line;
}

/** A consumer that is not a NovahostApp, to call addCache directly. */
function consumer(platform: Platform, id: string, appName = id): ServiceConsumer {
  const c = new Construct(platform, id) as Construct & { appName: string; namespace: string };
  c.appName = appName;
  c.namespace = id;
  return c;
}

describe('SharedRedis', () => {
  it('renders a StatefulSet, two Services and its config for apps (snapshot)', () => {
    const { platform } = novahostWithRedis();
    expect(redisObjects(platform)).toMatchSnapshot();
    expect(env(platform, 'novahost', 'api-server')).toMatchSnapshot();
  });

  it('wires REDIS_URL from the app password Secret to the client Service, port and database', () => {
    const { platform, redis, novahost } = novahostWithRedis();
    const service = findObject(synthesize(platform).shared, 'Service', 'redis');
    const port = service.spec.ports[0];
    expect(port.port).toBe(6379);
    expect(`${service.metadata.name}.${service.metadata.namespace}.svc.cluster.local`).toBe(redis.server.host);
    for (const deployment of ['api-server', 'build-server']) {
      expect(env(platform, 'novahost', deployment)).toEqual([
        { name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: 'novahost-redis', key: 'password' } } },
        { name: 'REDIS_URL', value: `redis://novahost:$(REDIS_PASSWORD)@${redis.server.host}:${port.port}/0` },
        { name: 'REDIS_KEY_PREFIX', value: 'novahost:' },
      ]);
    }
    expect(findObject(synthesize(platform).novahost, 'Deployment', 'web').spec.template.spec.containers[0].env).toBeUndefined();
    expect(novahost.cache).toMatchObject({ user: 'novahost', index: 0, keyPrefix: 'novahost:' });
    expect(novahost.secretReferences).toContainEqual(expect.objectContaining({ namespace: 'novahost', name: 'novahost-redis', key: 'password' }));
  });

  it('selects its pod with both Services, and the client Service targets the container port', () => {
    const objects = redisObjects(novahostWithRedis().platform);
    const sts = findObject(objects, 'StatefulSet', 'redis');
    const podLabels = sts.spec.template.metadata.labels;
    const headless = findObject(objects, 'Service', 'redis-headless');
    const client = findObject(objects, 'Service', 'redis');
    expect(sts.spec.serviceName).toBe('redis-headless');
    expect(headless.spec.clusterIP).toBe('None');
    for (const selector of [headless.spec.selector, client.spec.selector, sts.spec.selector.matchLabels]) {
      for (const [k, v] of Object.entries(selector)) expect(podLabels[k]).toBe(v);
    }
    const container = sts.spec.template.spec.containers[0];
    expect(container.ports).toEqual([{ name: client.spec.ports[0].targetPort, containerPort: 6379, protocol: 'TCP' }]);
  });

  it('authenticates its probes as the PING-only healthcheck user, password from a Secret', () => {
    const { platform } = novahostWithRedis();
    const container = findObject(redisObjects(platform), 'StatefulSet', 'redis').spec.template.spec.containers[0];
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      const script = container[probe].exec.command.join(' ');
      expect(script).toContain('redis-cli --user healthcheck');
      expect(script).toContain('= PONG');
    }
    const auth = { valueFrom: { secretKeyRef: { name: 'redis-healthcheck', key: 'password' } } };
    expect(container.env).toEqual([{ name: 'REDISCLI_AUTH', ...auth }, { name: 'VALKEYCLI_AUTH', ...auth }]);
    expect(aclLine(platform, 'healthcheck')).toBe('user healthcheck on resetpass resetkeys resetchannels -@all +ping');
    expect(aclLine(platform, 'default')).toMatch(/^user default off resetpass resetkeys resetchannels -@all$/);
  });

  it('runs restricted: uid 999 gid 1000 (the Alpine image), read-only root, data on the PVC, /tmp and the ACL in emptyDirs', () => {
    const pod = findObject(redisObjects(novahostWithRedis().platform), 'StatefulSet', 'redis').spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 999, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.automountServiceAccountToken).toBe(false);
    for (const c of [...pod.initContainers, ...pod.containers]) {
      expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      expect(c.resources.limits.memory).toBeDefined();
    }
    const main = pod.containers[0];
    const mounts = Object.fromEntries(main.volumeMounts.map((m: any) => [m.mountPath, m]));
    expect(mounts['/data'].name).toBe('data');
    expect(main.workingDir).toBe('/data');
    const volumes = Object.fromEntries(pod.volumes.map((v: any) => [v.name, v]));
    expect(volumes[mounts['/tmp'].name].emptyDir).toBeDefined();
    expect(volumes.acl.emptyDir.medium).toBe('Memory');
    expect(mounts['/run/redis-acl'].readOnly).toBe(true);
    // The password files are mounted in the init container only.
    expect(main.volumeMounts.map((m: any) => m.name)).not.toContain('passwords');
    expect(pod.initContainers[0].volumeMounts.map((m: any) => m.name)).toContain('passwords');
  });

  it('protects its data: retained PVCs, no prune or delete, a data-holding namespace in wave 1', () => {
    const { platform } = novahostWithRedis({ storageSize: '5Gi', storageClass: 'local-path' });
    const objects = synthesize(platform).shared;
    const sts = findObject(objects, 'StatefulSet', 'redis');
    const protection = { 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false', 'kustomize.toolkit.fluxcd.io/prune': 'disabled' };
    expect(sts.metadata.annotations).toMatchObject(protection);
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
    const [claim] = sts.spec.volumeClaimTemplates;
    expect(claim.metadata.annotations).toMatchObject(protection);
    expect(claim.spec).toEqual({ accessModes: ['ReadWriteOnce'], storageClassName: 'local-path', resources: { requests: { storage: '5Gi' } } });
    expect(findObject(objects, 'Namespace', 'shared').metadata.annotations).toMatchObject(protection);
    const chart = platform.namespaces.find((n) => n.namespaceName === 'shared')!;
    expect(chart.holdsData).toBe(true);
    expect(chart.wave).toBe(1);
  });

  it('writes no password, hash or Secret to the output', () => {
    const { platform } = novahostWithRedis();
    const all = Object.values(synthesize(platform)).flat();
    expect(all.filter((o) => o.kind === 'Secret')).toEqual([]);
    const text = JSON.stringify(all);
    expect(/#[0-9a-f]{64}/.test(text)).toBe(false);
    expect(text.includes('requirepass')).toBe(false);
    // ACL password rules: `>clear`, `#hash`, `nopass` (every user would accept any password).
    const template: string = findObject(all, 'ConfigMap', 'redis-config').data['users.acl.template'];
    const tokens = template.split(/\s+/);
    expect(tokens.filter((t) => /^[>#<!]/.test(t) || t === 'nopass')).toEqual([]);
    for (const o of all) {
      for (const c of o.spec?.template?.spec?.containers ?? []) {
        for (const e of c.env ?? []) if (/PASSWORD|AUTH/.test(e.name)) expect(e.value).toBeUndefined();
      }
    }
  });

  it('confines app users to their prefix by default, and to every key when an app opts out', () => {
    const platform = testPlatform();
    const redis = new SharedRedis(platform, 'redis');
    new NovahostApp(platform, 'alpha', { cache: { server: redis, index: 0 }, services: { api: API } });
    new NovahostApp(platform, 'legacy', { cache: { server: redis, index: 1, keyPrefix: false }, services: { api: API } });
    expect(aclLine(platform, 'alpha')).toMatch(/^user alpha on resetpass resetkeys resetchannels ~alpha:\* &alpha:\* -@all /);
    expect(aclLine(platform, 'legacy')).toMatch(/^user legacy on resetpass resetkeys resetchannels ~\* &\* -@all /);
    for (const denied of ['-flushall', '-flushdb', '-config', '-shutdown', '-debug', '-acl', '-keys', '-monitor', '-@dangerous', '-@admin']) {
      expect(aclLine(platform, 'alpha').split(' ')).toContain(denied);
    }
    expect(env(platform, 'legacy', 'api').map((e: any) => e.name)).toEqual(['REDIS_PASSWORD', 'REDIS_URL']);
  });

  it('lists every Secret it needs, the app password in both namespaces', () => {
    const { redis } = novahostWithRedis();
    expect(redis.secretReferences.map((r) => `${r.namespace}/${r.name}/${r.key}`)).toEqual([
      'shared/redis-admin/password',
      'shared/redis-healthcheck/password',
      'shared/redis-backup/password',
      'shared/redis-user-novahost/password',
      'novahost/novahost-redis/password',
    ]);
    const volume = findObject(redisObjects(novahostWithRedis().platform), 'StatefulSet', 'redis').spec.template.spec.volumes
      .find((v: any) => v.name === 'passwords');
    expect(volume.projected.sources.map((s: any) => s.secret.name)).toEqual(['redis-admin', 'redis-healthcheck', 'redis-backup', 'redis-user-novahost']);
  });

  it('renders the persistence, memory and eviction settings it is given', () => {
    const conf = (props: SharedRedisProps) => {
      const { platform } = novahostWithRedis(props);
      return findObject(redisObjects(platform), 'ConfigMap', 'redis-config').data['redis.conf'] as string;
    };
    const defaults = conf({});
    expect(defaults).toMatch(/^appendonly yes$/m);
    expect(defaults).toMatch(/^appendfsync everysec$/m);
    expect(defaults).toMatch(/^maxmemory 256mb$/m);
    expect(defaults).toMatch(/^maxmemory-policy noeviction$/m);
    expect(defaults).toMatch(/^databases 16$/m);
    expect(defaults).not.toMatch(/^dir /m);
    const rdb = conf({ persistence: Persistence.RDB, maxmemory: '1gb', resources: { memoryLimit: '2Gi' }, evictionPolicy: EvictionPolicies.ALLKEYS_LRU, databases: 32 });
    expect(rdb).toMatch(/^appendonly no$/m);
    expect(rdb).toMatch(/^save 3600 1 300 100 60 10000$/m);
    expect(rdb).toMatch(/^maxmemory 1gb$/m);
    expect(rdb).toMatch(/^maxmemory-policy allkeys-lru$/m);
    expect(rdb).toMatch(/^databases 32$/m);
  });

  it('restarts the pod when the config changes (a new app), and only then', () => {
    const checksum = (apps: string[]) => {
      const platform = testPlatform();
      const redis = new SharedRedis(platform, 'redis');
      apps.forEach((app, index) => new NovahostApp(platform, app, { cache: { server: redis, index }, services: { api: API } }));
      return findObject(redisObjects(platform), 'StatefulSet', 'redis').spec.template.metadata.annotations['checksum/config'];
    };
    expect(checksum(['alpha'])).toBe(checksum(['alpha']));
    expect(checksum(['alpha', 'beta'])).not.toBe(checksum(['alpha']));
  });

  it('keeps every existing app\'s database and user when an app is added between two others', () => {
    const render = (apps: Array<[string, number]>) => {
      const platform = testPlatform();
      const redis = new SharedRedis(platform, 'redis');
      for (const [app, index] of apps) new NovahostApp(platform, app, { cache: { server: redis, index }, services: { api: API } });
      synthesize(platform);
      return {
        env: Object.fromEntries(apps.map(([app]) => [app, env(platform, app, 'api')])),
        acl: Object.fromEntries(apps.map(([app]) => [app, aclLine(platform, app)])),
      };
    };
    const before = render([['alpha', 0], ['charlie', 1]]);
    const after = render([['alpha', 0], ['bravo', 2], ['charlie', 1]]);
    for (const app of ['alpha', 'charlie']) {
      expect(after.env[app]).toEqual(before.env[app]);
      expect(after.acl[app]).toEqual(before.acl[app]);
    }
    expect(after.env.charlie[1].value).toMatch(/\/1$/);
    expect(after.env.bravo[1].value).toMatch(/\/2$/);
  });

  it('fails when an app declares no index, naming the lowest free one', () => {
    const platform = testPlatform();
    const redis = new SharedRedis(platform, 'redis');
    new NovahostApp(platform, 'alpha', { cache: { server: redis, index: 0 }, services: { api: API } });
    expect(() => new NovahostApp(platform, 'beta', { cache: { server: redis }, services: { api: API } }))
      .toThrow('beta: cache.index (unset) is required: it is the app\'s logical database on shared/redis and must never change. Fix: declare it, e.g. cache: { server: redis, index: 1 } (the lowest free index)');
  });

  it('fails when two apps claim one index, naming both', () => {
    const platform = testPlatform();
    const redis = new SharedRedis(platform, 'redis');
    new NovahostApp(platform, 'novahost', { cache: { server: redis, index: 3 }, services: { api: API } });
    expect(() => new NovahostApp(platform, 'excalidraw', { cache: { server: redis, index: 3 }, services: { api: API } }))
      .toThrow('excalidraw: cache.index 3 is already the logical database of novahost on shared/redis. Fix: give excalidraw a free index (the lowest free one is 0); never renumber novahost, its data lives in database 3');
  });

  it('fails when an index is outside the databases', () => {
    const platform = testPlatform();
    const redis = new SharedRedis(platform, 'redis', { databases: 4 });
    for (const index of [4, -1, 1.5]) {
      const id = `app${String(index).replace(/\W/g, '')}`;
      expect(() => new NovahostApp(platform, id, { cache: { server: redis, index }, services: { api: API } }))
        .toThrow(`${id}: cache.index ${index} is not a logical database of shared/redis, which has databases 0 to 3. Fix: use a free index in that range (the lowest free one is 0), or raise the server's databases prop`);
    }
  });

  it('fails when two consumers would share one Redis user', () => {
    const platform = testPlatform();
    const redis = new SharedRedis(platform, 'redis');
    redis.addCache(consumer(platform, 'first', 'novahost'), { index: 0 });
    expect(() => redis.addCache(consumer(platform, 'second', 'novahost'), { index: 1 }))
      .toThrow('second: appName "novahost" already has a Redis user on shared/redis, created for first. Fix: ask for one cache per app; apps sharing a name need distinct names');
  });

  it('fails when an app takes a name the server keeps for itself', () => {
    const platform = testPlatform();
    const redis = new SharedRedis(platform, 'redis');
    expect(() => redis.addCache(consumer(platform, 'admin'), { index: 0 }))
      .toThrow('admin: appName "admin" is a Redis user that shared/redis keeps for itself (default, admin, healthcheck, metrics, backup). Fix: give the app another name');
  });

  it('fails when the image is not pinned', () => {
    expect(synthOf((p) => new SharedRedis(p, 'redis', { image: 'redis:latest' })))
      .toThrow('shared/redis: image "redis:latest" uses the moving tag "latest"');
    expect(synthOf((p) => new SharedRedis(p, 'redis', { image: 'redis' }))).toThrow('has no tag or digest');
  });

  it('fails when maxmemory is not a Redis size or leaves no headroom', () => {
    for (const bad of ['256MB', '256 mb', '0', '1g', '', '256m']) {
      expect(synthOf((p) => new SharedRedis(p, 'redis', { maxmemory: bad })))
        .toThrow(`shared/redis: maxmemory ${JSON.stringify(bad)} is not a Redis memory size (a whole number with kb, mb or gb, lower case)`);
    }
    expect(synthOf((p) => new SharedRedis(p, 'redis', { maxmemory: '512kb' }))).toThrow('is below 1mb');
    expect(synthOf((p) => new SharedRedis(p, 'redis', { maxmemory: '400mb' })))
      .toThrow('shared/redis: maxmemory "400mb" is more than 75% of the memory limit 512Mi, so the kernel would kill Redis (forks for AOF rewrites and snapshots need headroom) before Redis refuses a write. Fix: lower maxmemory to at most 384mb, or raise resources.memoryLimit');
    expect(synthOf((p) => new SharedRedis(p, 'redis', { maxmemory: '400mb', resources: { memoryLimit: '1Gi' } }))).not.toThrow();
  });

  it('fails on a bad databases count, eviction policy or storage size', () => {
    expect(synthOf((p) => new SharedRedis(p, 'redis', { databases: 0 }))).toThrow('shared/redis: databases 0 is not a whole number from 1 to 10000');
    expect(synthOf((p) => new SharedRedis(p, 'redis', { evictionPolicy: 'lru' as any }))).toThrow('shared/redis: evictionPolicy "lru" is not one of EvictionPolicies. Fix: use one of: EvictionPolicies.NO_EVICTION ("noeviction")');
    expect(synthOf((p) => new SharedRedis(p, 'redis', { storageSize: '2 GB' }))).toThrow('shared/redis: storageSize "2 GB" is not a positive Kubernetes memory quantity');
  });

  it('fails when a cache is asked for after synthesis started', () => {
    const { platform, redis } = novahostWithRedis();
    synthesize(platform);
    expect(() => redis.addCache(consumer(platform, 'late'), { index: 5 })).toThrow('late: asked shared/redis for a cache after synthesis started');
  });
});

describe('SharedRedis metrics', () => {
  function withMetrics(metrics: boolean) {
    const platform = routedPlatform();
    new Monitoring(platform, 'monitoring');
    const redis = new SharedRedis(platform, 'redis', { metrics });
    new NovahostApp(platform, 'shop', { cache: { server: redis, index: 0 }, services: { web: { image: 'ghcr.io/x/web:1.0.0', port: 3000, cache: true } } });
    return { redis, out: synthesize(platform) };
  }

  it('runs the exporter beside the server as the "metrics" ACL user, scraped through a ServiceMonitor', () => {
    const { redis, out } = withMetrics(true);
    const pod = findObject(out.shared, 'StatefulSet', 'redis').spec.template.spec;
    const exporter = pod.containers.find((c: any) => c.name === 'exporter');
    expect(exporter.image).toMatch(/^oliver006\/redis_exporter:v\d+\.\d+\.\d+$/);
    expect(exporter.env).toEqual([
      { name: 'REDIS_ADDR', value: 'redis://127.0.0.1:6379' },
      { name: 'REDIS_USER', value: 'metrics' },
      { name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: 'redis-metrics', key: 'password' } } },
      { name: 'REDIS_EXPORTER_CONFIG_COMMAND', value: '-' },
    ]);
    expect(exporter.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(exporter.ports).toEqual([{ name: 'metrics', containerPort: 9121, protocol: 'TCP' }]);
    expect(exporter.resources).toEqual({ requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } });
    for (const probe of [exporter.readinessProbe, exporter.livenessProbe]) expect(probe.httpGet).toEqual({ path: '/health', port: 'metrics' });
    const sources = pod.volumes.find((v: any) => v.name === 'passwords').projected.sources;
    expect(sources).toContainEqual({ secret: { name: 'redis-metrics', items: [{ key: 'password', path: 'metrics' }] } });
    expect(findObject(out.shared, 'ConfigMap', 'redis-config').data['users.acl.template']).toMatch(/^user metrics on .* -@all \+ping \+info/m);
    const service = findObject(out.shared, 'Service', 'redis-metrics');
    const monitor = findObject(out.shared, 'ServiceMonitor', 'redis');
    for (const [k, v] of Object.entries(monitor.spec.selector.matchLabels)) expect(service.metadata.labels[k]).toBe(v);
    expect(service.spec.ports).toEqual([{ name: 'metrics', port: 9121, targetPort: 'metrics', protocol: 'TCP' }]);
    expect(service.spec.selector).toEqual(findObject(out.shared, 'StatefulSet', 'redis').spec.selector.matchLabels);
    expect(monitor.spec.endpoints).toEqual([{ port: 'metrics', path: '/metrics' }]);
    // Prometheus reaches the exporter's port, and not Redis itself.
    const prometheus = { namespace: 'monitoring', labels: { 'app.kubernetes.io/name': 'prometheus' } };
    const server = { namespace: 'shared', labels: findObject(out.shared, 'StatefulSet', 'redis').spec.template.metadata.labels };
    const objects = Object.values(out).flat();
    expect(canConnect(objects, prometheus, server, 9121)).toBe(true);
    expect(canConnect(objects, prometheus, server, 6379)).toBe(false);
    expect(redis.secretReferences.find((r) => r.name === 'redis-metrics')).toMatchObject({ namespace: 'shared', key: 'password', value: { kind: 'generated', length: 32 } });
  });

  it('is off by default: no sidecar, user, Service or Secret', () => {
    const { redis, out } = withMetrics(false);
    expect(findObject(out.shared, 'StatefulSet', 'redis').spec.template.spec.containers.map((c: any) => c.name)).toEqual(['redis']);
    expect(findObject(out.shared, 'ConfigMap', 'redis-config').data['users.acl.template']).not.toMatch(/^user metrics/m);
    expect(out.shared.filter((o) => o.kind === 'ServiceMonitor')).toEqual([]);
    expect(redis.secretReferences.map((r) => r.name)).not.toContain('redis-metrics');
  });
});
