// Does the installation fit its node? The capacity report and the synth check built on it.
import { DEFAULT_CAPACITY, DEFAULT_SYSTEM_RESERVED, NodeCapacity } from '../core/cluster';
import { PlatformError } from '../core/errors';
import type { HelmRelease } from '../core/helm-releases';
import { formatMemoryApprox as formatMemory, parseCpu, parseMemory } from '../core/quantity';

/**
 * Does the installation fit its node? Sums the CPU and memory REQUESTS of everything deployed (what
 * the scheduler reserves), our own workloads from their objects and third-party charts from the
 * values we give them, and compares the sum with the node minus what k3s itself needs.
 *
 * Decisions:
 * - One node: a DaemonSet counts once; `replicas` (default 1) multiply a pod's requests.
 * - A pod's request is the Kubernetes effective request: max(largest init container, sum of
 *   containers) per resource (restartable "sidecar" init containers are added to both sides).
 * - Jobs count as one run each and CronJobs as one concurrent run (the job-limits policy requires
 *   concurrencyPolicy Forbid or Replace). Argo CD and Helm hook Jobs count too: a hook runs while
 *   everything else is up, so the node must have room for it then. This over-counts Jobs that have
 *   finished, which is the safe side on a node that also runs builds.
 * - Chart components whose requests we do not set get a documented estimate (marked `estimated`).
 * - Pods created at run time (builds) count with their namespace's ResourceQuota (quotaConsumers).
 */

export { DEFAULT_CAPACITY, DEFAULT_SYSTEM_RESERVED } from '../core/cluster';
export type { NodeCapacity } from '../core/cluster';

/** CPU in millicores, memory in bytes. */
export interface Resources {
  readonly cpuMillis: number;
  readonly memoryBytes: number;
}

/** One thing that holds requests: an own workload or a chart component. */
export interface Consumer {
  /** `novahost/Deployment/web` or `helm:argocd/controller`. */
  readonly name: string;
  /** Pods counted (replicas, or 1 for a Job run). */
  readonly pods: number;
  /** Requests of all its pods together. */
  readonly requests: Resources;
  /** True when some of the figure is an estimate (a chart component without requests). */
  readonly estimated: boolean;
  readonly note?: string;
  /** A DaemonSet: one pod on every node (counted once here; the placement puts one on each node). */
  readonly perNode?: boolean;
}

export interface CapacityReport {
  readonly fits: boolean;
  readonly total: Resources;
  /** Node capacity minus the system reserve. */
  readonly available: Resources;
  readonly capacity: Resources;
  readonly reserved: Resources;
  /** Sorted by memory, largest first. */
  readonly consumers: readonly Consumer[];
}

const ZERO: Resources = { cpuMillis: 0, memoryBytes: 0 };
const add = (a: Resources, b: Resources): Resources => ({ cpuMillis: a.cpuMillis + b.cpuMillis, memoryBytes: a.memoryBytes + b.memoryBytes });
const times = (a: Resources, n: number): Resources => ({ cpuMillis: a.cpuMillis * n, memoryBytes: a.memoryBytes * n });
const max = (a: Resources, b: Resources): Resources => ({ cpuMillis: Math.max(a.cpuMillis, b.cpuMillis), memoryBytes: Math.max(a.memoryBytes, b.memoryBytes) });

/** Requests of one container (absent requests count as zero, as for the scheduler). */
export function containerRequests(container: any): Resources {
  const r = container?.resources?.requests ?? {};
  return { cpuMillis: r.cpu === undefined ? 0 : parseCpu(r.cpu), memoryBytes: r.memory === undefined ? 0 : parseMemory(r.memory) };
}

/**
 * The pod's effective request: max(each init container, sum of app containers), per resource.
 * Sidecar init containers (restartPolicy: Always) keep running, so they add to the app sum and to
 * every init container started after them.
 */
export function podRequests(spec: any): Resources {
  let sidecars = ZERO;
  let init = ZERO;
  for (const c of spec?.initContainers ?? []) {
    if (c.restartPolicy === 'Always') sidecars = add(sidecars, containerRequests(c));
    else init = max(init, add(sidecars, containerRequests(c)));
  }
  const app = (spec?.containers ?? []).reduce((sum: Resources, c: any) => add(sum, containerRequests(c)), sidecars);
  return max(init, app);
}

