/**
 * The chart facts (facts/charts/<values set>/<release>.json, recorded by scripts/chart-facts.ts
 * from real `helm template` renders) beside the platform objects of the same values set,
 * synthesized in-process from its entry point. Tests only read: no helm, no network.
 */
import * as fs from 'fs';
import * as path from 'path';
import { VALUES_SETS } from '../../scripts/chart-releases';

export const ROOT = path.join(__dirname, '..', '..');
export const FACTS_DIR = path.join(ROOT, 'facts', 'charts');
export const REGENERATE = 'HELM=/path/to/helm npm run chart-facts -- --charts <mirror>   (or `npm run chart-facts` online), then commit facts/charts';

type Labels = Record<string, string>;

export interface Port { name: string | null; containerPort: number; protocol: string }
export interface Container { name: string; image: string; args: string[]; ports: Port[]; resources: { requests: Record<string, string> | null; limits: Record<string, string> | null } }
export interface Workload {
  kind: string; name: string; namespace: string; helmHook: string | null; podLabels: Labels; hostNetwork: boolean;
  initContainers: Container[]; containers: Container[];
}
export interface ServicePort { name: string | null; port: number; targetPort: number | string; protocol: string }
export interface ChartService { name: string; namespace: string; labels: Labels; selector: Labels | null; ports: ServicePort[] }
export interface ChartFacts {
  chart: { name: string; version: string; appVersion: string | null; repoURL: string };
  release: { name: string; namespace: string };
  valuesSet: string;
  valuesFrom: string;
  render: { helm: string; valuesSha256: string };
  namespaces: string[];
  clusterScopedKinds: string[];
  objects: Array<{ apiVersion: string; kind: string; name: string; namespace: string | null; scope: string; helmHook: string | null }>;
  workloads: Workload[];
  services: ChartService[];
  networkPolicies: Array<{ name: string; namespace: string }>;
  duplicateKeys: Array<{ kind: string; name: string; namespace: string | null; keys: Array<{ path: string; values: unknown[] }> }>;
}

export interface ValuesSet {
  readonly name: string;
  readonly entry: string;
  /** The platform's own objects, as the entry point synthesizes them. */
  readonly objects: any[];
  /** Facts by release name. */
  readonly facts: Map<string, ChartFacts>;
  /** Facts files whose name is not `<release>.json` of their own content (none expected). */
  readonly files: string[];
}

let cache: ValuesSet[] | undefined;

/** Every values set of scripts/chart-facts.ts, each synthesized once per test file. */
export function valuesSets(): ValuesSet[] {
  if (cache) return cache;
  cache = VALUES_SETS.map((s) => {
    // Each entry point is a module that builds one Platform and synthesizes only when run directly.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const entry = require(path.join(ROOT, s.entry)) as { platform: { manifests(): Iterable<[string, any[]]> } };
    const objects = [...entry.platform.manifests()].flatMap(([, objs]) => objs);
    const dir = path.join(FACTS_DIR, s.name);
    const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : [];
    const facts = new Map<string, ChartFacts>();
    for (const f of files) {
      const fact = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as ChartFacts;
      facts.set(fact.release.name, fact);
    }
    return { name: s.name, entry: s.entry, objects, facts, files };
  });
  return cache;
}

/** Whether `labels` carries every `matchLabels` pair (an empty selector selects everything). */
export function matches(selector: Labels | undefined | null, labels: Labels | undefined): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
}

/** A pod that runs in a values set: rendered by a chart, or one of the platform's own. */
export interface Pod {
  readonly origin: string;
  readonly namespace: string;
  readonly labels: Labels;
  readonly ports: Port[];
  readonly hostNetwork: boolean;
}

const POD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod']);

function templateOf(o: any): any {
  if (o.kind === 'CronJob') return o.spec?.jobTemplate?.spec?.template;
  if (o.kind === 'Pod') return o;
  return o.spec?.template;
}

/** Pods of the charts of a values set (from the facts). */
export function chartPods(set: ValuesSet): Pod[] {
  return [...set.facts.values()].flatMap((f) => f.workloads.map((w) => ({
    origin: `${f.valuesSet}/${f.release.name}: ${w.kind} ${w.namespace}/${w.name}`,
    namespace: w.namespace,
    labels: w.podLabels,
    ports: [...w.containers, ...w.initContainers].flatMap((c) => c.ports),
    hostNetwork: w.hostNetwork,
  })));
}

/** The platform's own pods (from the synthesized objects). */
export function platformPods(set: ValuesSet): Pod[] {
  return set.objects.filter((o) => POD_KINDS.has(o.kind)).map((o) => {
    const spec = templateOf(o)?.spec ?? {};
    return {
      origin: `${set.name}: ${o.kind} ${o.metadata.namespace}/${o.metadata.name}`,
      namespace: o.metadata.namespace,
      labels: templateOf(o)?.metadata?.labels ?? {},
      ports: [...(spec.containers ?? []), ...(spec.initContainers ?? [])].flatMap((c: any) => (c.ports ?? []).map((p: any) => ({
        name: p.name ?? null, containerPort: p.containerPort, protocol: p.protocol ?? 'TCP',
      }))),
      hostNetwork: spec.hostNetwork ?? false,
    };
  });
}

/** Whether a pod serves a port, given as a number or a container port name. */
export function servesPort(pod: Pod, port: number | string, protocol = 'TCP'): boolean {
  return pod.ports.some((p) => (typeof port === 'number' ? p.containerPort === port : p.name === port) && p.protocol === protocol);
}

/** Services of the charts of a values set. */
export function chartServices(set: ValuesSet): Array<ChartService & { origin: string }> {
  return [...set.facts.values()].flatMap((f) => f.services.map((s) => ({ ...s, origin: `${f.valuesSet}/${f.release.name}` })));
}

export const id = (o: any): string => `${o.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`;
