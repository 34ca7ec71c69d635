import { k8s } from 'cdk8s-plus-28';
import {
  CertManager, DatabaseHandle, DatabaseProvider, IngressController, NetworkPolicies, NovahostApp, Peers, ServiceConsumer,
} from '../lib';
import { platform as reference } from '../main';
import { canConnect, inCidr } from './support/reachability';
import { synthesize, testPlatform } from './support/platform';

/** A database provider double: the network wiring only needs the server endpoint. */
class FakeDatabases implements DatabaseProvider {
  public readonly server = { namespace: 'data', host: 'db.data.svc.cluster.local', port: 5432, podLabels: { 'app.kubernetes.io/instance': 'db' } };
  public addDatabase(consumer: ServiceConsumer): DatabaseHandle {
    return {
      consumer, database: consumer.appName, role: consumer.appName, server: this.server,
      password: { namespace: consumer.namespace, name: 'db', key: 'password', description: 'test' },
      envVars: (): k8s.EnvVar[] => [],
    };
  }
}

function platformWithApps() {
  const platform = testPlatform();
  const traefik = new IngressController(platform, 'traefik');
  new CertManager(platform, 'cert-manager');
  const db = new FakeDatabases();
  platform.namespace('data');
  new NovahostApp(platform, 'shop', {
    database: { server: db },
    services: {
      web: { image: 'ghcr.io/x/web:1.0.0', port: 3000, route: { path: '/' } },
      api: { image: 'ghcr.io/x/api:1.0.0', port: 9000, database: true, internetEgress: true },
      worker: { image: 'ghcr.io/x/worker:1.0.0', port: 9100, apiAccess: true },
    },
  });
  new NovahostApp(platform, 'blog', { services: { web: { image: 'ghcr.io/x/blog:1.0.0', port: 8080, route: { path: '/' } } } });
  const objects = Object.values(synthesize(platform)).flat();
  const pod = (namespace: string, labels: Record<string, string>, ip?: string) => ({ namespace, labels, ip });
  const svc = (app: string, component: string) => pod(app, { 'app.kubernetes.io/name': app, 'app.kubernetes.io/instance': app, 'app.kubernetes.io/component': component });
  return { platform, objects, db, traefik: pod('shared', traefik.peer.podLabels), svc, pod };
}

describe('NetworkPolicies', () => {
  it('denies by default in every namespace and allows DNS', () => {
    const { platform, objects } = platformWithApps();
    for (const ns of platform.namespaces.map((c) => c.namespaceName)) {
      const deny = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.namespace === ns && o.metadata.name === 'default-deny');
      expect(deny?.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    }
    const { svc, pod } = platformWithApps();
    const dns = pod('kube-system', { 'k8s-app': 'kube-dns' });
    expect(canConnect(objects, svc('shop', 'web'), dns, 53, 'UDP')).toBe(true);
    expect(canConnect(objects, svc('shop', 'web'), dns, 80)).toBe(false);
  });

  it('lets the ingress controller reach routed services only, on their port', () => {
    const { objects, traefik, svc } = platformWithApps();
    expect(canConnect(objects, traefik, svc('shop', 'web'), 3000)).toBe(true);
    expect(canConnect(objects, traefik, svc('blog', 'web'), 8080)).toBe(true);
    expect(canConnect(objects, traefik, svc('shop', 'web'), 9000)).toBe(false);
    expect(canConnect(objects, traefik, svc('shop', 'api'), 9000)).toBe(false);
    expect(canConnect(objects, { ip: '203.0.113.7' }, traefik, 8443)).toBe(true);
    expect(canConnect(objects, { ip: '203.0.113.7' }, svc('shop', 'web'), 3000)).toBe(false);
  });

  it('lets a service reach its database only when it was granted one', () => {
    const { objects, db, svc, pod } = platformWithApps();
    const server = pod(db.server.namespace, db.server.podLabels);
    expect(canConnect(objects, svc('shop', 'api'), server, 5432)).toBe(true);
    expect(canConnect(objects, svc('shop', 'web'), server, 5432)).toBe(false);
    expect(canConnect(objects, svc('blog', 'web'), server, 5432)).toBe(false);
    expect(canConnect(objects, svc('shop', 'api'), server, 5433)).toBe(false);
  });

  it('keeps apps apart and away from private ranges, the API and the internet unless opted in', () => {
    const { objects, svc } = platformWithApps();
    expect(canConnect(objects, svc('shop', 'web'), svc('blog', 'web'), 8080)).toBe(false);
    expect(canConnect(objects, svc('shop', 'web'), svc('shop', 'api'), 9000)).toBe(false);
    expect(canConnect(objects, svc('shop', 'web'), { ip: '140.82.112.3' }, 443)).toBe(false);
    expect(canConnect(objects, svc('shop', 'api'), { ip: '140.82.112.3' }, 443)).toBe(true);
    expect(canConnect(objects, svc('shop', 'api'), { ip: '10.43.0.1' }, 443)).toBe(false);
    expect(canConnect(objects, svc('shop', 'api'), { ip: '169.254.169.254' }, 80)).toBe(false);
    // apiAccess: the API server where k3s serves it (the node's address, 6443), never the internet.
    expect(canConnect(objects, svc('shop', 'worker'), { ip: '10.0.0.5' }, 6443)).toBe(true);
    expect(canConnect(objects, svc('shop', 'worker'), { ip: '203.0.113.10' }, 443)).toBe(false);
    expect(canConnect(objects, svc('shop', 'worker'), { ip: '203.0.113.10' }, 6443)).toBe(false);
    expect(canConnect(objects, svc('shop', 'worker'), { ip: '10.0.0.5' }, 443)).toBe(false);
    expect(canConnect(objects, svc('shop', 'web'), { ip: '10.43.0.1' }, 443)).toBe(false);
  });

  it('names one policy per local pods and remote end, and says why', () => {
    const { objects } = platformWithApps();
    const names = objects.filter((o) => o.kind === 'NetworkPolicy' && o.metadata.namespace === 'shop').map((o) => o.metadata.name).sort();
    expect(names).toEqual([
      'allow-dns', 'allow-egress-api-to-data', 'allow-egress-api-to-internet', 'allow-egress-worker-to-kube-api',
      'allow-ingress-acme-solver-from-shared', 'allow-ingress-web-from-shared', 'default-deny',
    ]);
    const toData = objects.find((o) => o.metadata?.name === 'allow-egress-api-to-data');
    expect(toData.metadata.annotations['novahost-platform/reasons']).toBe('shop/api uses db');
  });

  it('fails when routes exist but no ingress controller is declared', () => {
    const platform = testPlatform();
    new NovahostApp(platform, 'a', { services: { web: { image: 'ghcr.io/x/web:1.0.0', port: 80, route: { path: '/' } } } });
    expect(() => platform.manifests()).toThrow(/^a\/web\/Route: ingress controller \(unset\) is not declared/);
  });

  it('fails when a rule is declared after synthesis started', () => {
    const platform = testPlatform();
    platform.namespace('x');
    const network = NetworkPolicies.of(platform);
    platform.manifests();
    expect(() => network.allow(platform, { from: Peers.WORLD, to: { namespace: 'x', podLabels: {}, name: 'x' }, ports: [], reason: 'late' }))
      .toThrow('network rule "late" declared after synthesis started');
  });

  it('inCidr works on the ranges the policies use', () => {
    expect(inCidr('10.42.1.5', '10.0.0.0/8')).toBe(true);
    expect(inCidr('172.32.0.1', '172.16.0.0/12')).toBe(false);
    expect(inCidr('1.2.3.4', '0.0.0.0/0')).toBe(true);
  });
});

