/**
 * What the pinned charts render (facts/charts) is admitted where the platform installs it, and
 * runs with requests: every namespace and cluster-scoped kind a chart writes is permitted by the
 * Argo CD AppProject of its Application, and every chart container requests CPU and memory (from
 * the values, or from a LimitRange of the platform in that namespace).
 */
import { ChartFacts, id, ValuesSet, valuesSets } from './facts';

/** Argo CD's glob match of project fields: `*` is any run of characters. */
function glob(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(value);
}

const groupKind = (apiVersionKind: string): { group: string; kind: string } => {
  const parts = apiVersionKind.split('/');
  return { group: parts.length === 3 ? parts[0] : '', kind: parts[parts.length - 1] };
};

function appProjectProblems(set: ValuesSet): string[] {
  const problems: string[] = [];
  for (const f of set.facts.values()) {
    const app = set.objects.find((o) => o.kind === 'Application' && `Application ${o.metadata.namespace}/${o.metadata.name}` === f.valuesFrom);
    if (!app) continue; // installed by Flux or by k3s: no AppProject applies
    const project = set.objects.find((o) => o.kind === 'AppProject' && o.metadata.name === app.spec.project);
    if (!project) {
      problems.push(`${set.name}/${f.release.name}: ${id(app)} names project ${app.spec.project}, which the platform does not render`);
      continue;
    }
    const spec = project.spec;
    for (const ns of f.namespaces) {
      const ok = (spec.destinations ?? []).some((d: any) => glob(d.namespace ?? '*', ns) && glob(d.server ?? '*', app.spec.destination.server ?? ''));
      if (!ok) problems.push(`${set.name}/${f.release.name}: the chart writes into namespace ${ns}, which AppProject ${project.metadata.name} does not admit (destinations: ${(spec.destinations ?? []).map((d: any) => d.namespace).join(', ')})`);
    }
    for (const k of f.clusterScopedKinds) {
      const { group, kind } = groupKind(k);
      const listed = (list: any[] | undefined) => (list ?? []).some((e) => glob(e.group, group) && glob(e.kind, kind));
      if (!listed(spec.clusterResourceWhitelist) || listed(spec.clusterResourceBlacklist)) {
        problems.push(`${set.name}/${f.release.name}: the chart renders cluster-scoped ${kind} (group "${group}"), which AppProject ${project.metadata.name} does not admit`);
      }
    }
    const namespaced = new Set(f.objects.filter((o) => o.scope === 'Namespaced').map((o) => `${o.apiVersion}/${o.kind}`));
    for (const k of namespaced) {
      const { group, kind } = groupKind(k);
      const listed = (list: any[] | undefined) => (list ?? []).some((e) => glob(e.group, group) && glob(e.kind, kind));
      if ((spec.namespaceResourceWhitelist && !listed(spec.namespaceResourceWhitelist)) || listed(spec.namespaceResourceBlacklist)) {
        problems.push(`${set.name}/${f.release.name}: the chart renders ${kind} (group "${group}"), which AppProject ${project.metadata.name} does not admit`);
      }
    }
  }
  return problems;
}

/** Resources a platform LimitRange gives containers without requests, by namespace. */
function defaultRequests(set: ValuesSet): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const lr of set.objects.filter((o) => o.kind === 'LimitRange')) {
    for (const limit of lr.spec.limits ?? []) {
      if (limit.type === 'Container' && limit.defaultRequest) out.set(lr.metadata.namespace, { ...out.get(lr.metadata.namespace), ...limit.defaultRequest });
    }
  }
  return out;
}

function requestProblems(set: ValuesSet): string[] {
  const defaults = defaultRequests(set);
  const problems: string[] = [];
  for (const f of set.facts.values()) {
    for (const w of f.workloads) {
      for (const c of [...w.initContainers, ...w.containers]) {
        const requests = { ...defaults.get(w.namespace), ...c.resources.requests };
        const missing = ['cpu', 'memory'].filter((r) => !requests[r]);
        if (missing.length) {
          problems.push(`${set.name}/${f.release.name}: ${w.kind} ${w.namespace}/${w.name}${w.helmHook ? ` (hook ${w.helmHook})` : ''} container ${c.name} requests no ${missing.join(' or ')}`);
        }
      }
    }
  }
  return problems;
}

/**
 * NetworkPolicies add up: a chart's own policy can only widen the platform's default-deny. Those a
 * chart may render, reviewed; any other must be switched off in the values.
 */
