import { ArgoCd, CertManager, IngressController, NovahostApp, SharedPostgres, SharedRedis, SyncWave } from '../../lib';
import { findObject, synthesize, testPlatform } from '../support/platform';

function reference(layout: 'shared' | 'isolated' = 'shared') {
  const platform = testPlatform();
  new ArgoCd(platform, 'argocd');
  new IngressController(platform, 'traefik', layout === 'isolated' ? { namespace: 'ingress' } : {});
  new CertManager(platform, 'cert-manager', layout === 'isolated' ? { namespace: 'cert-manager' } : {});
  const postgres = new SharedPostgres(platform, 'postgres', layout === 'isolated' ? { namespace: 'postgres' } : {});
  const redis = new SharedRedis(platform, 'redis', layout === 'isolated' ? { namespace: 'redis' } : {});
  platform.namespace('builds', { wave: SyncWave.BUILDS });
  platform.namespace('data', { wave: SyncWave.SHARED_SERVICES, holdsData: true });
  new NovahostApp(platform, 'novahost', {
    database: { server: postgres },
    cache: { server: redis, index: 0 },
    services: { web: { image: 'ghcr.io/example/web:1.0.0', port: 3000, route: { path: '/' }, database: true, cache: true } },
  });
  return { platform, out: synthesize(platform) };
}

const wave = (o: any) => Number(o.metadata.annotations?.['argocd.argoproj.io/sync-wave'] ?? 0);

describe('ArgoCd app-of-apps', () => {
  it('fails when two objects of one kind share a name in a folder', () => {
    const platform = testPlatform();
    new NovahostApp(platform, 'a', { services: { web: { image: 'ghcr.io/example/web:1.0.0', port: 3000 } } });
    new NovahostApp(platform, 'b', { namespace: 'a', services: { web: { image: 'ghcr.io/example/web:1.0.0', port: 3000 } } });
    expect(() => platform.manifests()).toThrow('a: two objects are both Deployment "web". Fix: give one of them another name');
  });

  it('renders dist/argocd (snapshot)', () => {
    expect(reference().out.argocd).toMatchSnapshot();
  });

  it.each(['shared', 'isolated'] as const)('gives every namespace folder an Application (%s layout)', (layout) => {
    const { out } = reference(layout);
    const apps = out.argocd.filter((o) => o.kind === 'Application');
    for (const ns of Object.keys(out)) {
      if (ns === 'argocd') {
        expect(findObject(apps, 'Application', 'root').spec.source.path).toBe('dist/argocd');
        continue;
      }
      const app = findObject(apps, 'Application', ns);
      expect(app.spec.source).toEqual({ repoURL: 'https://github.com/example/infra.git', targetRevision: 'main', path: `dist/${ns}` });
      expect(app.spec.destination).toEqual({ server: 'https://kubernetes.default.svc', namespace: ns });
      expect(app.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
      expect(app.spec.syncPolicy.syncOptions).toContain('CreateNamespace=false');
      expect(app.spec.project).toBe('platform');
    }
    if (layout === 'isolated') {
      expect(Object.keys(out).sort()).toEqual(['argocd', 'builds', 'cert-manager', 'data', 'ingress', 'novahost', 'postgres', 'redis']);
      expect(out.postgres.map((o) => o.kind)).toEqual(expect.arrayContaining(['StatefulSet', 'Job', 'CronJob']));
      expect(out.redis.map((o) => o.kind)).toContain('StatefulSet');
      // The app's connection settings follow the servers into their namespaces.
      const env = out.novahost.find((o) => o.kind === 'Deployment').spec.template.spec.containers[0].env;
      expect(env).toEqual(expect.arrayContaining([{ name: 'PGHOST', value: 'postgres.postgres.svc.cluster.local' }]));
      expect(JSON.stringify(env)).toContain('redis.redis.svc.cluster.local:6379/0');
    }
  });

  it('orders waves: Argo CD, operators, shared services, builds, apps', () => {
    const apps = reference().out.argocd.filter((o) => o.kind === 'Application');
    const w = (name: string) => wave(findObject(apps, 'Application', name));
    expect(w('argocd-helm')).toBeLessThan(w('cert-manager-helm'));
    expect(w('cert-manager-helm')).toBe(w('traefik-helm'));
    expect(w('traefik-helm')).toBeLessThan(w('shared'));
    expect(w('shared')).toBe(w('data'));
    expect(w('data')).toBeLessThan(w('builds'));
    expect(w('builds')).toBeLessThan(w('novahost'));
    for (const p of reference().out.argocd.filter((o) => o.kind === 'AppProject')) expect(wave(p)).toBeLessThan(w('argocd-helm'));
  });

  it('installs third-party charts at pinned versions in the system project', () => {
    const helm = reference().out.argocd.filter((o) => o.kind === 'Application' && o.spec.source.chart);
    expect(helm.map((a) => [a.metadata.name, a.spec.source.chart, a.spec.source.targetRevision])).toEqual([
      ['argocd-helm', 'argo-cd', '10.1.1'], ['cert-manager-helm', 'cert-manager', 'v1.21.1'], ['traefik-helm', 'traefik', '41.3.0'],
    ]);
    for (const a of helm) {
      expect(a.spec.project).toBe('platform-system');
      expect(`${a.spec.source.helm.releaseName}-helm`).toBe(a.metadata.name);
    }
    expect(findObject(helm, 'Application', 'argocd-helm').spec.syncPolicy.syncOptions).toContain('ServerSideApply=true');
  });

  it('configures the Application health check so waves across child Applications wait', () => {
    const argocd = findObject(reference().out.argocd, 'Application', 'argocd-helm');
    const lua = argocd.spec.source.helm.valuesObject.configs.cm['resource.customizations.health.argoproj.io_Application'];
    expect(lua).toContain('obj.status.health.status');
  });

  it('never cascades the deletion of a folder that holds data', () => {
    const apps = reference().out.argocd;
    const data = findObject(apps, 'Application', 'data');
    expect(data.metadata.finalizers).toBeUndefined();
    expect(data.metadata.annotations['argocd.argoproj.io/sync-options']).toBe('Prune=false,Delete=false');
    expect(findObject(apps, 'Application', 'novahost').metadata.finalizers).toEqual(['resources-finalizer.argocd.argoproj.io']);
  });

  it('limits the apps project to the platform namespaces and the cluster kinds they hold', () => {
    const { out } = reference('isolated');
    const project = findObject(out.argocd, 'AppProject', 'platform');
    expect(project.spec.destinations.map((d: any) => d.namespace).sort()).toEqual(Object.keys(out).filter((n) => n !== 'argocd').sort());
    expect(project.spec.clusterResourceWhitelist).toEqual([{ group: '', kind: 'Namespace' }, { group: 'cert-manager.io', kind: 'ClusterIssuer' }]);
    expect(project.spec.sourceRepos).toEqual(['https://github.com/example/infra.git']);
  });

  it('marks objects whose CRD arrives in the same sync to skip their dry run', () => {
    const { out } = reference();
    const crdObjects = Object.values(out).flat().filter((o) => ['ClusterIssuer', 'Certificate', 'Middleware'].includes(o.kind));
    expect(crdObjects.length).toBeGreaterThan(0);
    for (const o of crdObjects) expect(o.metadata.annotations['argocd.argoproj.io/sync-options']).toContain('SkipDryRunOnMissingResource=true');
  });
});
