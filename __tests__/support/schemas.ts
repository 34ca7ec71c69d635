/**
 * Validates rendered objects the way the cluster will: built-in kinds against the Kubernetes OpenAPI
 * schemas of kubernetes-models, custom resources against their CRD's openAPIV3Schema, and Helm values
 * against the chart's values.schema.json or, when a chart ships none, its values.yaml.
 *
 * Unknown fields are errors. The API server drops (prunes) a field no schema knows, or rejects it
 * under strict field validation, so a misspelt field would otherwise vanish without a word. Fields
 * are closed (`additionalProperties: false`) wherever the schema lists properties and Kubernetes has
 * no extension point: maps (`labels`, `data`, `matchLabels`: `additionalProperties: {...}`),
 * empty "any JSON" types (RawExtension) and `x-kubernetes-preserve-unknown-fields` stay open.
 *
 * Schema data lives in `__tests__/schemas/` (see its README); `scripts/extract-schemas.ts` regenerates it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadManifests } from '../../lib/checks/policies/load';
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import { parse as parseYaml } from 'yaml';
import { validate as validateObjectMeta } from '@kubernetes-models/apimachinery/_schemas/IoK8sApimachineryPkgApisMetaV1ObjectMeta';

export const SCHEMAS_DIR = path.join(__dirname, '..', 'schemas');

type Json = any;
type AjvValidate = ValidateFunction & { errors?: ErrorObject[] | null };

// ---------------------------------------------------------------------------------------------
// Error text

function pointer(instancePath: string): string {
  return instancePath === '' ? '(root)' : instancePath;
}

/** One line per ajv error: `<json pointer>: <what is wrong>`. */
export function describeError(e: ErrorObject): string {
  const at = pointer(e.instancePath);
  const p = e.params as Record<string, any>;
  switch (e.keyword) {
    case 'additionalProperties':
      return `${at}: unknown field "${p.additionalProperty}"`;
    case 'unevaluatedProperties':
      return `${at}: unknown field "${p.unevaluatedProperty}"`;
    case 'required':
      return `${at}: missing required field "${p.missingProperty}"`;
    case 'type':
      return `${at}: must be of type ${p.type}`;
    case 'enum':
      return `${at}: must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `${at}: must be ${JSON.stringify(p.allowedValue)}`;
    default:
      return `${at}: ${e.message ?? e.keyword} (${e.keyword} ${JSON.stringify(p)})`;
  }
}

function describeErrors(errors: readonly ErrorObject[] | null | undefined): string[] {
  // anyOf/oneOf report their branches and then themselves; the branches say what is wrong.
  return (errors ?? []).map(describeError);
}

function unique(problems: string[]): string[] {
  return [...new Set(problems)];
}

// ---------------------------------------------------------------------------------------------
// Built-in kinds: kubernetes-models (types, required, enums) + structure.json (unknown fields)

interface BuiltinKind {
  readonly module: string;
  readonly export: string;
  readonly definition: string;
}
interface Structure {
  readonly kinds: Record<string, BuiltinKind>;
  readonly definitions: Record<string, Json>;
}

const structure: Structure = JSON.parse(fs.readFileSync(path.join(SCHEMAS_DIR, 'kubernetes', 'structure.json'), 'utf8'));

/** ajv for the structural (field-name) schemas; every definition closes its fields. */
const structuralAjv = new Ajv({ allErrors: true, strict: false });
structuralAjv.addSchema({ definitions: structure.definitions }, 'k8s');

const definitionRef = (name: string): string => `k8s#/definitions/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;

const compiled = new Map<string, AjvValidate>();
function structuralValidator(definition: string): AjvValidate {
  let fn = compiled.get(definition);
  if (!fn) {
    fn = structuralAjv.compile({ $ref: definitionRef(definition) });
    compiled.set(definition, fn);
  }
  return fn;
}

type ModelClass = new (data: unknown) => { validate(): void };

function builtinProblems(kind: BuiltinKind, obj: Json): string[] {
  const problems: string[] = [];
  // Dynamic require: the kind is only known from the object; `module` comes from structure.json.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Model: ModelClass = require(kind.module)[kind.export];
  try {
    new Model(obj).validate();
  } catch (e: any) {
    if (!Array.isArray(e?.errors)) throw e;
    problems.push(...describeErrors(e.errors));
  }
  const structural = structuralValidator(kind.definition);
  if (!structural(obj)) problems.push(...describeErrors(structural.errors));
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Custom resources: CRD openAPIV3Schema, closed where Kubernetes would prune

/**
 * The API server evaluates `pattern` with Go's RE2, which allows inline flags (`(?i)abort`) that
 * JavaScript's RegExp rejects; a leading `(?i)` (or `^(?i)`) becomes the `i` flag.
 */
const goRegExp = Object.assign(
  (pattern: string, flags: string): RegExp => {
    const inline = /^(\^?)\(\?i\)/.exec(pattern);
    return inline ? new RegExp(inline[1] + pattern.slice(inline[0].length), flags + 'i') : new RegExp(pattern, flags);
  },
  { code: 'goRegExp' },
);

const crdAjv = new Ajv({
  allErrors: true,
  code: { regExp: goRegExp },
  // CRD schemas carry x-kubernetes-* extensions and OpenAPI `nullable`; Kubernetes-only formats
  // (int-or-string, byte, ...) are not checked here: the CRD types' own tests cover them upstream.
  strict: false,
  validateFormats: false,
});

/** Keys are `<apiVersion>/<kind>`, e.g. `cert-manager.io/v1/Certificate`. */
const crdFiles = new Map<string, string>(
  fs.readdirSync(path.join(SCHEMAS_DIR, 'crds'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => {
      const [group, version, kind] = f.replace(/\.json$/, '').split('_');
      return [`${group}/${version}/${kind}`, path.join(SCHEMAS_DIR, 'crds', f)] as [string, string];
    }),
);

/**
 * Copy of a CRD schema with `additionalProperties: false` wherever it lists `properties`, has no
 * `additionalProperties` of its own and no `x-kubernetes-preserve-unknown-fields`. Only structural
 * positions (properties, items, additionalProperties, $defs/definitions) are closed: allOf/anyOf/oneOf
 * branches of a structural schema only add value constraints, and closing them would reject their siblings.
 */
export function closeSchema(schema: Json, options: { overrideTrue?: boolean } = {}): Json {
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return schema;
  const close = (v: Json): Json => closeSchema(v, options);
  const out: Json = { ...schema };
  if (out.properties) {
    out.properties = Object.fromEntries(Object.entries(out.properties).map(([k, v]) => [k, close(v)]));
    const open = out.additionalProperties === undefined || (options.overrideTrue && out.additionalProperties === true);
    if (open && !out['x-kubernetes-preserve-unknown-fields']) out.additionalProperties = false;
  }
  if (out.items) out.items = close(out.items);
  for (const defs of ['$defs', 'definitions']) {
    if (out[defs]) out[defs] = Object.fromEntries(Object.entries(out[defs]).map(([k, v]) => [k, close(v)]));
  }
  if (out.additionalProperties && typeof out.additionalProperties === 'object') out.additionalProperties = close(out.additionalProperties);
  return out;
}

const crdValidators = new Map<string, AjvValidate>();
function crdValidator(key: string): AjvValidate | undefined {
  let fn = crdValidators.get(key);
  const file = crdFiles.get(key);
  if (!fn && file) {
    const schema = closeSchema(JSON.parse(fs.readFileSync(file, 'utf8')));
    // A CRD's metadata schema is a bare `type: object`; the API server applies ObjectMeta's.
    schema.properties = { ...schema.properties, metadata: {} };
    fn = crdAjv.compile(schema);
    crdValidators.set(key, fn);
  }
  return fn;
}

function objectMetaProblems(metadata: unknown): string[] {
  if (metadata === undefined) return [];
  const problems: string[] = [];
  if (!validateObjectMeta(metadata)) {
    const errors = ((validateObjectMeta as any).errors ?? []) as ErrorObject[];
    problems.push(...describeErrors(errors.map((e) => ({ ...e, instancePath: '/metadata' + e.instancePath }))));
  }
  const structural = structuralValidator('meta/v1/ObjectMeta');
  if (!structural(metadata)) {
    problems.push(...describeErrors(structural.errors!.map((e) => ({ ...e, instancePath: '/metadata' + e.instancePath }))));
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Objects

/** `apiVersion/kind` of every kind the validator has a schema for. */
export function knownKinds(): string[] {
  return [...Object.keys(structure.kinds), ...crdKinds()].sort();
}

/** `apiVersion/kind` of the custom resources the validator has a CRD schema for. */
export function crdKinds(): string[] {
  return [...crdFiles.keys()].sort();
}

/**
 * Problems of one object, each `<json pointer>: <problem>`; empty when the object is valid.
 * A kind with no schema is a problem: a new kind must bring its schema (scripts/extract-schemas.ts).
 */
export function validateObject(obj: unknown): string[] {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return ['(root): must be an object'];
  const o = obj as Json;
  if (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string') {
    return ['(root): apiVersion and kind must be strings'];
  }
  const key = `${o.apiVersion}/${o.kind}`;
  const problems: string[] = [];
  if (!o.metadata?.name && !o.metadata?.generateName) problems.push('/metadata: missing required field "name"');
  const builtin = structure.kinds[key];
  if (builtin) return unique([...problems, ...builtinProblems(builtin, o)]);
  const crd = crdValidator(key);
  if (!crd) {
    return [`(root): no schema for ${key}: add the CRD file to CRD_FILES in scripts/extract-schemas.ts and run it, or fix apiVersion/kind`];
  }
  if (!crd(o)) problems.push(...describeErrors(crd.errors));
  problems.push(...objectMetaProblems(o.metadata));
  return unique(problems);
}

/** `Kind namespace/name`, for messages. */
export function objectLabel(obj: Json): string {
  const ns = obj?.metadata?.namespace;
  return `${obj?.kind ?? '?'} ${ns ? `${ns}/` : ''}${obj?.metadata?.name ?? '?'}`;
}

/** Problems of many objects, each prefixed with the object's kind and name. */
export function validateAll(objects: readonly unknown[]): string[] {
  return objects.flatMap((o) => validateObject(o).map((p) => `${objectLabel(o)}: ${p}`));
}

/** Every YAML document under `dir` (e.g. dist/), with its path relative to `dir`, sorted by path. */
export function readManifests(dir: string): Array<{ file: string; object: Json }> {
  return [...loadManifests(dir)].map(([file, object]) => ({ file, object: object as Json }));
}

// ---------------------------------------------------------------------------------------------
// Helm values

export interface ChartInfo {
  /** Chart version the stored values.yaml / values.schema.json belong to. */
  readonly version: string;
  readonly repoURL: string;
  readonly source: string;
  readonly values: string;
  readonly schema?: string;
  /** Subcharts whose values the platform sets, each with its own values.yaml. */
  readonly subcharts?: Record<string, { readonly version: string; readonly source: string; readonly values: string }>;
}

export const helmCharts: Record<string, ChartInfo> = JSON.parse(fs.readFileSync(path.join(SCHEMAS_DIR, 'helm', 'charts.json'), 'utf8'));

/**
 * Keys under which a chart without a values.schema.json takes free-form entries although its
 * values.yaml lists some (empty maps `{}` are free-form anyway).
 */
export const FREE_FORM_VALUES: Record<string, readonly string[]> = {
  // values.yaml: "Any values you put under `.configs.cm` are passed to argocd-cm ConfigMap"; same
  // for argocd-cmd-params-cm ("You can customize parameters by adding parameters here") and argocd-rbac-cm.
  'argo-cd': ['configs.cm', 'configs.params', 'configs.rbac'],
  // The grafana subchart's values.yaml: "Grafana's primary configuration. NOTE: values in map will
  // be converted to ini format" (every section of Grafana's configuration, `[database]` among them).
  'kube-prometheus-stack': ['grafana.grafana.ini'],
};

const helmDefaults = new Map<string, Json>();
function chartDefaults(chart: string): Json {
  if (!helmDefaults.has(chart)) {
    const read = (file: string) => parseYaml(fs.readFileSync(path.join(SCHEMAS_DIR, 'helm', file), 'utf8')) ?? {};
    const defaults = read(helmCharts[chart].values);
    // Helm's order: a subchart's own defaults, then what the parent's values.yaml sets for it.
    for (const [name, sub] of Object.entries(helmCharts[chart].subcharts ?? {})) defaults[name] = coalesceValues(read(sub.values), defaults[name] ?? {});
    helmDefaults.set(chart, defaults);
  }
  return helmDefaults.get(chart);
}

const isMap = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Helm's coalescing of user values over chart defaults: maps merge, `null` deletes, the rest replaces. */
export function coalesceValues(defaults: Json, values: Json): Json {
  if (!isMap(defaults) || !isMap(values)) return values;
  const out: Record<string, unknown> = { ...defaults };
  for (const [k, v] of Object.entries(values)) {
    if (v === null) delete out[k];
    else out[k] = isMap(v) && isMap(out[k]) ? coalesceValues(out[k], v) : v;
  }
  return out;
}

interface HelmSchema {
  /** The chart's schema as Helm applies it. */
  readonly asIs: AjvValidate;
  /** The same, closed like a CRD schema: lists the keys the schema does not know. */
  readonly closed: AjvValidate;
}

/**
 * Authelia's schema points at Kubernetes definitions it publishes at charts.authelia.com (Gateway
 * API ParentReference, NetworkPolicy rules, HPA behavior). Offline those few sub-objects are
 * accepted as any value: a stub schema per remote document, with an open definition per name.
 */
function remoteStubs(schema: Json): Json[] {
  const byDoc = new Map<string, Set<string>>();
  const walk = (n: Json): void => {
    if (!n || typeof n !== 'object') return;
    if (typeof n.$ref === 'string' && /^https?:/.test(n.$ref)) {
      const [doc, fragment = ''] = n.$ref.split('#');
      const name = /^\/definitions\/(.+)$/.exec(fragment)?.[1];
      if (!name) throw new Error(`unsupported remote $ref ${n.$ref}`);
      byDoc.set(doc, (byDoc.get(doc) ?? new Set()).add(name));
    }
    for (const v of Object.values(n)) walk(v);
  };
  walk(schema);
  return [...byDoc].map(([doc, names]) => ({ $id: doc, definitions: Object.fromEntries([...names].map((n) => [n, {}])) }));
}

const helmSchemas = new Map<string, HelmSchema>();
function helmSchema(chart: string): HelmSchema | undefined {
  const info = helmCharts[chart];
  if (!info?.schema) return undefined;
  let found = helmSchemas.get(chart);
  if (!found) {
    const schema = JSON.parse(fs.readFileSync(path.join(SCHEMAS_DIR, 'helm', info.schema), 'utf8'));
    const compile = (s: Json): AjvValidate => {
      // Charts write schemas for Helm's validator, not for ajv's strict mode; formats are not checked.
      const options = { allErrors: true, strict: false, validateFormats: false };
      const ajv = /2020-12/.test(schema.$schema ?? '') ? new Ajv2020(options) : new Ajv(options);
      for (const stub of remoteStubs(schema)) ajv.addSchema(stub);
      return ajv.compile(s);
    };
    // `additionalProperties: true` next to listed properties is how generated chart schemas say
    // "not exhaustive" (loki's root); a key we set must still be listed there or in values.yaml.
    found = { asIs: compile(schema), closed: compile(closeSchema(schema, { overrideTrue: true })) };
    helmSchemas.set(chart, found);
  }
  return found;
}

/** Whether `values` holds the path (JSON pointer segments). */
function hasPath(values: Json, segments: string[]): boolean {
  let node = values;
  for (const s of segments) {
    if (!node || typeof node !== 'object' || !(s in node)) return false;
    node = node[s];
  }
  return true;
}

const segmentsOf = (pointer: string): string[] =>
  pointer === '' ? [] : pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));

/** Leaf paths of our values: scalars, lists and empty maps end a path. */
function leafPaths(values: Json, prefix: string[] = []): string[][] {
  if (!isMap(values) || (Object.keys(values).length === 0 && prefix.length)) return [prefix];
  return Object.entries(values).flatMap(([k, v]) => leafPaths(v, [...prefix, k]));
}

function pathProblems(chart: string, values: Json): string[] {
  const defaults = chartDefaults(chart);
  const freeForm = FREE_FORM_VALUES[chart] ?? [];
  const problems: string[] = [];
  for (const leaf of leafPaths(values)) {
    let node: unknown = defaults;
    for (let i = 0; i < leaf.length; i++) {
      const here = leaf.slice(0, i).join('.');
      if (freeForm.includes(here)) break;
      if (node === null || node === undefined) break; // `key: ~` is a documented placeholder
      if (!isMap(node)) {
        problems.push(`${here}: is ${Array.isArray(node) ? 'a list' : `a ${typeof node}`} in chart ${chart}'s values.yaml, not a map (we set ${leaf.join('.')})`);
        break;
      }
      if (Object.keys(node).length === 0) break; // `{}`: a free-form map (resources, podAnnotations, ...)
      if (!(leaf[i] in node)) {
        problems.push(`${leaf.slice(0, i + 1).join('.')}: unknown key (no such value in chart ${chart} ${helmCharts[chart].version} values.yaml${here ? `; ${here} has ${Object.keys(node).join(', ')}` : ''})`);
        break;
      }
      node = node[leaf[i]];
    }
  }
  return problems;
}

/**
 * Problems of the values we give a chart. With a values.schema.json, the values merged with the
 * chart's defaults are validated as Helm does, and, since most chart schemas leave objects open,
 * every key we set must also be known to the schema (where it lists properties) or to values.yaml.
 * Without a schema, every key path we set must exist in the chart's values.yaml.
 */
export function helmValuesProblems(chart: string, values: Json): string[] {
  if (!helmCharts[chart]) {
    return [`no values reference for chart ${chart}: add it to CHARTS in scripts/extract-schemas.ts and run it`];
  }
  const schema = helmSchema(chart);
  if (!schema) return pathProblems(chart, values);
  const defaults = chartDefaults(chart);
  const merged = coalesceValues(defaults, values ?? {});
  const problems: string[] = [];
  if (!schema.asIs(merged)) problems.push(...describeErrors(schema.asIs.errors));
  if (!schema.closed(merged)) {
    for (const e of schema.closed.errors ?? []) {
      if (e.keyword !== 'additionalProperties') continue;
      const at = [...segmentsOf(e.instancePath), String(e.params.additionalProperty)];
      // Only keys we set; a default the schema forgot is the chart's business.
      if (!hasPath(values, at) || hasPath(defaults, at)) continue;
      if ((FREE_FORM_VALUES[chart] ?? []).some((f) => at.join('.').startsWith(f + '.'))) continue;
      problems.push(describeError(e));
    }
  }
  return unique(problems.map((p) => p.replace(/^\(root\)/, '(values)')));
}
