/**
 * The platform's own objects that point at what a chart renders (NetworkPolicy selectors and
 * ports, Services in front of chart pods, Ingress backends, ServiceMonitors) resolve against what
 * the pinned charts really render (facts/charts), for every values set.
 */
import {
  chartPods, chartServices, id, matches, platformPods, Pod, servesPort, ValuesSet, valuesSets,
} from './facts';

type Labels = Record<string, string>;

/**
 * Pods that no chart and no platform object renders: the cluster or an operator creates them at
 * run time. A selector may name them without selecting a rendered pod.
 */
const RUN_TIME_PODS: ReadonlyArray<{ namespace?: string; labels: Labels; why: string }> = [
  { namespace: 'monitoring', labels: { 'app.kubernetes.io/name': 'prometheus' }, why: 'the Prometheus operator creates the pods from the Prometheus resource' },
  { namespace: 'monitoring', labels: { 'app.kubernetes.io/name': 'alertmanager' }, why: 'the Prometheus operator creates the pods from the Alertmanager resource' },
  { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' }, why: "k3s's CoreDNS" },
  { labels: { 'acme.cert-manager.io/http01-solver': 'true' }, why: "cert-manager's HTTP-01 solver pods, one per challenge" },
  { namespace: 'flux-system', labels: {}, why: 'the Flux controllers, installed by `flux install` (bootstrap)' },
  { namespace: 'builds', labels: {}, why: 'build Jobs, started at run time by the build-server' },
];

function runTime(namespace: string, selector: Labels): string | undefined {
  return RUN_TIME_PODS.find((r) => (r.namespace === undefined || r.namespace === namespace)
    && Object.entries(r.labels).every(([k, v]) => selector[k] === v))?.why;
}

const podsIn = (pods: Pod[], namespace: string, selector: Labels | undefined) => pods.filter((p) => p.namespace === namespace && matches(selector, p.labels));

/** One problem per line; the test fails with all of them. */
function networkPolicyProblems(set: ValuesSet): string[] {
  const charts = chartPods(set);
  const all = [...charts, ...platformPods(set)];
  const problems: string[] = [];
  const check = (where: string, namespace: string, selector: Labels | undefined, ports: any[] | undefined) => {
    const selected = podsIn(all, namespace, selector);
    if (!selected.length) {
      if (!runTime(namespace, selector ?? {})) problems.push(`${where}: selects no pod in ${namespace} (${JSON.stringify(selector ?? {})}) that a chart or the platform renders`);
      return;
    }
    if (!selected.some((p) => charts.includes(p))) return;
    for (const p of ports ?? []) {
      if (p.port === undefined) continue;
      if (!selected.some((pod) => pod.hostNetwork || servesPort(pod, p.port, p.protocol ?? 'TCP'))) {
        problems.push(`${where}: port ${p.port}/${p.protocol ?? 'TCP'} is served by none of ${selected.map((s) => s.origin).join(', ')}`);
      }
    }
  };
  for (const np of set.objects.filter((o) => o.kind === 'NetworkPolicy')) {
    const ns = np.metadata.namespace;
    const target = np.spec.podSelector?.matchLabels;
    const where = `${set.name}: ${id(np)}`;
    const peerNamespace = (peer: any): string | undefined => {
      if (!peer.namespaceSelector) return ns;
      return peer.namespaceSelector.matchLabels?.['kubernetes.io/metadata.name'];
    };
    for (const rule of np.spec.ingress ?? []) {
      check(`${where} (ingress target)`, ns, target, rule.ports);
      for (const peer of rule.from ?? []) {
        const pns = peerNamespace(peer);
        if (peer.podSelector && pns) check(`${where} (ingress peer)`, pns, peer.podSelector.matchLabels, []);
      }
    }
    if (!np.spec.ingress?.length) check(`${where} (target)`, ns, target, []);
    for (const rule of np.spec.egress ?? []) {
      for (const peer of rule.to ?? []) {
        const pns = peerNamespace(peer);
        if (peer.podSelector && pns) check(`${where} (egress peer)`, pns, peer.podSelector.matchLabels, rule.ports);
      }
    }
  }
  return problems;
}

interface AnyService { origin: string; name: string; namespace: string; labels: Labels; selector: Labels | null; ports: Array<{ name: string | null; port: number; targetPort: number | string }> }

/** Services the cluster itself runs (what a platform ServiceMonitor may select beside the charts'). */
const RUN_TIME_SERVICES: readonly AnyService[] = [
  {
    origin: 'k3s manifests/coredns.yaml', name: 'kube-dns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' }, selector: { 'k8s-app': 'kube-dns' },
    ports: [{ name: 'dns', port: 53, targetPort: 53 }, { name: 'dns-tcp', port: 53, targetPort: 53 }, { name: 'metrics', port: 9153, targetPort: 9153 }],
  },
];

