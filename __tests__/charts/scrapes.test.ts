/**
 * Every scrape Prometheus is told about (the ServiceMonitors of the platform and of the charts)
 * reaches its target through the NetworkPolicies (the platform's and the charts' own), which deny
 * by default in every namespace: ServiceMonitor -> Service -> pod -> container port, then
 * "may Prometheus' pod open that connection?" under NetworkPolicy semantics.
 */
import { canConnect, Endpoint } from '../support/reachability';
import { chartPods, chartServices, matches, platformPods, Pod, ValuesSet, valuesSets } from './facts';

type Labels = Record<string, string>;

/** Prometheus' pod as the operator creates it from the Prometheus resource (not in any render). */
const PROMETHEUS_POD = {
  namespace: 'monitoring',
  labels: { 'app.kubernetes.io/name': 'prometheus', 'app.kubernetes.io/instance': 'kube-prometheus-stack-prometheus', 'operator.prometheus.io/name': 'kube-prometheus-stack-prometheus', prometheus: 'kube-prometheus-stack-prometheus' },
  ports: [{ name: 'web', containerPort: 9090, protocol: 'TCP' }, { name: 'reloader-web', containerPort: 8080, protocol: 'TCP' }],
};
/** A node's address (hostNetwork pods, the kubelet, the API server). */
const NODE: Endpoint = { ip: '10.0.0.5' };

interface Svc { name: string; namespace: string; labels: Labels; selector: Labels | null; ports: Array<{ name: string | null; port: number; targetPort: number | string }> }

/**
 * Services no render holds: the API server's (default/kubernetes) and the kubelet's (created by
 * the operator); both have node addresses as endpoints, on these ports.
 */