/** An own workload's pods: how many and their template. */
function workload(o: any): { pods: number; spec: any } | undefined {
  switch (o.kind) {
    case 'Deployment':
    case 'StatefulSet':
    case 'ReplicaSet':
      return { pods: o.spec?.replicas ?? 1, spec: o.spec?.template?.spec };
    case 'DaemonSet':
      return { pods: 1, spec: o.spec?.template?.spec };
    case 'Job':
      // One run; parallelism > 1 runs that many pods at once.
      return { pods: o.spec?.parallelism ?? 1, spec: o.spec?.template?.spec };
    case 'CronJob':
      return { pods: o.spec?.jobTemplate?.spec?.parallelism ?? 1, spec: o.spec?.jobTemplate?.spec?.template?.spec };
    case 'Pod':
      return { pods: 1, spec: o.spec };
    default:
      return undefined;
  }
}

/** One component of a third-party chart: where its requests and replica count are in the values. */
export interface ChartComponent {
  readonly name: string;
  /** Dotted path of the `resources` object in the values. */
  readonly resources: string;
  /** Dotted path of the replica count, or a fixed number (a hook Job runs once). @default 1 */
  readonly replicas?: string | number;
  /** Dotted path of a boolean that turns the component off, with the chart's default. */
  readonly enabled?: { readonly path: string; readonly default: boolean };
  /**
   * Requests counted when the values set none. The charts ship `resources: {}`, i.e. no requests;
   * these are small-install figures for the components (resident memory of an idle component on a
   * single-node install, rounded up), so the check does not count them as free.
   */
  readonly estimate: { readonly cpu: string; readonly memory: string };
  /** A DaemonSet of the chart: one pod on every node. @default false */
  readonly perNode?: boolean;
}

/**
 * The requests table per chart name (`HelmRelease.chart`). Add a chart here when the platform
 * installs a new one; an unknown chart is counted with UNKNOWN_CHART_ESTIMATE and marked.
 */