function servicesOf(set: ValuesSet): AnyService[] {
  const own = set.objects.filter((o) => o.kind === 'Service').map((o) => ({
    origin: `${set.name}: platform`, name: o.metadata.name, namespace: o.metadata.namespace, labels: o.metadata.labels ?? {}, selector: o.spec.selector ?? null,
    ports: (o.spec.ports ?? []).map((p: any) => ({ name: p.name ?? null, port: p.port, targetPort: p.targetPort ?? p.port })),
  }));
  return [...own, ...chartServices(set), ...RUN_TIME_SERVICES];
}

/** The Service's port (by number or name) and whether a pod it selects serves its target port. */
function servicePortProblem(set: ValuesSet, svc: AnyService, port: number | string): string | undefined {
  const sp = svc.ports.find((p) => (typeof port === 'number' ? p.port === port : p.name === port));
  if (!sp) return `Service ${svc.namespace}/${svc.name} (${svc.origin}) has no port ${port} (it has ${svc.ports.map((p) => `${p.name}:${p.port}`).join(', ')})`;
  if (!svc.selector) return undefined;
  const pods = podsIn([...chartPods(set), ...platformPods(set)], svc.namespace, svc.selector);
  if (!pods.length) return runTime(svc.namespace, svc.selector) ? undefined : `Service ${svc.namespace}/${svc.name} selects no pod`;
  if (!pods.some((p) => servesPort(p, sp.targetPort))) return `Service ${svc.namespace}/${svc.name} port ${port} -> targetPort ${sp.targetPort}: no selected pod serves it (${pods.map((p) => p.origin).join(', ')})`;
  return undefined;
}

function serviceProblems(set: ValuesSet): string[] {
  const charts = chartPods(set);
  const problems: string[] = [];
  for (const svc of set.objects.filter((o) => o.kind === 'Service' && o.spec.selector)) {
    const selected = podsIn(charts, svc.metadata.namespace, svc.spec.selector);
    if (!selected.length) continue; // in front of the platform's own pods: the service-selects-pods policy
    for (const p of svc.spec.ports ?? []) {
      const target = p.targetPort ?? p.port;
      if (!selected.some((pod) => servesPort(pod, target, p.protocol ?? 'TCP'))) {
        problems.push(`${set.name}: ${id(svc)} port ${p.name ?? p.port} -> targetPort ${target}: served by none of ${selected.map((s) => s.origin).join(', ')}`);
      }
    }
  }
  return problems;
}

function ingressProblems(set: ValuesSet): string[] {
  const services = servicesOf(set);
  const problems: string[] = [];
  for (const ing of set.objects.filter((o) => o.kind === 'Ingress')) {
    const ns = ing.metadata.namespace;
    const backends = [ing.spec.defaultBackend, ...(ing.spec.rules ?? []).flatMap((r: any) => (r.http?.paths ?? []).map((p: any) => p.backend))].filter((b) => b?.service);
    for (const b of backends) {
      const svc = services.find((s) => s.namespace === ns && s.name === b.service.name);
      if (!svc) {
        problems.push(`${set.name}: ${id(ing)} -> Service ${ns}/${b.service.name}: neither the platform nor a chart renders it`);
        continue;
      }
      const problem = servicePortProblem(set, svc, b.service.port.number ?? b.service.port.name);
      if (problem) problems.push(`${set.name}: ${id(ing)}: ${problem}`);
    }
  }
  return problems;
}

