// Monitoring: kube-prometheus-stack, Loki and Alloy, Grafana routed with TLS, and the platform's
// alerts.
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { PrometheusRule, PrometheusRuleSpecGroupsRulesExpr } from '../../../imports/prometheusoperator-prometheusrule-monitoring.coreos.com';
import { ServiceMonitor } from '../../../imports/prometheusoperator-servicemonitor-monitoring.coreos.com';
import { K3S_SYSTEM_NAMESPACE } from '../../cluster/k3s';
import { parseQuantity } from '../../core/quantity';
import { checkPrometheusDuration } from '../../core/duration';
import { dataStorageClass } from '../../core/volumes';
import { configError } from '../../core/errors';
import { needsCrd, SyncWave } from '../../core/annotations';
import type { DatabaseHandle, SecretKeyReference } from '../../core/handles';
import { chartResources, ChartResources } from '../../core/helm-values';
import { IngressRoute, RouteBackend } from '../../routing/ingress-route';
import { alloyConfig } from './alloy-config';
import { AlertOptions, DEFAULT_ALERT_OPTIONS, platformAlerts } from './alerts';
import { DASHBOARD_LABEL, Datasources, loadDashboards } from './dashboards';
import { registerPrometheus } from './scrape';
import { addGrafanaDatabase, allowGrafanaDatabase, grafanaBackupRows, grafanaDatabaseValues } from './grafana-database';
import { MONITORING_PROPS, MonitoringProps } from './props';
import { checkProps } from '../../core/prop-schema';

export type { GrafanaDatabaseOptions, GrafanaOptions, LokiOptions, MonitoringProps, PrometheusOptions } from './props';
import { AlloyValues, KubePrometheusStackValues, LokiValues } from './values';
import { checkName, MANAGED_BY, NameRules, PART_OF } from '../../core/names';
import { CidrPeer, KUBE_API_PORTS, NetworkPolicies, NetworkPort, Peers, PodPeer } from '../../network/network-policies';
import { NamespacedConstruct } from '../../core/platform';
import { PodSecurity } from '../../core/namespace-chart';
import type { ResourceSpec } from '../../core/security';
import { declareSecrets } from '../../core/secrets';
import { BackupDeclarer, BackupPlan, declareBackups } from '../../core/backups';
import { helmChart, PINS } from '../../core/pins';

/** The key of Grafana's secret_key in its Secret. */
const GRAFANA_SECRET_KEY = 'secret-key';

export { Datasources, DASHBOARD_LABEL } from './dashboards';
export { addScrapeTarget, prometheusOf } from './scrape';
export type { ScrapeTargetProps, PrometheusHandle } from './scrape';
export { platformAlerts, DEFAULT_ALERT_OPTIONS } from './alerts';
export type { AlertRule, AlertOptions } from './alerts';

/** The monitoring charts the platform installs. */
export const MONITORING_CHARTS = {
  kubePrometheusStack: helmChart(PINS.charts.kubePrometheusStack),
  loki: helmChart(PINS.charts.loki),
  alloy: helmChart(PINS.charts.alloy),
} as const;


/** Release names; the charts derive every object name from them. */
const KPS = 'kube-prometheus-stack';
const LOKI = 'loki';
const ALLOY = 'alloy';

/**
 * Metrics, logs and dashboards for the platform: kube-prometheus-stack (Prometheus, its operator,
 * kube-state-metrics, node-exporter, Grafana), Loki (single binary, filesystem) and Alloy (a
 * DaemonSet that ships pod logs to Loki), sized for one small node. Dashboards are the JSON files
 * in `dashboards/`, alerts are `monitoring/alerts.ts`; ServiceMonitors of other constructs find
 * Prometheus through `prometheusOf()`.
 *
 * @example
 * new Monitoring(platform, 'monitoring', { ingressController: traefik, certManager });
 */
