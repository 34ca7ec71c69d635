// What a change to main.ts does to the cluster, from two synthesized trees; blocks destructive
// changes.
import { parseMemory } from '../core/quantity';
import { diff, equal, get } from './plan-diff';

export { diff } from './plan-diff';

/**
 * What a change to main.ts does to the cluster, from two synthesized trees (`dist/` at a Git ref
 * and a fresh synth): per namespace folder, objects added, changed (field by field) and removed,
 * and the changes that lose data or that Argo CD can only apply by deleting and recreating an
 * object. Pure: the CLI (scripts/plan.ts) reads the trees.
 */

/** Objects keyed by file (see loadManifests): `<folder>/<file>[#<Kind>/<name>]` -> object. */
export type Manifests = ReadonlyMap<string, any>;

export interface PlanOptions {
  /** Destructive changes are reported but do not block. @default false */
  readonly allowDestructive?: boolean;
  /** Objects (`<namespace>/<Kind>/<name>`) whose destructive change is expected. @default [] */
  readonly allow?: readonly string[];
}

export interface ObjectChange {
  /** `<namespace>/<Kind>/<name>`. */
  readonly object: string;
  /**
   * `path: before -> after`, one per changed field; a multi-line value adds its line diff on the
   * following lines of the same entry (`  - old`, `  + new`, `  @@ line N @@`).
   */
  readonly changes: readonly string[];
}

export interface NamespacePlan {
  /** The dist/ folder, i.e. the namespace (and its Argo CD Application). */
  readonly namespace: string;
  readonly added: readonly string[];
  readonly changed: readonly ObjectChange[];
  readonly removed: readonly string[];
  /** A removed and an added object that look like one object under a new name (a renamed construct id). */
  readonly renamed: ReadonlyArray<{ readonly from: string; readonly to: string }>;
}

export interface DestructiveChange {
  readonly object: string;
  readonly reason: string;
  /** By --allow-destructive or an --allow entry. */
  readonly allowed: boolean;
}

export interface PlanWarning {
  readonly object: string;
  readonly reason: string;
}

export interface Plan {
  readonly namespaces: readonly NamespacePlan[];
  readonly destructive: readonly DestructiveChange[];
  readonly warnings: readonly PlanWarning[];
  /**
   * `allow` entries that name no destructive change of this plan (a typo, a wrong case: names
   * match exactly, case-sensitively), with the case-insensitive match if there is one. Each one
   * blocks: an allow that matches nothing would otherwise pass silently.
   */
  readonly unmatchedAllows: ReadonlyArray<{ readonly allow: string; readonly didYouMean?: string }>;
  /** Some destructive change is not allowed, or an allow entry matches nothing: the CLI exits non-zero. */
  readonly blocked: boolean;
}

/** Kinds whose deletion loses data (or everything in a namespace). */
export const STATEFUL_KINDS: ReadonlySet<string> = new Set(['PersistentVolumeClaim', 'StatefulSet', 'Namespace']);

/**
 * Fields the API server refuses to change: Argo CD's sync fails, and only Replace=true (delete and
 * recreate) would apply them. For a StatefulSet that means new pods and, for volumeClaimTemplates,
 * volumes that no longer match.
 */
export const IMMUTABLE_FIELDS: Readonly<Record<string, readonly string[]>> = {
  StatefulSet: ['spec.selector', 'spec.volumeClaimTemplates', 'spec.serviceName', 'spec.podManagementPolicy'],
  Deployment: ['spec.selector'],
  DaemonSet: ['spec.selector'],
  Job: ['spec.template', 'spec.selector', 'spec.completionMode'],
  PersistentVolumeClaim: ['spec.storageClassName', 'spec.accessModes', 'spec.selector', 'spec.volumeName', 'spec.volumeMode'],
};

interface Entry {
  readonly ref: string;
  readonly folder: string;
  readonly obj: any;
}

/** `novahost/Deployment/web`: the folder (namespace) of the file, the kind and the name. */
export function refOf(file: string, obj: any): string {
  const folder = file.includes('/') ? file.slice(0, file.indexOf('/')) : '';
  return `${folder}/${obj?.kind}/${obj?.metadata?.name}`;
}

