/**
 * Which Helm releases an entry point's synthesized output installs, with the values each gets, as
 * scripts/chart-facts.ts renders them; and the sha256 of those values that each facts file records.
 * Shared by the script (which renders the charts) and by the facts-freshness test (which only
 * recomputes the digest from the output), so both read the output the same way. No side effects.
 */
import * as crypto from 'crypto';
import { isMap, isScalar, isSeq, parseAllDocuments } from 'yaml';

/** The installations whose Helm values are recorded, each an entry point that honours CDK8S_OUTDIR. */
export const VALUES_SETS: readonly { name: string; entry: string; k3sTraefik: boolean }[] = [
  { name: 'reference', entry: 'main.ts', k3sTraefik: false },
  { name: 'private-cloud', entry: 'examples/private-cloud.ts', k3sTraefik: true },
  { name: 'private-cloud-argocd', entry: 'examples/private-cloud-argocd.ts', k3sTraefik: false },
];

/**
 * k3s v1.33.6+k3s1 installs Traefik from its own HelmChart `kube-system/traefik` (k3s
 * `manifests/traefik.yaml`), and its helm-controller passes that HelmChart's `valuesContent` first
 * and a HelmChartConfig's `valuesContent` second (`-f` each, so the HelmChartConfig wins key by
 * key), with `--set global.systemDefaultRegistry=`.
 *
 * Source of the base values: k3s-io/k3s `manifests/traefik.yaml` (the layout since chart 27,
 * stored versions 68de3872c656 and 02a8f93f20d3; k3s issue #9919 moved podAnnotations under
 * `deployment`). The image tag is the bundled chart's appVersion (v3.5.1 for 37.1.1+up37.1.0),
 * which is what k3s pins for that chart; the chart itself was matched to v1.33.6+k3s1 by its
 * archive hash (../shared/charts/README.md, note 3).
 */