function serviceMonitorProblems(set: ValuesSet): string[] {
  const services = servicesOf(set);
  const problems: string[] = [];
  for (const sm of set.objects.filter((o) => o.kind === 'ServiceMonitor')) {
    const nsSel = sm.spec.namespaceSelector ?? {};
    const namespaces: string[] | undefined = nsSel.any ? undefined : nsSel.matchNames ?? [sm.metadata.namespace];
    const selected = services.filter((s) => (!namespaces || namespaces.includes(s.namespace)) && matches(sm.spec.selector?.matchLabels, s.labels));
    if (!selected.length) {
      problems.push(`${set.name}: ${id(sm)} selects no Service (${JSON.stringify(sm.spec.selector)})`);
      continue;
    }
    for (const e of sm.spec.endpoints ?? []) {
      for (const svc of selected) {
        const problem = servicePortProblem(set, svc, e.port ?? e.targetPort);
        if (problem) problems.push(`${set.name}: ${id(sm)} endpoint ${e.port}: ${problem}`);
      }
    }
  }
  return problems;
}

describe.each(valuesSets().map((s) => [s.name, s] as const))('values set %s: platform objects against what the charts render', (_name, set) => {
  it('has facts for its charts (the freshness test checks which)', () => {
    expect(set.facts.size).toBeGreaterThan(0);
  });

  it('NetworkPolicies select rendered pods, and open only ports the chart pods serve', () => {
    expect(networkPolicyProblems(set)).toEqual([]);
  });

  it('Services in front of chart pods select them and target ports they serve', () => {
    expect(serviceProblems(set)).toEqual([]);
  });

  it('Ingress backends name a Service and port that exist, with pods behind them', () => {
    expect(ingressProblems(set)).toEqual([]);
  });

  it('ServiceMonitors select Services with the named port, and pods serve its target port', () => {
    expect(serviceMonitorProblems(set)).toEqual([]);
  });
});

describe('the checks themselves', () => {
  const set = valuesSets().find((s) => s.name === 'reference')!;
  const withObject = (o: any): ValuesSet => ({ ...set, objects: [...set.objects, o] });
  const about = (problems: string[]) => problems.filter((p) => p.includes('/bad'));

  it('fails a NetworkPolicy that opens a port no chart pod serves', () => {
    const np = {
      kind: 'NetworkPolicy', metadata: { name: 'bad', namespace: 'monitoring' },
      spec: { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'grafana' } }, ingress: [{ ports: [{ port: 3001, protocol: 'TCP' }] }] },
    };
    expect(about(networkPolicyProblems(withObject(np)))).toEqual([expect.stringMatching(/NetworkPolicy monitoring\/bad \(ingress target\): port 3001\/TCP is served by none of reference\/kube-prometheus-stack: Deployment monitoring\/kube-prometheus-stack-grafana/)]);
  });

  it('fails a ServiceMonitor whose port name no selected Service has', () => {
    const sm = {
      kind: 'ServiceMonitor', metadata: { name: 'bad', namespace: 'monitoring' },
      spec: { selector: { matchLabels: { 'app.kubernetes.io/name': 'grafana' } }, endpoints: [{ port: 'metrics' }] },
    };
    expect(about(serviceMonitorProblems(withObject(sm)))).toEqual([expect.stringMatching(/ServiceMonitor monitoring\/bad endpoint metrics: Service monitoring\/kube-prometheus-stack-grafana .* has no port metrics/)]);
  });

  it('fails a Service in front of chart pods whose target port they do not serve', () => {
    const svc = {
      kind: 'Service', metadata: { name: 'bad', namespace: 'shared' },
      spec: { selector: { 'app.kubernetes.io/name': 'traefik' }, ports: [{ name: 'metrics', port: 9100, targetPort: 'prometheus' }] },
    };
    expect(about(serviceProblems(withObject(svc)))).toEqual([expect.stringMatching(/Service shared\/bad port metrics -> targetPort prometheus: served by none of reference\/traefik: Deployment shared\/traefik/)]);
  });

  it('fails an Ingress to a Service nothing renders', () => {
    const ing = {
      kind: 'Ingress', metadata: { name: 'bad', namespace: 'monitoring' },
      spec: { rules: [{ http: { paths: [{ backend: { service: { name: 'grafana', port: { number: 80 } } } }] } }] },
    };
    expect(about(ingressProblems(withObject(ing)))).toEqual(['reference: Ingress monitoring/bad -> Service monitoring/grafana: neither the platform nor a chart renders it']);
  });
});