export class Monitoring extends NamespacedConstruct implements BackupDeclarer {
  public readonly kubePrometheusStackValues: KubePrometheusStackValues;
  public readonly lokiValues: LokiValues;
  public readonly alloyValues: AlloyValues;
  /** Prometheus' pods. */
  public readonly prometheus: PodPeer;
  /** In-cluster URL of Prometheus' query API. */
  public readonly prometheusUrl: string;
  /** In-cluster URL of Loki. */
  public readonly lokiUrl: string;
  /** The Grafana Service of the chart, as a route backend. */
  public readonly grafana: RouteBackend;
  /** Grafana's public host, when routed. */
  public readonly grafanaHost?: string;
  public readonly adminSecret: string;
  /** The Secret with Grafana's `secret_key` (encryption of what it stores). */
  public readonly secretKeySecret: string;
  private readonly retention: { readonly prometheus: string; readonly loki: string };
  public readonly alertmanager: boolean;
  /** Grafana's database, when it has one (else its state is SQLite in the pod). */
  public readonly grafanaDatabase?: DatabaseHandle;

  constructor(scope: Construct, id: string, props: MonitoringProps = {}) {
    super(scope, id, props?.namespace ?? 'monitoring', {
      wave: SyncWave.SHARED_SERVICES,
      holdsData: true,
      podSecurity: PodSecurity.PRIVILEGED,
      podSecurityReason: 'node-exporter reads the host (hostNetwork, hostPID, host / read-only) and Alloy tails /var/log/pods from the host',
    });
    // Synthesis does not type-check: each bad prop is reported, and its default used instead.
    props = checkProps<MonitoringProps>(this, props, MONITORING_PROPS);
    declareSecrets(this);
    declareBackups(this);
    const ns = this.namespace;
    this.prometheus = { namespace: ns, podLabels: { 'app.kubernetes.io/name': 'prometheus' }, name: 'prometheus' };
    registerPrometheus({ owner: this, pods: this.prometheus });
    const prom = props.prometheus ?? {};
    const loki = props.loki ?? {};
    const retention = checkPrometheusDuration(this, 'prometheus.retention', prom.retention ?? '7d');
    const scrapeInterval = checkPrometheusDuration(this, 'prometheus.scrapeInterval', prom.scrapeInterval ?? '60s');
    const lokiRetention = checkPrometheusDuration(this, 'loki.retention', loki.retention ?? '168h');
    this.retention = { prometheus: retention, loki: lokiRetention };
    const promStorage = prom.storageSize ?? '8Gi';
    const lokiStorage = loki.storageSize ?? '5Gi';
    const promBytes = this.size('prometheus.storageSize', promStorage);
    this.size('loki.storageSize', lokiStorage);
    const promClass = dataStorageClass(this, 'prometheus.storageClass', prom.storageClass);
    const lokiClass = dataStorageClass(this, 'loki.storageClass', loki.storageClass);
    this.adminSecret = checkName(this, 'grafana.adminSecret', props.grafana?.adminSecret ?? 'grafana-admin', NameRules.DNS1123_SUBDOMAIN);
    this.alertmanager = props.alertmanager ?? false;
    this.secretKeySecret = 'grafana-secret-key';
    const grafanaDbProps = props.grafana?.database;
    if (grafanaDbProps?.server) this.grafanaDatabase = addGrafanaDatabase(this, ns, grafanaDbProps.server, grafanaDbProps.name);
    const grafanaDb = this.grafanaDatabase ? grafanaDatabaseValues(this.grafanaDatabase) : undefined;
    const nodes: CidrPeer = { cidr: props.nodeCidr ?? '0.0.0.0/0', name: 'nodes' };

    const prometheusService = `${KPS}-prometheus`;
    this.prometheusUrl = `http://${prometheusService}.${ns}.svc.cluster.local:9090`;
    this.lokiUrl = `http://${LOKI}.${ns}.svc.cluster.local:3100`;

    this.kubePrometheusStackValues = {
      crds: { enabled: true },
      defaultRules: {
        create: true,
        // Rules about components k3s runs inside its own process, or that are off here.
        rules: {
          etcd: false, kubeControllerManager: false, kubeProxy: false, kubeSchedulerAlerting: false, kubeSchedulerRecording: false,
          windows: false, alertmanager: this.alertmanager,
        },
      },
      windowsMonitoring: { enabled: false },
      alertmanager: this.alertmanager
        ? { enabled: true, alertmanagerSpec: { replicas: 1, retention: '120h', resources: chartResources('10m', '32Mi', '64Mi') } }
        : { enabled: false },
      grafana: {
        enabled: true,
        defaultDashboardsEnabled: true,
        defaultDashboardsTimezone: 'utc',
        // The chart's default keys, admin-user and admin-password, are the ones secretReferences names.
        admin: { existingSecret: this.adminSecret },
        sidecar: {
          dashboards: { enabled: true, label: DASHBOARD_LABEL.key, labelValue: DASHBOARD_LABEL.value, searchNamespace: 'ALL' },
          datasources: { enabled: true, uid: Datasources.PROMETHEUS.uid, alertmanager: { enabled: this.alertmanager } },
          resources: chartResources('5m', '48Mi', '128Mi'),
        },
        additionalDataSources: [{ name: 'Loki', uid: Datasources.LOKI.uid, type: Datasources.LOKI.type, url: this.lokiUrl, access: 'proxy' }],
        resources: chartResources('25m', '128Mi', '384Mi'),
        // A `helm test` Pod without requests; neither Argo CD nor Flux (by default) runs it.
        testFramework: { enabled: false },
        ...(grafanaDb ? { 'grafana.ini': grafanaDb['grafana.ini'] } : {}),
        envValueFrom: {
          // [security] secret_key encrypts the data keys of what Grafana keeps secret in its database
          // (data source passwords, tokens); with the built-in default anyone can decrypt a copy,
          // and a restore needs the key the state was written with (GF_<SECTION>_<KEY> override).
          GF_SECURITY_SECRET_KEY: { secretKeyRef: { name: this.secretKeySecret, key: GRAFANA_SECRET_KEY } },
          ...grafanaDb?.envValueFrom,
        },
      },
      'kube-state-metrics': { resources: chartResources('10m', '32Mi', '128Mi') },
      'prometheus-node-exporter': { resources: chartResources('10m', '24Mi', '64Mi') },
      // k3s runs these inside the k3s process and does not expose their metrics; single-server
      // k3s keeps its state in SQLite (kine), not etcd.
      kubeControllerManager: { enabled: false },
      kubeScheduler: { enabled: false },
      kubeProxy: { enabled: false },
      kubeEtcd: { enabled: false },
      // The chart's CoreDNS scrape writes a Service into kube-system, which the platform-system
      // AppProject does not admit; the ServiceMonitor below scrapes k3s's own kube-dns Service.
      coreDns: { enabled: false },
      kubelet: { enabled: true, jobNameOverride: '' },
      prometheusOperator: {
        // The admission webhook needs two hook Jobs and an API-server-to-pod connection; the tests
        // validate our PrometheusRules, so it buys little on one node. Its TLS secret comes from
        // the same Jobs, so the operator serves plain HTTP on 8080.
        tls: { enabled: false },
        admissionWebhooks: { enabled: false },
        resources: chartResources('10m', '32Mi', '96Mi'),
        prometheusConfigReloader: { resources: chartResources('5m', '12Mi', '32Mi') },
      },
      prometheus: {
        prometheusSpec: {
          replicas: 1,
          retention,
          // Prometheus' units are powers of 1024; keep 15% of the volume free for the WAL and compaction.
          retentionSize: `${Math.floor((promBytes * 0.85) / 2 ** 20)}MB`,
          scrapeInterval,
          walCompression: true,
          resources: toChartResources(prom.resources, { cpuRequest: '50m', memoryRequest: '128Mi', memoryLimit: '512Mi' }),
          storageSpec: {
            volumeClaimTemplate: {
              spec: {
                ...(promClass ? { storageClassName: promClass } : {}),
                accessModes: ['ReadWriteOnce'],
                resources: { requests: { storage: promStorage } },
              },
            },
          },
          // Select ServiceMonitors and rules of every namespace, not only those labelled with the release.
          serviceMonitorSelectorNilUsesHelmValues: false,
          podMonitorSelectorNilUsesHelmValues: false,
          ruleSelectorNilUsesHelmValues: false,
          probeSelectorNilUsesHelmValues: false,
          scrapeConfigSelectorNilUsesHelmValues: false,
        },
      },
    };

    this.lokiValues = {
      deploymentMode: 'Monolithic',
      loki: {
        auth_enabled: false,
        commonConfig: { replication_factor: 1 },
        storage: { type: 'filesystem' },
        schemaConfig: {
          configs: [{ from: '2024-04-01', store: 'tsdb', object_store: 'filesystem', schema: 'v13', index: { prefix: 'loki_index_', period: '24h' } }],
        },
        limits_config: { retention_period: lokiRetention },
        compactor: { retention_enabled: true, delete_request_store: 'filesystem', working_directory: '/var/loki/compactor' },
        analytics: { reporting_enabled: false },
      },
      singleBinary: {
        replicas: 1,
        // The rules sidecar watches ConfigMaps through the API; Loki rules are not used here.
        sidecar: false,
        resources: toChartResources(loki.resources, { cpuRequest: '20m', memoryRequest: '96Mi', memoryLimit: '384Mi' }),
        persistence: {
          enabled: true,
          size: lokiStorage,
          ...(lokiClass ? { storageClass: lokiClass } : {}),
          whenDeleted: 'Retain',
          whenScaled: 'Retain',
        },
      },
      read: { replicas: 0 },
      write: { replicas: 0 },
      backend: { replicas: 0 },
      gateway: { enabled: false },
      chunksCache: { enabled: false },
      resultsCache: { enabled: false },
      minio: { enabled: false },
      lokiCanary: { enabled: false },
      test: { enabled: false },
      monitoring: { serviceMonitor: { enabled: true } },
    };

    this.alloyValues = {
      crds: { create: false },
      alloy: {
        configMap: { create: true, content: alloyConfig(`${this.lokiUrl}/loki/api/v1/push`) },
        mounts: { varlog: true },
        enableReporting: false,
        resources: chartResources('10m', '48Mi', '192Mi'),
      },
      configReloader: { resources: { requests: { cpu: '5m', memory: '12Mi' } } },
      controller: { type: 'daemonset' },
      serviceMonitor: { enabled: true },
    };

    this.platform.addHelmRelease(this, {
      name: KPS, namespace: ns, ...MONITORING_CHARTS.kubePrometheusStack, values: this.kubePrometheusStackValues,
      // Grafana is in this release and does not start without its database, which the server's
      // wave creates (provisioning is its PostSync hook): in an earlier wave this release would
      // never become healthy and the first sync would wait forever. Its CRDs' users skip their
      // dry run and are retried until the CRDs exist.
      wave: this.grafanaDatabase ? SyncWave.SHARED_SERVICES : SyncWave.OPERATORS, serverSideApply: true,
    });
    this.platform.addHelmRelease(this, { name: LOKI, namespace: ns, ...MONITORING_CHARTS.loki, values: this.lokiValues, wave: SyncWave.SHARED_SERVICES });
    this.platform.addHelmRelease(this, { name: ALLOY, namespace: ns, ...MONITORING_CHARTS.alloy, values: this.alloyValues, wave: SyncWave.SHARED_SERVICES });

    // Pod labels as the charts render them (see the report in the commit for the sources).
    const pods = {
      operator: { namespace: ns, podLabels: { app: `${KPS}-operator`, release: KPS }, name: 'prometheus-operator' },
      kubeStateMetrics: { namespace: ns, podLabels: { 'app.kubernetes.io/name': 'kube-state-metrics', 'app.kubernetes.io/instance': KPS }, name: 'kube-state-metrics' },
      grafana: { namespace: ns, podLabels: { 'app.kubernetes.io/name': 'grafana', 'app.kubernetes.io/instance': KPS }, name: 'grafana' },
      alertmanager: { namespace: ns, podLabels: { 'app.kubernetes.io/name': 'alertmanager' }, name: 'alertmanager' },
      loki: { namespace: ns, podLabels: { 'app.kubernetes.io/name': 'loki', 'app.kubernetes.io/instance': LOKI }, name: 'loki' },
      alloy: { namespace: ns, podLabels: { 'app.kubernetes.io/name': 'alloy', 'app.kubernetes.io/instance': ALLOY }, name: 'alloy' },
    } satisfies Record<string, PodPeer>;
    this.allowTraffic(pods, nodes);
    if (this.grafanaDatabase) allowGrafanaDatabase(this, pods.grafana, this.grafanaDatabase);

    this.grafana = { name: 'grafana', serviceName: `${KPS}-grafana`, namespace: ns, port: 80, targetPort: 3000, podLabels: pods.grafana.podLabels };
    if (props.grafana?.routed ?? true) {
      this.grafanaHost = checkName(this, 'grafana.host', props.grafana?.host ?? this.platform.host('grafana'), NameRules.HOSTNAME);
      new IngressRoute(this, 'GrafanaRoute', { host: this.grafanaHost, path: '/', backend: this.grafana });
    }

    this.renderCoreDnsScrape();
    this.renderDashboards();
    this.renderAlerts({ ...DEFAULT_ALERT_OPTIONS, ...props.alerts });
    // Each owner renders its own metrics Service and ServiceMonitor; Monitoring only asks.
    props.ingressController?.enableMetrics();
    props.certManager?.enableMetrics();
  }