const REVIEWED_CHART_NETWORK_POLICIES: Record<string, { names: readonly string[]; why: string }> = {
  longhorn: {
    names: ['backing-image-data-source', 'backing-image-manager', 'instance-manager', 'longhorn-manager', 'longhorn-recovery-backend', 'longhorn-webhook'],
    why: 'networkPolicies.restrictInternalTraffic (default true): in-namespace peers only, and the webhooks (9501/9502) from anywhere, which the platform opens on 9502 too',
  },
};

function chartNetworkPolicyProblems(set: ValuesSet): string[] {
  return [...set.facts.values()].flatMap((f) => f.networkPolicies
    .filter((np) => !REVIEWED_CHART_NETWORK_POLICIES[f.chart.name]?.names.includes(np.name))
    .map((np) => `${set.name}/${f.release.name}: the chart renders NetworkPolicy ${np.namespace}/${np.name}, which widens the platform's; turn it off in the values or review it here`));
}

/**
 * Keys a render writes twice (helm keeps the last; strict YAML tools reject the manifest), that
 * the platform's values do not cause: k3s's own base values for its Traefik set the pod
 * annotations the 37.x chart also writes (scripts/chart-facts.ts K3S_TRAEFIK).
 */
const REVIEWED_DUPLICATE_KEYS = [
  'traefik: Deployment kube-system/traefik spec.template.metadata.annotations.prometheus.io/port',
  'traefik: Deployment kube-system/traefik spec.template.metadata.annotations.prometheus.io/scrape',
];

function duplicateKeyProblems(set: ValuesSet): string[] {
  return [...set.facts.values()].flatMap((f) => f.duplicateKeys.flatMap((d) => d.keys
    .map((k) => `${f.release.name}: ${d.kind} ${d.namespace ? `${d.namespace}/` : ''}${d.name} ${k.path}`)
    .filter((k) => !REVIEWED_DUPLICATE_KEYS.includes(k))
    .map((k) => `${set.name}/${k} is written twice`)));
}

describe.each(valuesSets().map((s) => [s.name, s] as const))('values set %s: what the charts render', (_name, set) => {
  it('writes no YAML key twice', () => {
    expect(duplicateKeyProblems(set)).toEqual([]);
  });

  it('renders no NetworkPolicy of its own but those reviewed', () => {
    expect(chartNetworkPolicyProblems(set)).toEqual([]);
  });

  it('is admitted by the Argo CD AppProject of its Application: namespaces and kinds', () => {
    expect(appProjectProblems(set)).toEqual([]);
  });

  it('requests CPU and memory in every container, init containers and hooks included', () => {
    expect(requestProblems(set)).toEqual([]);
  });
});

describe('the checks themselves', () => {
  const set = valuesSets().find((s) => s.name === 'reference')!;
  const argocd = set.facts.get('argocd')!;
  const withFacts = (f: ChartFacts): ValuesSet => ({ ...set, facts: new Map([[f.release.name, f]]) });

  it('fails a chart that writes into a namespace its project does not admit', () => {
    expect(appProjectProblems(withFacts({ ...argocd, namespaces: ['argocd', 'kube-system'] })))
      .toEqual([expect.stringMatching(/^reference\/argocd: the chart writes into namespace kube-system, which AppProject platform-system does not admit/)]);
  });

  it('fails a chart NetworkPolicy nobody reviewed', () => {
    const np = { kind: 'NetworkPolicy', name: 'argocd-server', namespace: 'argocd', podSelector: {}, policyTypes: ['Ingress'], ingress: [{}], egress: null };
    expect(chartNetworkPolicyProblems(withFacts({ ...argocd, networkPolicies: [np] } as ChartFacts)))
      .toEqual(["reference/argocd: the chart renders NetworkPolicy argocd/argocd-server, which widens the platform's; turn it off in the values or review it here"]);
  });

  it('fails a container without requests, unless a LimitRange of its namespace gives them', () => {
    const w = { ...argocd.workloads[0], containers: [{ ...argocd.workloads[0].containers[0], resources: { requests: null, limits: null } }], initContainers: [] };
    const bare = { ...argocd, workloads: [w] };
    expect(requestProblems(withFacts(bare))).toEqual([expect.stringMatching(/requests no cpu or memory$/)]);
    const limitRange = { kind: 'LimitRange', metadata: { name: 'defaults', namespace: w.namespace }, spec: { limits: [{ type: 'Container', defaultRequest: { cpu: '10m', memory: '32Mi' } }] } };
    expect(requestProblems({ ...withFacts(bare), objects: [...set.objects, limitRange] })).toEqual([]);
  });
});