function index(manifests: Manifests): Map<string, Entry> {
  const out = new Map<string, Entry>();
  for (const [file, obj] of manifests) {
    const ref = refOf(file, obj);
    out.set(ref, { ref, folder: ref.slice(0, ref.indexOf('/')), obj });
  }
  return out;
}

const short = (ref: string): string => ref.slice(ref.indexOf('/') + 1);

export function plan(before: Manifests, after: Manifests, options: PlanOptions = {}): Plan {
  const a = index(before);
  const b = index(after);
  const allow = new Set(options.allow ?? []);
  const destructive: Array<Omit<DestructiveChange, 'allowed'>> = [];
  const warnings: PlanWarning[] = [];
  const byFolder = new Map<string, { added: string[]; changed: ObjectChange[]; removed: string[]; renamed: Array<{ from: string; to: string }> }>();
  const folder = (name: string) => {
    let f = byFolder.get(name);
    if (!f) byFolder.set(name, (f = { added: [], changed: [], removed: [], renamed: [] }));
    return f;
  };

  const removed = [...a.values()].filter((e) => !b.has(e.ref));
  const added = [...b.values()].filter((e) => !a.has(e.ref));
  const renamedTo = new Set<string>();

  for (const r of removed) {
    const to = added.find((x) => !renamedTo.has(x.ref) && looksRenamed(r, x));
    if (to) {
      renamedTo.add(to.ref);
      folder(r.folder).renamed.push({ from: short(r.ref), to: short(to.ref) });
      if (STATEFUL_KINDS.has(r.obj.kind)) {
        destructive.push({ object: r.ref, reason: `renamed to ${to.obj.metadata.name} (a changed construct id?): the ${r.obj.kind} is deleted and a new, empty one created; its data does not follow the name${orphanNote(r.obj)}` });
      }
      continue;
    }
    folder(r.folder).removed.push(short(r.ref));
    if (STATEFUL_KINDS.has(r.obj.kind)) {
      destructive.push({ object: r.ref, reason: `deleted: a ${r.obj.kind} holds data${r.obj.kind === 'Namespace' ? ' (with everything in it)' : ''}${orphanNote(r.obj)}` });
    }
  }
  for (const x of added) if (!renamedTo.has(x.ref)) folder(x.folder).added.push(short(x.ref));

  for (const [ref, e] of a) {
    const next = b.get(ref);
    if (!next) continue;
    const changes = diff(e.obj, next.obj);
    if (!changes.length) continue;
    folder(e.folder).changed.push({ object: short(ref), changes });
    destructive.push(...immutableChanges(e.obj, next.obj).map((reason) => ({ object: ref, reason })));
    warnings.push(...storageGrowth(e.obj, next.obj).map((reason) => ({ object: ref, reason })));
  }
  warnings.push(...droppedDatabases(a, b));

  const namespaces = [...byFolder.entries()]
    .sort(([x], [y]) => x.localeCompare(y))
    .map(([namespace, f]) => ({ namespace, added: f.added.sort(), changed: f.changed.sort((x, y) => x.object.localeCompare(y.object)), removed: f.removed.sort(), renamed: f.renamed }))
    .filter((n) => n.added.length || n.changed.length || n.removed.length || n.renamed.length);
  const marked = destructive.map((d) => ({ ...d, allowed: !!options.allowDestructive || allow.has(d.object) }));
  const unmatchedAllows = [...allow].filter((x) => !destructive.some((d) => d.object === x)).map((x) => ({
    allow: x,
    ...(() => {
      const near = destructive.find((d) => d.object.toLowerCase() === x.toLowerCase());
      return near ? { didYouMean: near.object } : {};
    })(),
  }));
  return { namespaces, destructive: marked, warnings, unmatchedAllows, blocked: marked.some((d) => !d.allowed) || unmatchedAllows.length > 0 };
}

function orphanNote(obj: any): string {
  const sync = obj?.metadata?.annotations?.['argocd.argoproj.io/sync-options'] ?? '';
  return /Prune=false/.test(sync) ? '. Prune=false keeps the old one in the cluster, orphaned, until it is deleted by hand' : '';
}

/**
 * Same kind and folder, and either the same identifying labels or the same spec once the old name
 * is replaced by the new one: the shape of a construct whose id (hence name) changed.
 */