  /** What the README's data-safety block says of Grafana, Prometheus and Loki (`npm run backups`). */
  public get backupPlan(): BackupPlan {
    return {
      rows: [
        ...grafanaBackupRows(this.namespace, this.adminSecret, this.grafanaDatabase),
        { state: 'Prometheus, Loki', what: `metrics of the last ${this.retention.prometheus} and logs of the last ${this.retention.loki}`, where: 'their volumes only', schedule: '-', restore: 'not backed up: they refill' },
      ],
      // The restored database holds the admin login and what secret_key encrypted.
      oldSecrets: this.grafanaDatabase ? [`${this.secretKeySecret} (${GRAFANA_SECRET_KEY})`, `${this.adminSecret} (admin-user, admin-password)`] : [],
    };
  }

  /** The Secret keys the stack reads (Grafana's database password is declared by its server). */
  public get secretReferences(): SecretKeyReference[] {
    return [
      // Generated too: Grafana's UI is public, so a guessable login name is one secret less.
      { namespace: this.namespace, name: this.adminSecret, key: 'admin-user', description: 'Grafana admin login name (random; read it from the Secret)', value: { kind: 'generated' } },
      { namespace: this.namespace, name: this.adminSecret, key: 'admin-password', description: 'Grafana admin password; random, at least 16 characters', value: { kind: 'generated', length: 32 } },
      { namespace: this.namespace, name: this.secretKeySecret, key: GRAFANA_SECRET_KEY, description: "Grafana's [security] secret_key: encrypts the secrets it stores; a restored database needs the old value", value: { kind: 'generated', length: 32 } },
    ];
  }

