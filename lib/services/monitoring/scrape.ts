// Scrape targets: ServiceMonitors, exporter sidecars and the Prometheus rule in the network
// policies.
import { k8s } from 'cdk8s-plus-28';
import { Construct, IConstruct } from 'constructs';
import { ServiceMonitor } from '../../../imports/prometheusoperator-servicemonitor-monitoring.coreos.com';
import { configError } from '../../core/errors';
import { needsCrd } from '../../core/annotations';
import { NetworkPolicies, PodPeer } from '../../network/network-policies';
import { ComponentIdentity, selectorLabels, standardLabels } from '../../core/names';
import { Platform } from '../../core/platform';
import { DeriveStages, SlotKey } from '../../core/registry';
import { resourceRequirements, ResourceSpec, restrictedContainerSecurityContext } from '../../core/security';

/**
 * How constructs that expose metrics find Prometheus. The Monitoring construct registers its
 * Prometheus pods here; a ServiceMonitor declared anywhere gets its NetworkPolicy rule (Prometheus
 * -> the pods' metrics port) from that, so the exporter's owner never names the monitoring stack.
 */
export interface PrometheusHandle {
  /** The construct that installs Prometheus. */
  readonly owner: IConstruct;
  /** Prometheus' pods, for NetworkPolicies. */
  readonly pods: PodPeer;
}

const PROMETHEUS = new SlotKey<PrometheusHandle>('Monitoring', 'declare one Monitoring per platform', (existing) => `is declared twice; ${existing} already installs Prometheus`);

/** Called once by the Monitoring construct. */
export function registerPrometheus(handle: PrometheusHandle): void {
  Platform.of(handle.owner).registry.claim(PROMETHEUS, handle.owner, handle);
}

/** The platform's Prometheus, if a Monitoring construct installs one. */
export function prometheusOf(scope: IConstruct): PrometheusHandle | undefined {
  return Platform.of(scope).registry.slot(PROMETHEUS);
}

/** One metrics endpoint behind a Service. */
export interface ScrapeTargetProps {
  /** ServiceMonitor name (usually the Service's). */
  readonly name: string;
  /** Labels on the ServiceMonitor. */
  readonly labels: Record<string, string>;
  /** Labels of the Service(s) to scrape, in the scope's namespace. */
  readonly serviceSelector: Record<string, string>;
  /** Name of the Service port that serves metrics. */
  readonly portName: string;
  /** @default '/metrics' */
  readonly path?: string;
  /** @default - Prometheus' scrape interval (60s) */
  readonly interval?: string;
  /** The pods behind the Service and the container port, for the NetworkPolicy. */
  readonly pods: PodPeer;
  readonly containerPort: number;
}

/**
 * A ServiceMonitor plus the NetworkPolicy rule that lets Prometheus reach the pods. Without a
 * Monitoring construct in the platform synth fails: the ServiceMonitor CRD would be missing.
 */
export function addScrapeTarget(scope: Construct, id: string, props: ScrapeTargetProps): ServiceMonitor {
  const monitor = new ServiceMonitor(scope, id, {
    metadata: { name: props.name, labels: props.labels, annotations: needsCrd() },
    spec: {
      selector: { matchLabels: props.serviceSelector },
      endpoints: [{ port: props.portName, path: props.path ?? '/metrics', ...(props.interval ? { interval: props.interval } : {}) }],
    },
  });
  const platform = Platform.of(scope);
  // Monitoring may be declared after the exporter; the rule is added once every construct exists.
  platform.registry.derive(DeriveStages.CONNECTIONS, scope, () => {
    const prometheus = prometheusOf(scope);
    if (!prometheus) {
      throw configError(scope, {
        field: 'metrics',
        value: `${props.pods.namespace}/${props.name}`,
        problem: 'needs Prometheus (its ServiceMonitor CRD and scraper), but the platform declares no Monitoring',
        fix: "add new Monitoring(platform, 'monitoring', { ... }) to main.ts, or turn the metrics off",
      });
    }
    NetworkPolicies.of(scope).allow(scope, {
      from: prometheus.pods,
      to: props.pods,
      ports: [{ port: props.containerPort }],
      reason: `Prometheus scrapes ${props.pods.namespace}/${props.name}`,
    });
  });
  return monitor;
}

/**
 * Name of every exporter sidecar container, and of its port (also the Service and ServiceMonitor
 * port). The Prometheus operator labels each scraped target with the container that owns the port
 * and the endpoint's port name, so alert rules select exporters by these (monitoring/alerts.ts).
 */
export const EXPORTER_CONTAINER = 'exporter';
export const METRICS_PORT_NAME = 'metrics';

/** What an exporter sidecar needs: its image, its settings and the port it serves metrics on. */
export interface ExporterProps {
  readonly image: string;
  readonly env: k8s.EnvVar[];
  readonly port: number;
  /** @default 10m / 32Mi requested, 64Mi limit */
  readonly resources?: ResourceSpec;
}

/**
 * A metrics exporter running beside a server in its pod: restricted, read-only, probed on its
 * port, which is named `metrics` (METRICS_PORT_NAME).
 */
export function exporterContainer(props: ExporterProps): k8s.Container {
  const port = k8s.IntOrString.fromString(METRICS_PORT_NAME);
  return {
    name: EXPORTER_CONTAINER,
    image: props.image,
    env: props.env,
    ports: [{ name: METRICS_PORT_NAME, containerPort: props.port, protocol: 'TCP' }],
    resources: resourceRequirements(props.resources, { cpuRequest: '10m', memoryRequest: '32Mi', memoryLimit: '64Mi' }),
    securityContext: restrictedContainerSecurityContext(),
    readinessProbe: { tcpSocket: { port }, periodSeconds: 10, timeoutSeconds: 3 },
    livenessProbe: { tcpSocket: { port }, periodSeconds: 20, timeoutSeconds: 3, failureThreshold: 6 },
  };
}

/**
 * The Service `<name>-metrics` in front of a server's exporter port, and the ServiceMonitor (with
 * its NetworkPolicy rule) that scrapes it. `identity` is the server's; the Service takes the
 * component `metrics`.
 */
export function addMetricsEndpoint(scope: Construct, props: { name: string; identity: ComponentIdentity; pods: PodPeer; port: number }): void {
  const identity = { ...props.identity, component: 'metrics' };
  new k8s.KubeService(scope, 'MetricsService', {
    metadata: { name: `${props.name}-metrics`, labels: standardLabels(identity) },
    spec: {
      type: 'ClusterIP',
      selector: props.pods.podLabels,
      ports: [{ name: METRICS_PORT_NAME, port: props.port, targetPort: k8s.IntOrString.fromString(METRICS_PORT_NAME), protocol: 'TCP' }],
    },
  });
  addScrapeTarget(scope, 'ServiceMonitor', {
    name: props.name,
    labels: standardLabels(identity),
    serviceSelector: selectorLabels(identity),
    portName: METRICS_PORT_NAME,
    pods: props.pods,
    containerPort: props.port,
  });
}
