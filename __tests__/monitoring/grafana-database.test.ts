// Grafana's own state in a database of SharedPostgres: the chart values, what the pinned chart
// really renders from them (chart facts of the reference installation), the network rule, the
// backup rows and the sync wave.
import { Monitoring, NovahostApp, SharedPostgres, SharedRedis } from '../../lib';
import { platform as reference } from '../../main';
import { valuesSets } from '../charts/facts';
import { canConnect } from '../support/reachability';
import { routedPlatform, synthesize } from '../support/platform';

const monitoringOf = (platform: typeof reference) => platform.node.findAll().find((c): c is Monitoring => c instanceof Monitoring)!;

describe("Grafana's database", () => {
  const monitoring = monitoringOf(reference);
  const db = monitoring.grafanaDatabase!;

  it('is a database and role "grafana" of the reference installation\'s SharedPostgres', () => {
    const postgres = reference.node.findAll().find((c): c is SharedPostgres => c instanceof SharedPostgres)!;
    expect(postgres.databaseHandles.map((d) => d.database)).toContain('grafana');
    expect([db.database, db.role, db.server.host, db.server.port]).toEqual(['grafana', 'grafana', 'postgres.shared.svc.cluster.local', 5432]);
    // The password is declared (for npm run secrets) in both namespaces, never rendered.
    const refs = postgres.secretReferences.map((r) => `${r.namespace}/${r.name}/${r.key}`);
    expect(refs).toEqual(expect.arrayContaining(['monitoring/grafana-postgres/password', 'shared/postgres-app-grafana/password']));
  });

  it('reaches Grafana through the grafana chart as rendered by helm: the ini file has [database], the container the password from the Secret', () => {
    const facts = valuesSets().find((s) => s.name === 'reference')!.facts.get('kube-prometheus-stack')!;
    const ini = (facts as any).iniFiles.find((f: any) => f.kind === 'ConfigMap' && f.key === 'grafana.ini');
    expect(ini.sections.database).toEqual({ type: 'postgres', host: db.server.host, port: String(db.server.port), name: 'grafana', user: 'grafana', ssl_mode: 'disable' });
    const deployment = facts.workloads.find((w) => w.kind === 'Deployment' && w.name === 'kube-prometheus-stack-grafana')!;
    const container = deployment.containers.find((c) => c.name === 'grafana') as any;
    expect(container.env).toContainEqual({ name: 'GF_DATABASE_PASSWORD', valueFrom: { kind: 'secretKeyRef', from: `${db.password.name}/${db.password.key}` } });
    // The secret_key that encrypts what Grafana stores comes from its own Secret, not the default.
    expect(container.env).toContainEqual({ name: 'GF_SECURITY_SECRET_KEY', valueFrom: { kind: 'secretKeyRef', from: `${monitoring.secretKeySecret}/secret-key` } });
    expect(Object.keys(ini.sections.security ?? {})).not.toContain('secret_key');
    // The ConfigMap mounted as grafana.ini is the one the facts parsed, and it holds no password.
    expect(ini.name).toBe('kube-prometheus-stack-grafana');
    expect(Object.keys(ini.sections.database)).not.toContain('password');
  });

  it('lets Grafana reach postgres:5432, and nothing else of the data services', () => {
    const objects = [...reference.manifests()].flatMap(([, objs]) => objs) as any[];
    const grafana = { namespace: monitoring.namespace, labels: monitoring.grafana.podLabels };
    const server = { namespace: db.server.namespace, labels: db.server.podLabels };
    expect(canConnect(objects, grafana, server, 5432)).toBe(true);
    expect(canConnect(objects, grafana, server, 9187)).toBe(false); // the exporter
    const redis = reference.node.findAll().find((c): c is SharedRedis => c instanceof SharedRedis)!;
    expect(canConnect(objects, grafana, { namespace: redis.server.namespace, labels: redis.server.podLabels }, redis.server.port)).toBe(false);
    for (const svc of reference.node.findAll().filter((c): c is NovahostApp => c instanceof NovahostApp).flatMap((a) => a.allServices)) {
      expect([svc.name, canConnect(objects, grafana, { namespace: svc.namespace, labels: svc.podLabels }, svc.port)]).toEqual([svc.name, false]);
    }
    // Nothing else reaches PostgreSQL through Grafana's rule: Prometheus still only scrapes the exporter.
    expect(canConnect(objects, { namespace: monitoring.namespace, labels: monitoring.prometheus.podLabels }, server, 5432)).toBe(false);
  });

  it("puts the chart (Grafana's Deployment) in the database's wave, so the first sync does not wait on a database it has not made", () => {
    const app: any = (reference.manifests().get('argocd') as any[]).find((o: any) => o.kind === 'Application' && o.metadata.name === 'kube-prometheus-stack-helm');
    const postgresFolder: any = (reference.manifests().get('argocd') as any[]).find((o: any) => o.kind === 'Application' && o.metadata.name === 'shared');
    expect(app.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe(postgresFolder.metadata.annotations['argocd.argoproj.io/sync-wave']);
  });

  it('says in the data-safety table that Grafana\'s state is in PostgreSQL', () => {
    const rows = monitoring.backupPlan.rows.map((r) => `${r.state} | ${r.where} | ${r.restore}`).join('\n');
    expect(rows).toMatch(/Grafana's own state .*database `grafana`|Grafana's own state/);
    expect(monitoring.backupPlan.rows.find((r) => r.state.startsWith("Grafana's own state"))!.what).toContain('database `grafana` on PostgreSQL `shared/postgres`');
    expect(rows).toContain('postgres-restore -- grafana');
    expect(rows).not.toContain('nothing else to restore');
  });
});

describe('Grafana without a database', () => {
  const platform = routedPlatform();
  const monitoring = new Monitoring(platform, 'monitoring');
  const objects = synthesize(platform);

  it('keeps SQLite in the pod, and the data-safety table says it is lost', () => {
    expect(monitoring.grafanaDatabase).toBeUndefined();
    expect(monitoring.kubePrometheusStackValues.grafana['grafana.ini']).toBeUndefined();
    expect(Object.keys(monitoring.kubePrometheusStackValues.grafana.envValueFrom ?? {})).toEqual(['GF_SECURITY_SECRET_KEY']);
    const row = monitoring.backupPlan.rows.find((r) => r.state.startsWith("Grafana's own state"))!;
    expect(row.restore).toMatch(/^not backed up: lost whenever the pod is replaced/);
    expect(row.restore).toContain('grafana: { database: { server: postgres } }');
  });

  it('keeps the chart in the operators wave and renders no rule to a database', () => {
    expect(platform.helmReleases.find((r) => r.chart === 'kube-prometheus-stack')!.wave).toBe(0);
    expect(objects.monitoring.filter((o) => o.kind === 'NetworkPolicy').map((o) => o.metadata.annotations?.['novahost-platform/reasons']).join(';')).not.toContain('database');
  });
});

describe('Monitoring grafana.database', () => {
  it('fails when the server is not a database provider, saying what to pass', () => {
    const platform = routedPlatform();
    expect(() => {
      new Monitoring(platform, 'monitoring', { grafana: { database: { server: 'postgres' as any } } });
      synthesize(platform);
    }).toThrow(/monitoring: grafana\.database\.server "postgres" is not a database server\. Fix: pass the SharedPostgres of main\.ts/);
  });

  it("fails when the database name is taken by an app's, naming both", () => {
    const platform = routedPlatform();
    const postgres = new SharedPostgres(platform, 'postgres', { sharedPreloadLibraries: [] });
    new NovahostApp(platform, 'grafana', { services: { web: { image: 'ghcr.io/x/web:1.0.0', port: 3000 } }, database: { server: postgres } });
    expect(() => new Monitoring(platform, 'monitoring', { grafana: { database: { server: postgres } } }))
      .toThrow(/^monitoring\/GrafanaDatabase: database name \(derived from the app name\) "grafana" is already the database of grafana on shared\/postgres/);
  });
});