export const CHART_COMPONENTS: Readonly<Record<string, readonly ChartComponent[]>> = {
  'cert-manager': [
    { name: 'controller', resources: 'resources', replicas: 'replicaCount', estimate: { cpu: '10m', memory: '64Mi' } },
    { name: 'webhook', resources: 'webhook.resources', replicas: 'webhook.replicaCount', estimate: { cpu: '10m', memory: '32Mi' } },
    { name: 'cainjector', resources: 'cainjector.resources', replicas: 'cainjector.replicaCount', enabled: { path: 'cainjector.enabled', default: true }, estimate: { cpu: '10m', memory: '64Mi' } },
    // A post-install hook Job (see the module's decisions on hooks).
    { name: 'startupapicheck', resources: 'startupapicheck.resources', replicas: 1, enabled: { path: 'startupapicheck.enabled', default: true }, estimate: { cpu: '10m', memory: '32Mi' } },
  ],
  'external-secrets': [
    { name: 'controller', resources: 'resources', replicas: 'replicaCount', estimate: { cpu: '10m', memory: '64Mi' } },
    { name: 'webhook', resources: 'webhook.resources', replicas: 'webhook.replicaCount', enabled: { path: 'webhook.create', default: true }, estimate: { cpu: '10m', memory: '32Mi' } },
    { name: 'certController', resources: 'certController.resources', replicas: 'certController.replicaCount', enabled: { path: 'certController.create', default: true }, estimate: { cpu: '10m', memory: '32Mi' } },
  ],
  'traefik': [
    { name: 'traefik', resources: 'resources', replicas: 'deployment.replicas', estimate: { cpu: '50m', memory: '64Mi' } },
  ],
  'argo-cd': [
    { name: 'controller', resources: 'controller.resources', replicas: 'controller.replicas', estimate: { cpu: '100m', memory: '384Mi' } },
    { name: 'server', resources: 'server.resources', replicas: 'server.replicas', estimate: { cpu: '25m', memory: '64Mi' } },
    { name: 'repoServer', resources: 'repoServer.resources', replicas: 'repoServer.replicas', estimate: { cpu: '25m', memory: '96Mi' } },
    { name: 'redis', resources: 'redis.resources', enabled: { path: 'redis.enabled', default: true }, estimate: { cpu: '10m', memory: '32Mi' } },
    { name: 'applicationSet', resources: 'applicationSet.resources', replicas: 'applicationSet.replicas', estimate: { cpu: '10m', memory: '32Mi' } },
    { name: 'dex', resources: 'dex.resources', enabled: { path: 'dex.enabled', default: true }, estimate: { cpu: '10m', memory: '32Mi' } },
    { name: 'notifications', resources: 'notifications.resources', enabled: { path: 'notifications.enabled', default: true }, estimate: { cpu: '10m', memory: '32Mi' } },
    { name: 'commitServer', resources: 'commitServer.resources', enabled: { path: 'commitServer.enabled', default: false }, estimate: { cpu: '10m', memory: '32Mi' } },
    // PreSync hook Job that creates the Redis password Secret.
    { name: 'redisSecretInit', resources: 'redisSecretInit.resources', replicas: 1, enabled: { path: 'redisSecretInit.enabled', default: true }, estimate: { cpu: '10m', memory: '32Mi' } },
  ],
  'kube-prometheus-stack': [
    { name: 'prometheus', resources: 'prometheus.prometheusSpec.resources', replicas: 'prometheus.prometheusSpec.replicas', estimate: { cpu: '50m', memory: '256Mi' } },
    // The operator adds a config-reloader container to the Prometheus (and Alertmanager) pod.
    { name: 'prometheus-config-reloader', resources: 'prometheusOperator.prometheusConfigReloader.resources', replicas: 'prometheus.prometheusSpec.replicas', estimate: { cpu: '5m', memory: '16Mi' } },
    { name: 'operator', resources: 'prometheusOperator.resources', enabled: { path: 'prometheusOperator.enabled', default: true }, estimate: { cpu: '10m', memory: '48Mi' } },
    { name: 'alertmanager', resources: 'alertmanager.alertmanagerSpec.resources', replicas: 'alertmanager.alertmanagerSpec.replicas', enabled: { path: 'alertmanager.enabled', default: true }, estimate: { cpu: '10m', memory: '32Mi' } },
    { name: 'alertmanager-config-reloader', resources: 'prometheusOperator.prometheusConfigReloader.resources', replicas: 'alertmanager.alertmanagerSpec.replicas', enabled: { path: 'alertmanager.enabled', default: true }, estimate: { cpu: '5m', memory: '16Mi' } },
    // Subcharts. Grafana's two k8s-sidecar containers share one `resources` key.
    { name: 'grafana', resources: 'grafana.resources', enabled: { path: 'grafana.enabled', default: true }, estimate: { cpu: '25m', memory: '128Mi' } },
    { name: 'grafana-sc-dashboard', resources: 'grafana.sidecar.resources', enabled: { path: 'grafana.sidecar.dashboards.enabled', default: true }, estimate: { cpu: '5m', memory: '48Mi' } },
    { name: 'grafana-sc-datasources', resources: 'grafana.sidecar.resources', enabled: { path: 'grafana.sidecar.datasources.enabled', default: true }, estimate: { cpu: '5m', memory: '48Mi' } },
    { name: 'kube-state-metrics', resources: 'kube-state-metrics.resources', enabled: { path: 'kubeStateMetrics.enabled', default: true }, estimate: { cpu: '10m', memory: '32Mi' } },
    { name: 'node-exporter', resources: 'prometheus-node-exporter.resources', enabled: { path: 'nodeExporter.enabled', default: true }, estimate: { cpu: '10m', memory: '16Mi' }, perNode: true },
    // Hook Jobs that create and patch the admission webhook's certificate, one after the other.
    { name: 'admission-webhook-jobs', resources: 'prometheusOperator.admissionWebhooks.patch.resources', replicas: 1, enabled: { path: 'prometheusOperator.admissionWebhooks.enabled', default: true }, estimate: { cpu: '10m', memory: '32Mi' } },
  ],
  // Monolithic mode; the read/write/backend targets render only in SimpleScalable mode.
  'loki': [
    { name: 'single-binary', resources: 'singleBinary.resources', replicas: 'singleBinary.replicas', estimate: { cpu: '50m', memory: '256Mi' } },
    { name: 'gateway', resources: 'gateway.resources', replicas: 'gateway.replicas', enabled: { path: 'gateway.enabled', default: true }, estimate: { cpu: '10m', memory: '32Mi' } },
    // memcached sized by allocatedMemory (8192 and 1024 MB by default) plus its exporter.
    { name: 'chunks-cache', resources: 'chunksCache.resources', enabled: { path: 'chunksCache.enabled', default: true }, estimate: { cpu: '500m', memory: '9830Mi' } },
    { name: 'results-cache', resources: 'resultsCache.resources', enabled: { path: 'resultsCache.enabled', default: true }, estimate: { cpu: '500m', memory: '1229Mi' } },
    { name: 'canary', resources: 'lokiCanary.resources', enabled: { path: 'lokiCanary.enabled', default: true }, estimate: { cpu: '10m', memory: '32Mi' } },
  ],
  // A DaemonSet: one pod on the one node.
  'alloy': [
    { name: 'alloy', resources: 'alloy.resources', estimate: { cpu: '25m', memory: '128Mi' }, perNode: true },
    { name: 'config-reloader', resources: 'configReloader.resources', enabled: { path: 'configReloader.enabled', default: true }, estimate: { cpu: '10m', memory: '50Mi' }, perNode: true },
  ],
  // One node, replica counts 1 (lib/addons/longhorn.ts). The manager's requests are values; the
  // chart has no resources key for the rest, which get the namespace's LimitRange default
  // (LONGHORN_DEFAULT_REQUEST, 10m/32Mi) where the estimates below do not already exceed it. The
  // instance manager requests guaranteedInstanceManagerCPU percent of the node's CPU (5% of 2 vCPU).
  'longhorn': [
    { name: 'manager', resources: 'longhornManager.resources', estimate: { cpu: '50m', memory: '256Mi' }, perNode: true },
    { name: 'instance-manager', resources: 'instanceManager.resources', estimate: { cpu: '100m', memory: '192Mi' }, perNode: true },
    { name: 'driver-deployer', resources: 'longhornDriver.resources', estimate: { cpu: '10m', memory: '32Mi' } },
    { name: 'ui', resources: 'longhornUI.resources', replicas: 'longhornUI.replicas', estimate: { cpu: '10m', memory: '32Mi' } },
    { name: 'csi-plugin', resources: 'csi.plugin.resources', estimate: { cpu: '10m', memory: '64Mi' }, perNode: true },
    { name: 'csi-attacher', resources: 'csi.attacher.resources', replicas: 'csi.attacherReplicaCount', estimate: { cpu: '5m', memory: '32Mi' } },
    { name: 'csi-provisioner', resources: 'csi.provisioner.resources', replicas: 'csi.provisionerReplicaCount', estimate: { cpu: '5m', memory: '32Mi' } },
    { name: 'csi-resizer', resources: 'csi.resizer.resources', replicas: 'csi.resizerReplicaCount', estimate: { cpu: '5m', memory: '32Mi' } },
    { name: 'csi-snapshotter', resources: 'csi.snapshotter.resources', replicas: 'csi.snapshotterReplicaCount', estimate: { cpu: '5m', memory: '32Mi' } },
    { name: 'engine-image', resources: 'engineImage.resources', estimate: { cpu: '5m', memory: '32Mi' }, perNode: true },
  ],
  'authelia': [
    { name: 'authelia', resources: 'pod.resources', replicas: 'pod.replicas', estimate: { cpu: '25m', memory: '64Mi' } },
  ],
};