  private allowTraffic(pods: Record<'operator' | 'kubeStateMetrics' | 'grafana' | 'alertmanager' | 'loki' | 'alloy', PodPeer>, nodes: CidrPeer): void {
    const network = NetworkPolicies.of(this);
    const allow = (from: PodPeer | CidrPeer, to: PodPeer | CidrPeer, ports: NetworkPort[], reason: string) => network.allow(this, { from, to, ports, reason });
    const prometheus = this.prometheus;
    for (const from of [prometheus, pods.operator, pods.kubeStateMetrics, pods.grafana, pods.alloy]) {
      allow(from, Peers.KUBE_API, KUBE_API_PORTS, `${from.name} watches the Kubernetes API`);
    }
    allow(prometheus, nodes, [{ port: 10250 }, { port: 9100 }], 'Prometheus scrapes the kubelet (cAdvisor, volume stats) and node-exporter on the host network');
    allow(prometheus, prometheus, [{ port: 9090 }, { port: 8080 }], 'Prometheus scrapes itself and its config reloader');
    allow(prometheus, pods.operator, [{ port: 8080 }], 'Prometheus scrapes the operator');
    allow(prometheus, pods.kubeStateMetrics, [{ port: 8080 }], 'Prometheus scrapes kube-state-metrics');
    allow(prometheus, pods.grafana, [{ port: 3000 }], 'Prometheus scrapes Grafana');
    allow(prometheus, pods.loki, [{ port: 3100 }], 'Prometheus scrapes Loki');
    allow(prometheus, pods.alloy, [{ port: 12345 }], 'Prometheus scrapes Alloy');
    allow(prometheus, { namespace: K3S_SYSTEM_NAMESPACE, podLabels: { 'k8s-app': 'kube-dns' }, name: 'coredns' }, [{ port: 9153 }], 'Prometheus scrapes CoreDNS');
    allow(pods.grafana, prometheus, [{ port: 9090 }], 'Grafana queries Prometheus');
    allow(pods.grafana, pods.loki, [{ port: 3100 }], 'Grafana queries Loki');
    allow(pods.alloy, pods.loki, [{ port: 3100 }], 'Alloy pushes pod logs to Loki');
    // Memberlist and gRPC between Loki's modules go through its own Services, back to the same pod.
    allow(pods.loki, pods.loki, [{ port: 7946 }, { port: 9095 }], 'Loki modules talk to each other');
    if (this.alertmanager) {
      allow(prometheus, pods.alertmanager, [{ port: 9093 }, { port: 8080 }], 'Prometheus sends alerts to and scrapes Alertmanager');
      allow(pods.grafana, pods.alertmanager, [{ port: 9093 }], 'Grafana reads Alertmanager');
    }
  }