export const K3S_TRAEFIK = {
  k3s: 'v1.33.6+k3s1',
  chart: 'traefik',
  version: '37.1.1+up37.1.0',
  crdChart: 'traefik-crd',
  repo: 'https://k3s.io/k3s-charts/assets',
  namespace: 'kube-system',
  set: ['global.systemDefaultRegistry='],
  base: {
    deployment: { podAnnotations: { 'prometheus.io/port': '8082', 'prometheus.io/scrape': 'true' } },
    providers: { kubernetesIngress: { publishedService: { enabled: true } } },
    priorityClassName: 'system-cluster-critical',
    image: { repository: 'rancher/mirrored-library-traefik', tag: '3.5.1' },
    tolerations: [
      { key: 'CriticalAddonsOnly', operator: 'Exists' },
      { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node-role.kubernetes.io/master', operator: 'Exists', effect: 'NoSchedule' },
    ],
    service: { ipFamilyPolicy: 'PreferDualStack' },
  },
} as const;

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Obj = Record<string, any>;

export interface Release {
  /** Release name, as the engine passes it to helm. */
  name: string;
  namespace: string;
  chart: string;
  version: string;
  repoURL: string;
  /** Where in the synthesized output the values came from. */
  from: string;
  /** Values files in the order helm gets them (later wins). */
  values: Obj[];
  set: string[];
  /** The k3s-bundled chart (pulled from the k3s chart assets; a special mirror folder). */
  k3s?: 'chart' | 'crd';
}

/** JSON with keys sorted at every level, two-space indent, trailing newline. */
export function canonical(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}
function sortKeys(value: any): any {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().filter((k) => value[k] !== undefined).map((k) => [k, sortKeys(value[k])]));
  }
  return value;
}
export const sha256 = (text: string) => crypto.createHash('sha256').update(text).digest('hex');
export const byKey = <T>(key: (t: T) => string) => (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

/** Every YAML document of a text; duplicate keys are kept (the last wins) and reported. */
export function parseYamlDocs(text: string, where: string): { doc: Obj; duplicates: { path: string; values: Json[] }[] }[] {
  const out: { doc: Obj; duplicates: { path: string; values: Json[] }[] }[] = [];
  for (const d of parseAllDocuments(text, { uniqueKeys: false })) {
    if ('errors' in d && d.errors.length) throw new Error(`${where}: ${d.errors.map((e) => e.message).join('; ')}`);
    const doc = d.toJS({ maxAliasCount: -1 });
    if (!doc || typeof doc !== 'object') continue;
    const duplicates: { path: string; values: Json[] }[] = [];
    const walk = (node: any, at: string) => {
      if (isMap(node)) {
        const seen = new Map<string, Json[]>();
        for (const pair of node.items) {
          const k = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
          const v = pair.value && typeof (pair.value as any).toJSON === 'function' ? (pair.value as any).toJSON() : (pair.value as any);
          seen.set(k, [...(seen.get(k) ?? []), v ?? null]);
          walk(pair.value, `${at}.${k}`);
        }
        for (const [k, vs] of seen) if (vs.length > 1) duplicates.push({ path: `${at}.${k}`.replace(/^\./, ''), values: vs });
      } else if (isSeq(node)) {
        node.items.forEach((item, i) => walk(item, `${at}[${i}]`));
      }
    };
    walk(d.contents, '');
    out.push({ doc, duplicates });
  }
  return out;
}

export function deepMerge(base: any, over: any): any {
  if (over && typeof over === 'object' && !Array.isArray(over) && base && typeof base === 'object' && !Array.isArray(base)) {
    const out: Obj = { ...base };
    for (const [k, v] of Object.entries(over)) out[k] = k in base ? deepMerge(base[k], v) : v;
    return out;
  }
  return over;
}

export function releasesOf(set: typeof VALUES_SETS[number], objects: Obj[]): Release[] {
  const releases: Release[] = [];
  for (const o of objects) {
    const id = `${o.kind} ${o.metadata?.namespace}/${o.metadata?.name}`;
    if (o.apiVersion?.startsWith('argoproj.io/') && o.kind === 'Application') {
      for (const src of o.spec.sources ?? [o.spec.source]) {
        if (!src?.chart) continue;
        const helm = src.helm ?? {};
        for (const unsupported of ['parameters', 'fileParameters', 'valueFiles', 'valuesFrom']) {
          if (helm[unsupported]?.length) throw new Error(`${id}: spec.source.helm.${unsupported} is not read by this script; add it here first`);
        }
        // Argo CD: valuesObject wins over the values string.
        const values = deepMerge(helm.values ? parseYamlDocs(helm.values, id)[0]?.doc ?? {} : {}, helm.valuesObject ?? {});
        releases.push({
          name: helm.releaseName ?? o.metadata.name, namespace: o.spec.destination.namespace, chart: src.chart,
          version: src.targetRevision, repoURL: src.repoURL, from: id, values: [values], set: [],
        });
      }
    } else if (o.apiVersion?.startsWith('helm.toolkit.fluxcd.io/') && o.kind === 'HelmRelease') {
      const spec = o.spec;
      if (spec.valuesFrom?.length) throw new Error(`${id}: spec.valuesFrom is not read by this script; add it here first`);
      const chart = spec.chart?.spec;
      if (!chart) throw new Error(`${id}: only spec.chart.spec (a HelmRepository chart) is read by this script`);
      const ref = chart.sourceRef;
      const repo = objects.find((r) => r.kind === ref.kind && r.metadata?.name === ref.name && r.metadata?.namespace === (ref.namespace ?? o.metadata.namespace));
      if (!repo) throw new Error(`${id}: its ${ref.kind} ${ref.namespace}/${ref.name} is not in the synthesized output`);
      const namespace = spec.targetNamespace ?? o.metadata.namespace;
      // Flux's default release name: [<targetNamespace>-]<name>.
      const name = spec.releaseName ?? (spec.targetNamespace ? `${spec.targetNamespace}-${o.metadata.name}` : o.metadata.name);
      releases.push({ name, namespace, chart: chart.chart, version: chart.version, repoURL: repo.spec.url, from: id, values: [spec.values ?? {}], set: [] });
    } else if (o.apiVersion === 'helm.cattle.io/v1' && o.kind === 'HelmChartConfig') {
      if (o.metadata.namespace !== K3S_TRAEFIK.namespace || o.metadata.name !== K3S_TRAEFIK.chart) {
        throw new Error(`${id}: only k3s's bundled Traefik (kube-system/traefik) is known to this script`);
      }
      if (!set.k3sTraefik) throw new Error(`${id}: values set ${set.name} is not marked as using k3s's bundled Traefik`);
      const config = parseYamlDocs(o.spec.valuesContent ?? '', id)[0]?.doc ?? {};
      const common = { namespace: K3S_TRAEFIK.namespace, version: K3S_TRAEFIK.version, repoURL: K3S_TRAEFIK.repo, set: [...K3S_TRAEFIK.set] };
      releases.push({ ...common, name: K3S_TRAEFIK.chart, chart: K3S_TRAEFIK.chart, from: `${id} over k3s ${K3S_TRAEFIK.k3s} manifests/traefik.yaml`, values: [K3S_TRAEFIK.base, config], k3s: 'chart' });
      releases.push({ ...common, name: K3S_TRAEFIK.crdChart, chart: K3S_TRAEFIK.crdChart, from: `k3s ${K3S_TRAEFIK.k3s} manifests/traefik.yaml`, values: [{}], set: [], k3s: 'crd' });
    }
  }
  if (set.k3sTraefik && !releases.some((r) => r.k3s)) throw new Error(`values set ${set.name}: no HelmChartConfig kube-system/traefik in its output`);
  const names = releases.map((r) => r.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new Error(`values set ${set.name}: two releases named ${dup}`);
  return releases.sort(byKey((r) => r.name));
}

/** What helm gets as values, as text: each values file canonical, in order, then the `--set`s. */
export function valuesText(r: Release): string {
  return r.values.map((v) => canonical(v)).join('') + r.set.map((s) => `--set ${s}\n`).join('');
}

/** The digest a facts file records as `render.valuesSha256`. */
export function valuesSha256(r: Release): string {
  return sha256(valuesText(r));
}