/** Counted for a chart without a CHART_COMPONENTS entry; deliberately not small. */
export const UNKNOWN_CHART_ESTIMATE = { cpu: '100m', memory: '256Mi' } as const;

function at(values: any, path: string): any {
  return path.split('.').reduce((v, k) => (v === undefined || v === null ? undefined : v[k]), values);
}

function chartConsumers(release: HelmRelease): Consumer[] {
  const components = CHART_COMPONENTS[release.chart];
  const prefix = `helm:${release.name}`;
  if (!components) {
    return [{
      name: prefix,
      pods: 1,
      requests: { cpuMillis: parseCpu(UNKNOWN_CHART_ESTIMATE.cpu), memoryBytes: parseMemory(UNKNOWN_CHART_ESTIMATE.memory) },
      estimated: true,
      note: `no requests table for chart "${release.chart}" in lib/checks/capacity.ts CHART_COMPONENTS; counted ${UNKNOWN_CHART_ESTIMATE.cpu}/${UNKNOWN_CHART_ESTIMATE.memory}`,
    }];
  }
  const out: Consumer[] = [];
  for (const c of components) {
    if (c.enabled && (at(release.values, c.enabled.path) ?? c.enabled.default) !== true) continue;
    const replicas = typeof c.replicas === 'number' ? c.replicas : c.replicas === undefined ? 1 : at(release.values, c.replicas) ?? 1;
    if (replicas <= 0) continue;
    const requests = at(release.values, c.resources)?.requests ?? {};
    const estimated = requests.cpu === undefined || requests.memory === undefined;
    const one = {
      cpuMillis: parseCpu(requests.cpu ?? c.estimate.cpu),
      memoryBytes: parseMemory(requests.memory ?? c.estimate.memory),
    };
    out.push({
      name: `${prefix}/${c.name}`,
      pods: replicas,
      requests: times(one, replicas),
      estimated,
      note: estimated ? `${c.resources}.requests unset; estimate ${c.estimate.cpu}/${c.estimate.memory} per pod` : undefined,
      ...(c.perNode ? { perNode: true } : {}),
    });
  }
  return out;
}