  /**
   * CoreDNS metrics from k3s's `kube-system/kube-dns` Service (port `metrics`, 9153; k3s
   * `manifests/coredns.yaml`), selected across namespaces from here, so nothing is written into
   * kube-system. The NetworkPolicy rule to the CoreDNS pods is in allowTraffic().
   */
  private renderCoreDnsScrape(): void {
    new ServiceMonitor(this, 'CoreDns', {
      metadata: { name: 'coredns', labels: this.labels('coredns'), annotations: needsCrd() },
      spec: {
        namespaceSelector: { matchNames: [K3S_SYSTEM_NAMESPACE] },
        selector: { matchLabels: { 'k8s-app': 'kube-dns' } },
        jobLabel: 'k8s-app',
        endpoints: [{ port: 'metrics', path: '/metrics' }],
      },
    });
  }

  private renderDashboards(): void {
    for (const d of loadDashboards()) {
      const name = checkName(this, 'dashboard file', `grafana-dashboard-${d.name}`, NameRules.DNS1123_SUBDOMAIN);
      new k8s.KubeConfigMap(this, `Dashboard-${d.name}`, {
        metadata: { name, labels: { ...this.labels('dashboard'), [DASHBOARD_LABEL.key]: DASHBOARD_LABEL.value } },
        data: { [`${d.name}.json`]: d.json },
      });
    }
  }