function looksRenamed(r: Entry, x: Entry): boolean {
  if (r.obj.kind !== x.obj.kind || r.folder !== x.folder) return false;
  const la = r.obj.metadata?.labels ?? {};
  const identifying = ['app.kubernetes.io/instance', 'app.kubernetes.io/component'].some((k) => la[k] !== undefined);
  if (identifying && equal(la, x.obj.metadata?.labels ?? {})) return true;
  const strip = (o: any) => { const { metadata, ...rest } = o; return rest; };
  const renamedBody = JSON.stringify(strip(r.obj)).split(r.obj.metadata.name).join(x.obj.metadata.name);
  return Object.keys(strip(r.obj)).some((k) => k === 'spec' || k === 'data') && renamedBody === JSON.stringify(strip(x.obj));
}

/**
 * Why the GitOps engine replaces this object itself on every change, so a changed immutable field
 * is not destructive; undefined when it does not. Argo CD deletes a hook with the
 * `BeforeHookCreation` delete policy before it creates the new one (the provisioning Job);
 * Flux replaces an object annotated `kustomize.toolkit.fluxcd.io/force: enabled`.
 */
export function replacedByEngine(obj: any): string | undefined {
  const a: Record<string, string> = obj?.metadata?.annotations ?? {};
  const policies = (a['argocd.argoproj.io/hook-delete-policy'] ?? '').split(',').map((p) => p.trim());
  if (a['argocd.argoproj.io/hook'] && policies.includes('BeforeHookCreation')) {
    return `an Argo CD ${a['argocd.argoproj.io/hook']} hook with BeforeHookCreation: Argo CD deletes and recreates it on every sync`;
  }
  if (a['kustomize.toolkit.fluxcd.io/force'] === 'enabled') return 'kustomize.toolkit.fluxcd.io/force: enabled: Flux replaces it';
  return undefined;
}

function immutableChanges(before: any, after: any): string[] {
  const out: string[] = [];
  // Jobs (and other kinds) the engine recreates anyway: only their Kubernetes-level fields matter.
  if (replacedByEngine(after) && before.kind === 'Job') return out;
  for (const field of IMMUTABLE_FIELDS[before.kind] ?? []) {
    if (!equal(get(before, field), get(after, field))) {
      out.push(`${field} is immutable: Argo CD can only apply the change by deleting and recreating the ${before.kind}`);
    }
  }
  if (before.kind === 'Service') {
    const [x, y] = [before.spec?.clusterIP, after.spec?.clusterIP];
    if (x !== y) out.push(`spec.clusterIP ${x ?? '(auto)'} -> ${y ?? '(auto)'} is immutable: the Service is deleted and recreated (clients see a new IP)`);
    const [t, u] = [before.spec?.type === 'ExternalName', after.spec?.type === 'ExternalName'];
    if (t !== u) out.push(`spec.type ${before.spec?.type ?? 'ClusterIP'} -> ${after.spec?.type ?? 'ClusterIP'}: a change to or from ExternalName recreates the Service`);
  }
  if (before.kind === 'PersistentVolumeClaim') {
    const [x, y] = [before.spec?.resources?.requests?.storage, after.spec?.resources?.requests?.storage];
    if (x !== undefined && y !== undefined && parseMemory(y) < parseMemory(x)) {
      out.push(`spec.resources.requests.storage ${x} -> ${y}: a volume cannot shrink; the PVC would have to be recreated, losing its data`);
    }
  }
  return out;
}

function storageGrowth(before: any, after: any): string[] {
  if (before.kind !== 'PersistentVolumeClaim') return [];
  const [x, y] = [before.spec?.resources?.requests?.storage, after.spec?.resources?.requests?.storage];
  return x !== undefined && y !== undefined && parseMemory(y) > parseMemory(x)
    ? [`spec.resources.requests.storage ${x} -> ${y}: expansion needs a StorageClass with allowVolumeExpansion (k3s local-path has none)`]
    : [];
}

// ---------------------------------------------------------------------------------------------
// Heuristic, kept apart: databases that provisioning no longer creates.
//
// SharedPostgres provisioning only creates (it never drops), so removing an app's database from
// it leaves the data in place: not destructive, but worth a warning so nobody assumes it is gone.
// We read the provisioning SQL from ConfigMaps: a ConfigMap whose data contains `CREATE DATABASE`
// is a provisioning ConfigMap, and its databases are the literal targets of `CREATE DATABASE x`
// plus, for the SQL lib/data/postgres/provisioning.ts generates (where CREATE DATABASE takes its name
// from a psql variable), the literals bound with `SELECT '<name>' AS db_<n> \gset`.
// ---------------------------------------------------------------------------------------------