const NODE_SERVICES: readonly Svc[] = [
  { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' }, selector: null, ports: [{ name: 'https', port: 443, targetPort: 6443 }] },
  { name: 'kube-prometheus-stack-kubelet', namespace: 'kube-system', labels: { 'app.kubernetes.io/name': 'kubelet', 'k8s-app': 'kubelet' }, selector: null, ports: [{ name: 'https-metrics', port: 10250, targetPort: 10250 }] },
  { name: 'kube-dns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' }, selector: { 'k8s-app': 'kube-dns' }, ports: [{ name: 'metrics', port: 9153, targetPort: 9153 }] },
];
const RUN_TIME_PODS: readonly Pod[] = [
  { origin: 'the Prometheus operator', namespace: PROMETHEUS_POD.namespace, labels: PROMETHEUS_POD.labels, ports: PROMETHEUS_POD.ports, hostNetwork: false },
  { origin: "k3s's CoreDNS", namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' }, ports: [{ name: 'metrics', containerPort: 9153, protocol: 'TCP' }], hostNetwork: false },
];

function selects(selector: any, labels: Labels): boolean {
  if (!matches(selector?.matchLabels, labels)) return false;
  return (selector?.matchExpressions ?? []).every((e: any) => {
    const has = e.key in labels;
    if (e.operator === 'In') return has && e.values.includes(labels[e.key]);
    if (e.operator === 'NotIn') return !has || !e.values.includes(labels[e.key]);
    if (e.operator === 'Exists') return has;
    return !has;
  });
}

/** Whether a CiliumNetworkPolicy lets these pods reach Cilium's `kube-apiserver` entity. */
function ciliumAllowsApiServer(objects: readonly any[], pods: { namespace: string; labels: Labels }): boolean {
  return objects.some((o) => o.kind === 'CiliumNetworkPolicy' && o.metadata.namespace === pods.namespace
    && selects(o.spec.endpointSelector, pods.labels)
    && (o.spec.egress ?? []).some((e: any) => (e.toEntities ?? []).includes('kube-apiserver')));
}

function scrapes(set: ValuesSet): { problems: string[]; checked: string[] } {
  const facts = [...set.facts.values()];
  const monitors = [
    ...set.objects.filter((o) => o.kind === 'ServiceMonitor').map((o) => ({ origin: 'platform', namespace: o.metadata.namespace, name: o.metadata.name, selector: o.spec.selector, namespaceSelector: o.spec.namespaceSelector, ports: o.spec.endpoints.map((e: any) => e.port) })),
    ...facts.flatMap((f) => (f as any).serviceMonitors.map((m: any) => ({ origin: `chart ${f.release.name}`, namespace: m.namespace, name: m.name, selector: m.selector, namespaceSelector: m.namespaceSelector, ports: m.endpoints.map((e: any) => e.port) }))),
  ];
  if (!monitors.length) return { problems: [], checked: [] };
  const services: Svc[] = [
    ...set.objects.filter((o) => o.kind === 'Service').map((o) => ({ name: o.metadata.name, namespace: o.metadata.namespace, labels: o.metadata.labels ?? {}, selector: o.spec.selector ?? null, ports: o.spec.ports.map((p: any) => ({ name: p.name ?? null, port: p.port, targetPort: p.targetPort ?? p.port })) })),
    ...chartServices(set),
    ...NODE_SERVICES,
  ];
  const pods = [...chartPods(set), ...platformPods(set), ...RUN_TIME_PODS];
  // The charts' own NetworkPolicies count too (none today but Longhorn's, outside monitoring).
  const policies = [
    ...set.objects.filter((o) => o.kind === 'NetworkPolicy'),
    ...facts.flatMap((f) => (f as any).networkPolicies.map((np: any) => ({
      kind: 'NetworkPolicy', metadata: { name: np.name, namespace: np.namespace },
      spec: { podSelector: np.podSelector, policyTypes: np.policyTypes, ingress: np.ingress ?? undefined, egress: np.egress ?? undefined },
    }))),
  ];
  const prometheus = { namespace: PROMETHEUS_POD.namespace, labels: PROMETHEUS_POD.labels };
  const problems: string[] = [];
  const checked: string[] = [];
  for (const m of monitors) {
    const where = `${set.name}: ServiceMonitor ${m.namespace}/${m.name} (${m.origin})`;
    const namespaces: string[] | undefined = m.namespaceSelector?.any ? undefined : m.namespaceSelector?.matchNames ?? [m.namespace];
    const selected = services.filter((s) => (!namespaces || namespaces.includes(s.namespace)) && selects(m.selector, s.labels));
    if (!selected.length) problems.push(`${where}: selects no Service`);
    for (const svc of selected) {
      for (const portName of new Set<string>(m.ports)) {
        const sp = svc.ports.find((p) => p.name === portName);
        if (!sp) continue; // a Service without that port is not scraped (platform-objects.test.ts checks the platform's)
        const targets: Array<{ to: Endpoint; port: number; what: string }> = [];
        if (!svc.selector) targets.push({ to: NODE, port: Number(sp.targetPort), what: `node address:${sp.targetPort}` });
        for (const pod of pods.filter((p) => p.namespace === svc.namespace && matches(svc.selector ?? { '\0': '' }, p.labels))) {
          const port = typeof sp.targetPort === 'number' ? sp.targetPort : pod.ports.find((p) => p.name === sp.targetPort)?.containerPort;
          if (port === undefined) continue;
          targets.push({ to: pod.hostNetwork ? NODE : { namespace: pod.namespace, labels: pod.labels }, port, what: `${pod.origin}:${port}` });
        }
        if (!targets.length) problems.push(`${where}: Service ${svc.namespace}/${svc.name} port ${portName} has no target`);
        for (const t of targets) {
          checked.push(`${m.namespace}/${m.name} -> ${t.what}`);
          // On Cilium the API server is an entity of its own: a CiliumNetworkPolicy allows it, not an ipBlock.
          if (svc.name === 'kubernetes' && svc.namespace === 'default' && ciliumAllowsApiServer(set.objects, prometheus)) continue;
          if (!canConnect(policies, prometheus, t.to, t.port)) problems.push(`${where}: Prometheus may not reach ${t.what} (Service ${svc.namespace}/${svc.name} port ${portName})`);
        }
      }
    }
  }
  return { problems, checked };
}
const scrapeProblems = (set: ValuesSet) => scrapes(set).problems;

describe.each(valuesSets().map((s) => [s.name, s] as const))('values set %s: scrapes', (_name, set) => {
  it('every ServiceMonitor target is reachable from Prometheus through the NetworkPolicies', () => {
    const { problems, checked } = scrapes(set);
    expect(problems).toEqual([]);
    // The reference installation runs the monitoring stack: every target above was looked at.
    if (set.name === 'reference') expect(checked.length).toBeGreaterThanOrEqual(15);
  });
});

describe('the scrape check', () => {
  it('fails when a NetworkPolicy rule the scrape needs is gone', () => {
    const set = valuesSets().find((s) => s.name === 'reference')!;
    const without = set.objects.filter((o) => !(o.kind === 'NetworkPolicy' && o.metadata.name === 'allow-ingress-kube-state-metrics-from-prometheus'));
    expect(without.length).toBe(set.objects.length - 1);
    expect(scrapeProblems({ ...set, objects: without })).toEqual([
      expect.stringMatching(/ServiceMonitor monitoring\/kube-prometheus-stack-kube-state-metrics \(chart kube-prometheus-stack\): Prometheus may not reach .*kube-state-metrics:8080/),
    ]);
  });
});