  private renderAlerts(options: AlertOptions): void {
    const groups = platformAlerts(options);
    new PrometheusRule(this, 'Alerts', {
      metadata: { name: 'novahost-platform-alerts', labels: this.labels('alerts'), annotations: needsCrd() },
      spec: {
        groups: Object.entries(groups).map(([name, rules]) => ({
          name,
          rules: rules.map((r) => ({
            alert: r.alert,
            expr: PrometheusRuleSpecGroupsRulesExpr.fromString(r.expr),
            for: r.for,
            labels: { severity: r.severity },
            annotations: { summary: r.summary, description: r.description },
          })),
        })),
      },
    });
  }

  private labels(component: string): Record<string, string> {
    return {
      'app.kubernetes.io/name': 'monitoring', 'app.kubernetes.io/instance': this.node.id, 'app.kubernetes.io/component': component,
      'app.kubernetes.io/part-of': PART_OF, 'app.kubernetes.io/managed-by': MANAGED_BY,
    };
  }

  private size(field: string, value: string): number {
    const bytes = parseQuantity(value) ?? NaN;
    if (!(bytes >= 2 ** 30)) {
      throw configError(this, { field, value, problem: 'is not a volume size of at least 1Gi', fix: 'use a Kubernetes quantity such as "8Gi"' });
    }
    return bytes;
  }
}

function toChartResources(spec: ResourceSpec | undefined, defaults: Required<Omit<ResourceSpec, 'cpuLimit'>>): ChartResources {
  const r = { ...defaults, ...spec };
  return { requests: { cpu: r.cpuRequest, memory: r.memoryRequest }, limits: { memory: r.memoryLimit, ...(r.cpuLimit ? { cpu: r.cpuLimit } : {}) } };
}