describe('reachability of the reference installation, derived from its constructs', () => {
  const objects = Object.values(Object.fromEntries(reference.manifests())).flat() as any[];
  const apps = reference.node.findAll().filter((c): c is NovahostApp => c instanceof NovahostApp);
  const ingress = reference.ingressPeer!;
  const services = apps.flatMap((app) => app.allServices);
  const pod = (s: { namespace: string; podLabels: Record<string, string> }) => ({ namespace: s.namespace, labels: s.podLabels });

  it('covers every service of every app', () => {
    // Whatever apps main.ts declares: each has services, and each of its services renders a
    // Deployment in its namespace (the matrix below is only as good as this list).
    expect(apps.length).toBeGreaterThan(0);
    for (const app of apps) {
      const mine = services.filter((s) => s.app === app);
      expect([app.appName, mine.length > 0]).toEqual([app.appName, true]);
      for (const s of mine) expect(objects.some((o) => o.kind === 'Deployment' && o.metadata.namespace === s.namespace && o.metadata.name === s.name)).toBe(true);
    }
  });

  it.each(apps.map((a) => a.appName))('the ingress controller reaches exactly the routed services of %s', (name) => {
    const app = apps.find((a) => a.appName === name)!;
    const routed = new Set(app.node.findAll().filter((c: any) => c.constructor.name === 'IngressRoute').map((r: any) => r.backend.name));
    for (const svc of services.filter((s: any) => s.app === app)) {
      const pod = { namespace: svc.namespace, labels: svc.podLabels };
      expect([svc.name, canConnect(objects, { namespace: ingress.namespace, labels: ingress.podLabels }, pod, svc.port)]).toEqual([svc.name, routed.has(svc.name)]);
    }
  });

  it('a service reaches the database and cache servers exactly when it was wired to them', () => {
    const servers = apps.flatMap((a) => [a.database?.server, a.cache?.server]).filter((x): x is NonNullable<typeof x> => !!x);
    expect(servers.length).toBeGreaterThan(0);
    for (const svc of services) {
      for (const server of servers) {
        const granted = (svc.uses.database && svc.app.database?.server === server) || (svc.uses.cache && svc.app.cache?.server === server);
        expect([svc.namespace, svc.name, server.host, canConnect(objects, pod(svc), pod(server), server.port)])
          .toEqual([svc.namespace, svc.name, server.host, granted]);
      }
    }
  });

  it('no app reaches another app', () => {
    for (const a of services) {
      for (const b of services) {
        if (a === b) continue;
        expect([`${a.namespace}/${a.name}`, `${b.namespace}/${b.name}`, canConnect(objects, { namespace: a.namespace, labels: a.podLabels }, { namespace: b.namespace, labels: b.podLabels }, b.port)])
          .toEqual([`${a.namespace}/${a.name}`, `${b.namespace}/${b.name}`, false]);
      }
    }
  });
});