/**
 * Third-party Helm releases as Argo CD Applications in dist/ describe them (chart, release name,
 * destination, valuesObject), for checks that read dist/ instead of the construct tree.
 */
export function releasesFromApplications(objects: readonly any[]): HelmRelease[] {
  return objects
    .filter((o) => o.kind === 'Application' && o.spec?.source?.chart)
    .map((o) => ({
      name: o.spec.source.helm?.releaseName ?? o.metadata.name,
      namespace: o.spec.destination?.namespace,
      repoURL: o.spec.source.repoURL,
      chart: o.spec.source.chart,
      version: o.spec.source.targetRevision,
      values: o.spec.source.helm?.valuesObject ?? {},
    }));
}

/**
 * Pods that are created at run time (build Jobs launched from a template) are not in dist/; a
 * ResourceQuota on their namespace bounds their requests. The quota's `requests.cpu` and
 * `requests.memory` (or `cpu`/`memory`) count as taken, less what dist/ already puts in that
 * namespace, so the namespace counts as max(quota, its workloads). A resource the quota does not
 * bound counts as zero.
 */
function quotaConsumers(objects: readonly any[], workloads: readonly Consumer[]): Consumer[] {
  const out: Consumer[] = [];
  for (const q of objects) {
    if (q.kind !== 'ResourceQuota') continue;
    const hard = q.spec?.hard ?? {};
    const cpu = hard['requests.cpu'] ?? hard.cpu;
    const memory = hard['requests.memory'] ?? hard.memory;
    if (cpu === undefined && memory === undefined) continue;
    const ns = q.metadata?.namespace;
    const inNs = workloads.filter((c) => c.name.startsWith(`${ns}/`)).reduce((s, c) => add(s, c.requests), ZERO);
    out.push({
      name: `${ns}/ResourceQuota/${q.metadata?.name}`,
      pods: Number(hard.pods ?? hard['count/pods'] ?? 0),
      requests: {
        cpuMillis: Math.max(0, (cpu === undefined ? 0 : parseCpu(cpu)) - inNs.cpuMillis),
        memoryBytes: Math.max(0, (memory === undefined ? 0 : parseMemory(memory)) - inNs.memoryBytes),
      },
      estimated: false,
      note: 'room for pods created at run time, bounded by the quota',
    });
  }
  return out;
}

/** Every holder of requests: own workloads (from objects), run-time pods (quotas) and chart components (from values); largest memory first. */
export function capacityConsumers(objects: readonly any[], releases: readonly HelmRelease[]): Consumer[] {
  const consumers: Consumer[] = [];
  for (const o of objects) {
    const w = workload(o);
    if (!w) continue;
    consumers.push({
      name: `${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.kind}/${o.metadata?.name}`,
      pods: w.pods,
      requests: times(podRequests(w.spec), w.pods),
      estimated: false,
      ...(o.kind === 'DaemonSet' ? { perNode: true } : {}),
    });
  }
  consumers.push(...quotaConsumers(objects, consumers));
  for (const r of releases) consumers.push(...chartConsumers(r));
  return consumers.sort((a, b) => b.requests.memoryBytes - a.requests.memoryBytes || b.requests.cpuMillis - a.requests.cpuMillis || a.name.localeCompare(b.name));
}