const CREATE_DATABASE = /CREATE\s+DATABASE\s+(?:IF\s+NOT\s+EXISTS\s+)?("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)/gi;
const GSET_DATABASE = /SELECT\s+'((?:[^']|'')*)'\s+AS\s+db_\d+\b/gi;

/** Databases a provisioning ConfigMap creates; undefined for other objects. */
export function provisionedDatabases(obj: any): Set<string> | undefined {
  if (obj?.kind !== 'ConfigMap') return undefined;
  const texts = Object.values<unknown>(obj.data ?? {}).filter((v): v is string => typeof v === 'string' && /CREATE\s+DATABASE/i.test(v));
  if (!texts.length) return undefined;
  const out = new Set<string>();
  for (const text of texts) {
    for (const line of text.split('\n')) {
      if (/^\s*--/.test(line)) continue;
      for (const m of line.matchAll(CREATE_DATABASE)) {
        const name = m[1];
        out.add(name.startsWith('"') ? name.slice(1, -1).replace(/""/g, '"') : name.toLowerCase());
      }
      for (const m of line.matchAll(GSET_DATABASE)) out.add(m[1].replace(/''/g, "'"));
    }
  }
  return out;
}

function droppedDatabases(before: Map<string, Entry>, after: Map<string, Entry>): PlanWarning[] {
  const out: PlanWarning[] = [];
  for (const [ref, e] of before) {
    const was = provisionedDatabases(e.obj);
    if (!was) continue;
    const now = provisionedDatabases(after.get(ref)?.obj) ?? new Set<string>();
    for (const db of [...was].sort()) {
      if (!now.has(db)) out.push({ object: ref, reason: `database "${db}" is no longer provisioned: data stays, see README to drop deliberately` });
    }
  }
  return out;
}

/** The plan for people: per namespace, then what is destructive, then warnings and a summary. */
export function formatPlan(p: Plan): string {
  const lines: string[] = [];
  for (const n of p.namespaces) {
    lines.push(`${n.namespace}:`);
    for (const o of n.added) lines.push(`  + ${o}`);
    for (const c of n.changed) {
      lines.push(`  ~ ${c.object}`);
      for (const ch of c.changes) lines.push(...ch.split('\n').map((l, i) => `${i ? '        ' : '      '}${l}`));
    }
    for (const r of n.renamed) lines.push(`  > ${r.from} renamed to ${r.to}`);
    for (const o of n.removed) lines.push(`  - ${o}`);
  }
  if (p.destructive.length) {
    lines.push('', 'Destructive:');
    for (const d of p.destructive) lines.push(`  ${d.allowed ? 'allowed' : 'BLOCKED'} ${d.object}: ${d.reason}`);
  }
  if (p.warnings.length) {
    lines.push('', 'Warnings:');
    for (const w of p.warnings) lines.push(`  ! ${w.object}: ${w.reason}`);
  }
  const count = (f: (n: NamespacePlan) => number): number => p.namespaces.reduce((s, n) => s + f(n), 0);
  const summary = p.namespaces.length
    ? `Plan: ${count((n) => n.added.length)} to add, ${count((n) => n.changed.length)} to change, ${count((n) => n.removed.length)} to remove, ${count((n) => n.renamed.length)} renamed; ${p.destructive.length} destructive.`
    : 'No changes.';
  lines.push('', summary);
  for (const u of p.unmatchedAllows) {
    lines.push(`Unmatched: --allow ${u.allow} names no destructive change of this plan (names match exactly, case-sensitively)${u.didYouMean ? `; did you mean --allow ${u.didYouMean}?` : ''}`);
  }
  if (p.destructive.some((d) => !d.allowed)) {
    const refs = p.destructive.filter((d) => !d.allowed).map((d) => `--allow ${d.object}`);
    lines.push(`Blocked: review the destructive changes above, then rerun with ${[...new Set(refs)].join(' ')} (or --allow-destructive).`);
  }
  return lines.join('\n').replace(/^\n/, '');
}
