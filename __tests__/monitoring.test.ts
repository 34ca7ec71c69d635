import { Construct } from 'constructs';
import { CertManager, IngressController, NovahostApp } from '../lib';
import { Monitoring, MonitoringProps, addScrapeTarget } from '../lib/services/monitoring/monitoring';
import { capacityConsumers, capacityReport } from '../lib/checks/capacity';
import { placementReport } from '../lib';
import { findObject, routedPlatform, synthesize } from './support/platform';
import { helmValuesProblems, validateAll } from './support/schemas';

function monitored(props: MonitoringProps = {}) {
  const platform = routedPlatform();
  const traefik = platform.node.findAll().find((c): c is IngressController => c instanceof IngressController)!;
  const certManager = new CertManager(platform, 'cert-manager');
  const monitoring = new Monitoring(platform, 'monitoring', { ingressController: traefik, certManager, ...props });
  return { platform, monitoring };
}

const policies = (objects: any[]) => objects.filter((o) => o.kind === 'NetworkPolicy');

describe('Monitoring', () => {
  it('installs kube-prometheus-stack, Loki and Alloy in a privileged namespace that holds data (snapshot of its own objects)', () => {
    const { platform } = monitored();
    const objects = synthesize(platform);
    const own = objects.monitoring.filter((o) => o.kind !== 'ConfigMap' || !o.metadata.labels?.grafana_dashboard);
    expect(own.map((o) => `${o.kind}/${o.metadata.name}`)).toMatchSnapshot();
    const ns = findObject(objects.monitoring, 'Namespace', 'monitoring');
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
    expect(ns.metadata.annotations['argocd.argoproj.io/sync-options']).toContain('Delete=false');
    const releases = platform.helmReleases.filter((r) => r.namespace === 'monitoring');
    expect(releases.map((r) => `${r.chart}@${r.version}`)).toEqual(['alloy@1.11.1', 'kube-prometheus-stack@88.5.3', 'loki@18.11.0']);
    expect(releases.find((r) => r.chart === 'kube-prometheus-stack')!.serverSideApply).toBe(true);
  });

  it('passes values each chart knows (values.yaml or values.schema.json)', () => {
    const { monitoring } = monitored({ alertmanager: true, prometheus: { storageClass: 'local-path' }, loki: { storageClass: 'local-path' } });
    expect(helmValuesProblems('kube-prometheus-stack', monitoring.kubePrometheusStackValues)).toEqual([]);
    expect(helmValuesProblems('loki', monitoring.lokiValues)).toEqual([]);
    expect(helmValuesProblems('alloy', monitoring.alloyValues)).toEqual([]);
  });

  it('turns off what k3s does not expose, keeps the Grafana password in a Secret and finds dashboards everywhere', () => {
    const v = monitored().monitoring.kubePrometheusStackValues;
    for (const job of [v.kubeControllerManager, v.kubeScheduler, v.kubeProxy, v.kubeEtcd]) expect(job.enabled).toBe(false);
    expect(v.grafana.admin).toEqual({ existingSecret: 'grafana-admin' });
    expect(JSON.stringify(v)).not.toMatch(/adminPassword/);
    expect(v.grafana.sidecar.dashboards).toMatchObject({ enabled: true, label: 'grafana_dashboard', labelValue: '1', searchNamespace: 'ALL' });
    expect(v.alertmanager.enabled).toBe(false);
    expect(v.prometheus.prometheusSpec).toMatchObject({ retention: '7d', retentionSize: '6963MB', serviceMonitorSelectorNilUsesHelmValues: false, ruleSelectorNilUsesHelmValues: false });
    expect(v.prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec.resources.requests.storage).toBe('8Gi');
  });

  it('runs Loki as one binary on a retained filesystem volume and points Alloy and Grafana at it', () => {
    const { monitoring } = monitored({ loki: { retention: '72h', storageSize: '3Gi' } });
    const l = monitoring.lokiValues;
    expect(l.singleBinary).toMatchObject({ replicas: 1, persistence: { enabled: true, size: '3Gi', whenDeleted: 'Retain' } });
    expect([l.read.replicas, l.write.replicas, l.backend.replicas]).toEqual([0, 0, 0]);
    expect(l.loki).toMatchObject({ storage: { type: 'filesystem' }, commonConfig: { replication_factor: 1 }, limits_config: { retention_period: '72h' } });
    expect([l.chunksCache.enabled, l.resultsCache.enabled, l.minio.enabled]).toEqual([false, false, false]);
    const a = monitoring.alloyValues.alloy;
    expect(a.mounts.varlog).toBe(true);
    expect(a.configMap.content).toContain('url = "http://loki.monitoring.svc.cluster.local:3100/loki/api/v1/push"');
    expect(monitoring.kubePrometheusStackValues.grafana.additionalDataSources).toEqual([expect.objectContaining({ uid: 'loki', url: monitoring.lokiUrl })]);
  });

  it('writes an Alloy pipeline whose references all name declared components, with balanced braces', () => {
    const config = monitored().monitoring.alloyValues.alloy.configMap.content;
    const code = config.replace(/\/\/.*$/gm, '').replace(/"(?:[^"\\]|\\.)*"/g, '""');
    expect(code.split('{').length).toBe(code.split('}').length);
    const declared = new Set([...config.matchAll(/^([a-z_]+\.[a-z_.]+) "([a-z_]+)" \{/gm)].map((m) => `${m[1]}.${m[2]}`));
    const used = [...code.matchAll(/= \[?((?:discovery|local|loki)\.[a-z_.]+)\.(?:targets|output|receiver)/g)].map((m) => m[1]);
    expect(used.length).toBeGreaterThan(3);
    for (const ref of used) expect(declared).toContain(ref);
  });

  it('routes Grafana on its own host with TLS, to the chart Service, and lets Traefik reach port 3000', () => {
    const objects = synthesize(monitored().platform);
    const ingress = findObject(objects.monitoring, 'Ingress', 'grafana-example-com');
    expect(ingress.spec.tls).toEqual([{ hosts: ['grafana.example.com'], secretName: 'grafana-example-com-tls' }]);
    expect(ingress.spec.rules[0].http.paths[0].backend).toEqual({ service: { name: 'kube-prometheus-stack-grafana', port: { number: 80 } } });
    findObject(objects.monitoring, 'Certificate', 'grafana-example-com');
    const fromTraefik = findObject(objects.monitoring, 'NetworkPolicy', 'allow-ingress-grafana-from-shared');
    expect(fromTraefik.spec.podSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'grafana', 'app.kubernetes.io/instance': 'kube-prometheus-stack' });
    expect(fromTraefik.spec.ingress[0].ports).toEqual([{ port: 3000, protocol: 'TCP' }]);
  });

  it('declares the scrape connections: kubelet and node-exporter on the nodes, Traefik and cert-manager in shared', () => {
    const objects = synthesize(monitored({ nodeCidr: '10.0.0.0/24' }).platform);
    const nodes = findObject(objects.monitoring, 'NetworkPolicy', 'allow-egress-prometheus-to-nodes');
    expect(nodes.spec.egress[0]).toEqual({ to: [{ ipBlock: { cidr: '10.0.0.0/24' } }], ports: [{ port: 10250, protocol: 'TCP' }, { port: 9100, protocol: 'TCP' }] });
    const inShared = policies(objects.shared).filter((p) => p.metadata.name.endsWith('-from-monitoring'));
    expect(inShared.map((p) => [p.metadata.name, p.spec.ingress.map((r: any) => r.ports[0].port)])).toEqual(expect.arrayContaining([
      ['allow-ingress-traefik-from-monitoring', [9100]],
      ['allow-ingress-cert-manager-controller-from-monitoring', [9402]],
    ]));
    expect(findObject(objects.shared, 'ServiceMonitor', 'traefik').spec.endpoints).toEqual([{ port: 'metrics', path: '/metrics' }]);
    expect(findObject(objects.shared, 'Service', 'traefik-metrics').spec.selector).toEqual({ 'app.kubernetes.io/name': 'traefik' });
    const loki = findObject(objects.monitoring, 'NetworkPolicy', 'allow-ingress-loki-from-alloy');
    expect(loki.spec.ingress[0].ports).toEqual([{ port: 3100, protocol: 'TCP' }]);
  });

  it('renders objects that pass their schemas (ServiceMonitor, PrometheusRule, ConfigMaps, policies)', () => {
    const objects = synthesize(monitored().platform);
    expect(validateAll([...objects.monitoring, ...objects.shared])).toEqual([]);
  });

  it('ships every dashboard as a ConfigMap for the Grafana sidecar', () => {
    const maps = synthesize(monitored().platform).monitoring.filter((o) => o.kind === 'ConfigMap' && o.metadata.labels?.grafana_dashboard === '1');
    expect(maps.map((m) => m.metadata.name)).toEqual(expect.arrayContaining(['grafana-dashboard-platform-overview', 'grafana-dashboard-redis', 'grafana-dashboard-postgresql', 'grafana-dashboard-traefik', 'grafana-dashboard-apps']));
    for (const m of maps) expect(() => JSON.parse(Object.values(m.data)[0] as string)).not.toThrow();
  });

  it('lets the reference installation still fit its cluster', () => {
    // main.ts without the lead's wiring yet: add the stack the way main.ts will.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { platform } = require('../main');
    const find = <T>(cls: new (...a: any[]) => T): T => platform.node.findAll().find((c: unknown) => c instanceof cls);
    if (!platform.node.findAll().some((c: unknown) => c instanceof Monitoring)) {
      new Monitoring(platform, 'monitoring', { ingressController: find(IngressController), certManager: find(CertManager) });
    }
    const objects = [...platform.manifests().values()].flat();
    expect(placementReport(capacityConsumers(objects, platform.helmReleases), platform.cluster).fits).toBe(true);
    const report = capacityReport(objects, platform.helmReleases, platform.capacity);
    expect(report.consumers.filter((c) => c.name.startsWith('helm:kube-prometheus-stack/') || c.name.startsWith('helm:loki/') || c.name.startsWith('helm:alloy/')).length).toBeGreaterThanOrEqual(7);
  });

  it('fails when a retention is not a duration', () => {
    expect(() => monitored({ prometheus: { retention: 'a week' } }).platform.manifests()).toThrow(/monitoring.*prometheus\.retention.*"a week".*not a positive Prometheus duration.*"7d"/s);
  });

  it('fails when a volume size is not a quantity', () => {
    expect(() => monitored({ loki: { storageSize: '5 gigs' } }).platform.manifests()).toThrow(/loki\.storageSize.*"5 gigs".*is not a positive Kubernetes memory quantity/s);
  });

  it('fails when declared twice', () => {
    const { platform } = monitored();
    expect(() => new Monitoring(platform, 'again', { namespace: 'monitoring-2' })).toThrow(/declared twice.*declare one Monitoring per platform/s);
  });

  it('fails when something asks to be scraped without a Monitoring', () => {
    const platform = routedPlatform();
    const app = new NovahostApp(platform, 'demo', { services: { web: { image: 'ghcr.io/example/web:1.0.0', port: 3000 } } });
    addScrapeTarget(new Construct(app, 'Metrics'), 'ServiceMonitor', {
      name: 'web', labels: {}, serviceSelector: { a: 'b' }, portName: 'http', pods: { namespace: 'demo', podLabels: { a: 'b' }, name: 'web' }, containerPort: 3000,
    });
    expect(() => platform.manifests()).toThrow(/demo\/web.*needs Prometheus.*declares no Monitoring.*new Monitoring/s);
  });
});