/** Sums the requests of own workloads (from objects) and of chart components (from release values). */
export function capacityReport(objects: readonly any[], releases: readonly HelmRelease[], capacity: NodeCapacity = DEFAULT_CAPACITY): CapacityReport {
  const consumers = capacityConsumers(objects, releases);

  const node = { cpuMillis: parseCpu(capacity.cpu), memoryBytes: parseMemory(capacity.memory) };
  const reserve = capacity.systemReserved ?? DEFAULT_SYSTEM_RESERVED;
  const reserved = { cpuMillis: parseCpu(reserve.cpu), memoryBytes: parseMemory(reserve.memory) };
  const available = { cpuMillis: node.cpuMillis - reserved.cpuMillis, memoryBytes: node.memoryBytes - reserved.memoryBytes };
  const total = consumers.reduce((s, c) => add(s, c.requests), ZERO);
  return {
    fits: total.cpuMillis <= available.cpuMillis && total.memoryBytes <= available.memoryBytes,
    total,
    available,
    capacity: node,
    reserved,
    consumers,
  };
}

/** `250m`, `1.5` (cores), for the report. */
function formatCpu(millis: number): string {
  return millis >= 1000 && millis % 10 === 0 ? `${Number((millis / 1000).toFixed(2))}` : `${Math.round(millis)}m`;
}

function percent(part: number, whole: number): string {
  return whole > 0 ? `${Math.round((part / whole) * 100)}%` : '-';
}

/** The report as a table: totals against what is available, then the `top` consumers by memory. */
export function formatCapacityTable(report: CapacityReport, top = 10): string {
  const { total, available } = report;
  const rows = report.consumers.slice(0, top).map((c) => [
    c.name + (c.estimated ? ' *' : ''), String(c.pods), formatCpu(c.requests.cpuMillis), formatMemory(c.requests.memoryBytes),
  ]);
  const rest = report.consumers.slice(top);
  if (rest.length) {
    const sum = rest.reduce((s, c) => add(s, c.requests), ZERO);
    rows.push([`(${rest.length} more)`, String(rest.reduce((n, c) => n + c.pods, 0)), formatCpu(sum.cpuMillis), formatMemory(sum.memoryBytes)]);
  }
  const header = ['CONSUMER', 'PODS', 'CPU', 'MEMORY'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]): string => r.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
  const lines = [
    `${report.fits ? 'fits' : 'DOES NOT FIT'}: requests ${formatCpu(total.cpuMillis)} CPU (${percent(total.cpuMillis, available.cpuMillis)}), ` +
      `${formatMemory(total.memoryBytes)} memory (${percent(total.memoryBytes, available.memoryBytes)}) of ` +
      `${formatCpu(available.cpuMillis)} CPU / ${formatMemory(available.memoryBytes)} available ` +
      `(node ${formatCpu(report.capacity.cpuMillis)} / ${formatMemory(report.capacity.memoryBytes)} minus ${formatCpu(report.reserved.cpuMillis)} / ${formatMemory(report.reserved.memoryBytes)} for k3s)`,
    line(header),
    ...rows.map(line),
  ];
  if (report.consumers.some((c) => c.estimated)) lines.push('* includes an estimate for chart components whose requests are not set (lib/checks/capacity.ts CHART_COMPONENTS)');
  return lines.join('\n');
}

/** Throws a PlatformError with the table when the requests exceed what the node has available. */
export function assertCapacity(objects: readonly any[], releases: readonly HelmRelease[], capacity: NodeCapacity = DEFAULT_CAPACITY, top = 10): CapacityReport {
  const report = capacityReport(objects, releases, capacity);
  if (!report.fits) {
    const over: string[] = [];
    if (report.total.cpuMillis > report.available.cpuMillis) over.push(`CPU by ${formatCpu(report.total.cpuMillis - report.available.cpuMillis)}`);
    if (report.total.memoryBytes > report.available.memoryBytes) over.push(`memory by ${formatMemory(report.total.memoryBytes - report.available.memoryBytes)}`);
    throw new PlatformError(
      `capacity: the requests exceed the node's available resources (${over.join(', ')}). ` +
        'Fix: lower requests or replicas of the largest consumers, remove an app, or declare a larger node (capacity).\n' +
        formatCapacityTable(report, top),
    );
  }
  return report;
}
