/**
 * Regenerates `__tests__/schemas/` — the schema data the tests validate `dist/` against — so that
 * tests never read outside the repository. Run after bumping kubernetes-models, a CRD or a chart:
 *
 *   node_modules/.bin/ts-node --swc scripts/extract-schemas.ts [path/to/shared]
 *
 * - `kubernetes/structure.json`: the field structure of every built-in kind, read from the
 *   kubernetes-models `.d.ts` files (generated from the Kubernetes OpenAPI spec). kubernetes-models
 *   ships its JSON schemas only as compiled ajv code that ignores unknown fields; this file lets the
 *   validator close them (additionalProperties: false) where Kubernetes has no extension point.
 * - `crds/<group>_<version>_<kind>.json`: each served version's `openAPIV3Schema`, unmodified.
 * - `helm/<chart>.values.yaml` and, where the chart ships one, `helm/<chart>.values.schema.json`:
 *   byte-for-byte upstream copies; `helm/charts.json`: the chart version those files belong to.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { parse } from 'yaml';

const ROOT = path.resolve(__dirname, '..');
if (process.argv[2] === '--help' || process.argv[2] === '-h') {
  console.log(`usage: npm run extract-schemas [-- <shared folder>]

Regenerates __tests__/schemas/ (built-in kinds from kubernetes-models, CRD schemas, Helm chart
values and their schemas) from a folder holding crds/ and charts/ (default ../shared, beside the
repository). Run after bumping kubernetes-models, a CRD or a chart; review and commit the diff.`);
  process.exit(0);
}
const SHARED = path.resolve(process.argv[2] ?? path.join(ROOT, '..', 'shared'));
const TARGET = path.join(ROOT, '__tests__', 'schemas');
/** Everything is written here first and moved into place only when every input was read. */
const OUT = path.join(ROOT, 'node_modules', '.cache', 'extract-schemas');

/** CRD files of `shared/crds/` whose kinds the platform renders, or is about to. */
const CRD_FILES = [
  'argocd-application.yaml',
  'argocd-appproject.yaml',
  'certmanager-certificate.yaml',
  'certmanager-clusterissuer.yaml',
  'traefik-middleware.yaml',
  'traefik-ingressroute.yaml',
  'prometheusoperator-servicemonitor.yaml',
  'prometheusoperator-prometheusrule.yaml',
  'externalsecrets-externalsecret.yaml',
  // The Flux engine (lib/gitops/flux.ts) and its image automation.
  'flux-gitrepository.yaml',
  'flux-kustomization.yaml',
  'flux-helmrelease.yaml',
  'flux-imagerepository.yaml',
  'flux-imagepolicy.yaml',
  'flux-imageupdateautomation.yaml',
];

/** Charts the platform installs or will install. */
const CHARTS = [
  'argo-cd', 'cert-manager', 'traefik', 'external-secrets', 'authelia', 'loki',
  'kube-prometheus-stack', 'alloy', 'longhorn', 'docker-registry',
];

/**
 * Subcharts whose values the platform sets (`<subchart>.<key>` in the parent's values), with the
 * upstream tag each is vendored from. Read from a chart mirror with subcharts in place
 * (`<chart>-<version>/<chart>/charts/<subchart>/`): $CHART_MIRROR, else shared/charts (which,
 * as of 2026-12-01, lacks kube-prometheus-stack's subcharts; see facts/charts/README.md).
 */
const SUBCHARTS: Record<string, ReadonlyArray<{ name: string; source: string }>> = {
  'kube-prometheus-stack': [
    { name: 'grafana', source: 'grafana-community/helm-charts — charts/grafana — grafana-12.11.1' },
    { name: 'kube-state-metrics', source: 'prometheus-community/helm-charts — charts/kube-state-metrics — kube-state-metrics-8.4.0' },
    { name: 'prometheus-node-exporter', source: 'prometheus-community/helm-charts — charts/prometheus-node-exporter — prometheus-node-exporter-4.56.1' },
  ],
};
const CHART_MIRROR = path.resolve(process.env.CHART_MIRROR ?? path.join(SHARED, 'charts'));

/**
 * Charts the platform configures but does not install: k3s's bundled Traefik (values given
 * through a HelmChartConfig), from shared/charts, which holds the chart k3s v1.33.6+k3s1 bundles.
 */
const K3S_CHARTS = [
  {
    key: 'traefik-k3s', dir: path.join('charts', 'k3s-traefik-37.1.1+up37.1.0', 'chart', 'traefik'), version: '37.1.1+up37.1.0',
    repoURL: 'https://k3s.io/k3s-charts/assets', source: 'k3s-io/k3s-charts — assets/traefik/traefik-37.1.1+up37.1.0.tgz — bundled by k3s v1.33.6+k3s1',
  },
] as const;

function writeJson(file: string, data: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(data, null, 1) + '\n');
}

// ---------------------------------------------------------------------------------------------
// CRDs

function extractCrds(): string[] {
  const dir = path.join(OUT, 'crds');
  fs.rmSync(dir, { recursive: true, force: true });
  const written: string[] = [];
  for (const file of CRD_FILES) {
    const crd = parse(fs.readFileSync(path.join(SHARED, 'crds', file), 'utf8'));
    if (crd?.kind !== 'CustomResourceDefinition') throw new Error(`${file}: not a CustomResourceDefinition`);
    for (const version of crd.spec.versions) {
      if (!version.served) continue;
      const schema = version.schema?.openAPIV3Schema;
      if (!schema) throw new Error(`${file}: version ${version.name} has no openAPIV3Schema`);
      const name = `${crd.spec.group}_${version.name}_${crd.spec.names.kind}.json`;
      writeJson(path.join(dir, name), schema);
      written.push(`crds/${name}`);
    }
  }
  return written;
}

// ---------------------------------------------------------------------------------------------
// Helm charts

/** `| \`helm/<chart>/\` | repoURL | \`version\` ... |` rows of shared/helm/README.md. */
function chartVersions(): Record<string, { version: string; repoURL: string; source: string }> {
  const readme = fs.readFileSync(path.join(SHARED, 'helm', 'README.md'), 'utf8');
  const out: Record<string, { version: string; repoURL: string; source: string }> = {};
  for (const line of readme.split('\n')) {
    const m = /^\| `helm\/([^/]+)\/` \| (.*?) \| `([^`]+)`.*? \| `[^`]+` \| (.*?) \|/.exec(line);
    if (m) out[m[1]] = { version: m[3], repoURL: /`([^`]+)`/.exec(m[2])?.[1] ?? '', source: m[4].replace(/`/g, '') };
  }
  return out;
}

function extractHelm(): string[] {
  const dir = path.join(OUT, 'helm');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const versions = chartVersions();
  const index: Record<string, object> = {};
  const written: string[] = [];
  for (const chart of CHARTS) {
    const src = path.join(SHARED, 'helm', chart);
    const v = versions[chart];
    if (!v) throw new Error(`shared/helm/README.md has no row for ${chart}`);
    // Helm validates values.schema.json against the defaults merged with ours, so keep both.
    const entry: Record<string, string> = { version: v.version, repoURL: v.repoURL, source: v.source };
    for (const [from, key] of [['values.yaml', 'values'], ['values.schema.json', 'schema']]) {
      if (!fs.existsSync(path.join(src, from))) continue;
      const file = `${chart}.${from}`;
      fs.copyFileSync(path.join(src, from), path.join(dir, file));
      fs.chmodSync(path.join(dir, file), 0o644); // shared/ is read-only; the copies are ours to regenerate
      entry[key] = file;
      written.push(`helm/${file}`);
    }
    const subcharts: Record<string, object> = {};
    for (const sub of SUBCHARTS[chart] ?? []) {
      const subDir = path.join(CHART_MIRROR, `${chart}-${v.version}`, chart, 'charts', sub.name);
      if (!fs.existsSync(path.join(subDir, 'values.yaml'))) throw new Error(`${subDir}/values.yaml: missing; set CHART_MIRROR to a chart mirror with ${chart}'s subcharts in place`);
      const version = String(parse(fs.readFileSync(path.join(subDir, 'Chart.yaml'), 'utf8')).version);
      const file = `${chart}.${sub.name}.values.yaml`;
      fs.copyFileSync(path.join(subDir, 'values.yaml'), path.join(dir, file));
      fs.chmodSync(path.join(dir, file), 0o644);
      subcharts[sub.name] = { version, source: sub.source, values: file };
      written.push(`helm/${file}`);
    }
    index[chart] = Object.keys(subcharts).length ? { ...entry, subcharts } : entry;
  }
  for (const k of K3S_CHARTS) {
    const src = path.join(SHARED, k.dir);
    const version = String(parse(fs.readFileSync(path.join(src, 'Chart.yaml'), 'utf8')).version);
    if (version !== k.version) throw new Error(`${src}: chart version ${version}, expected ${k.version}`);
    const file = `${k.key}.values.yaml`;
    fs.copyFileSync(path.join(src, 'values.yaml'), path.join(dir, file));
    fs.chmodSync(path.join(dir, file), 0o644);
    index[k.key] = { version: k.version, repoURL: k.repoURL, source: k.source, values: file };
    written.push(`helm/${file}`);
  }
  writeJson(path.join(dir, 'charts.json'), index);
  return [...written, 'helm/charts.json'];
}

// ---------------------------------------------------------------------------------------------
// Built-in kinds: field structure from the kubernetes-models type declarations

type Schema = Record<string, unknown>;

function extractKubernetes(): string {
  const pkg = path.dirname(require.resolve('kubernetes-models/package.json'));
  const apimachinery = path.dirname(require.resolve('@kubernetes-models/apimachinery/package.json'));
  // `<group>/<version>/<Kind>.d.ts`, and `v1/<Kind>.d.ts` for the core group.
  const modules: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory() && !entry.name.startsWith('_')) walk(full);
      else if (entry.isFile() && entry.name.endsWith('.d.ts') && entry.name !== 'index.d.ts' && dir !== pkg) modules.push(full);
    }
  };
  walk(pkg);
  modules.sort();
  const program = ts.createProgram(modules, { strict: true, noEmit: true, skipLibCheck: true });
  const checker = program.getTypeChecker();
  const definitions: Record<string, Schema> = {};
  const kinds: Record<string, { module: string; export: string; definition: string }> = {};

  /** `v1/Container`, `meta/v1/ObjectMeta`: where the interface is declared. */
  function definitionName(decl: ts.Declaration): string {
    const file = decl.getSourceFile().fileName.replace(/\.d\.ts$/, '');
    if (file.startsWith(pkg + path.sep)) return path.relative(pkg, file).split(path.sep).join('/');
    if (file.startsWith(apimachinery + path.sep)) return path.relative(path.join(apimachinery, 'apis'), file).split(path.sep).join('/');
    throw new Error(`unexpected declaration in ${file}`);
  }
  /**
   * An inline object type (`volumeClaimTemplates?: Array<{ metadata, spec, ... }>`) is declared
   * inside another interface's file; name it after the property that holds it, or it would take
   * the place of that file's own interface.
   */
  function inlineSuffix(decl: ts.Declaration): string {
    if (!ts.isTypeLiteralNode(decl)) return '';
    const names: string[] = [];
    for (let n: ts.Node | undefined = decl.parent; n; n = n.parent) {
      if ((ts.isPropertySignature(n) || ts.isPropertyDeclaration(n)) && n.name) names.unshift(n.name.getText().replace(/"/g, ''));
      if (ts.isInterfaceDeclaration(n) || ts.isClassDeclaration(n)) {
        names.unshift(n.name?.getText() ?? '');
        break;
      }
    }
    return `@${names.join('.')}`;
  }
  const ref = (name: string): Schema => ({ $ref: `#/definitions/${name.replace(/~/g, '~0').replace(/\//g, '~1')}` });

  function convert(type: ts.Type): Schema {
    type = checker.getNonNullableType(type);
    if (type.isUnion()) {
      const parts = type.types.map(convert).filter((s) => Object.keys(s).length > 0);
      if (parts.length === 0) return {};
      throw new Error(`union of structured types: ${checker.typeToString(type)}`);
    }
    if (!(type.flags & ts.TypeFlags.Object)) return {}; // string, number, boolean, literals, any
    if (checker.isArrayType(type)) {
      const items = convert(checker.getTypeArguments(type as ts.TypeReference)[0]);
      return Object.keys(items).length ? { type: 'array', items } : {};
    }
    const props = checker.getPropertiesOfType(type);
    const index = checker.getIndexInfoOfType(type, ts.IndexKind.String);
    if (index) {
      if (props.length) throw new Error(`index signature with properties: ${checker.typeToString(type)}`);
      const values = convert(index.type);
      return Object.keys(values).length ? { type: 'object', additionalProperties: values } : {};
    }
    // An interface with no fields is Kubernetes' "any JSON" (RawExtension, JSON, FieldsV1).
    if (props.length === 0) return {};
    const decl = type.getSymbol()?.declarations?.[0];
    if (!decl) throw new Error(`anonymous object type: ${checker.typeToString(type)}`);
    const name = definitionName(decl) + inlineSuffix(decl);
    if (!definitions[name]) {
      const schema: Schema = { type: 'object', properties: {}, additionalProperties: false };
      definitions[name] = schema; // before recursing: types are recursive (JSONSchemaProps)
      const properties: Record<string, Schema> = {};
      for (const p of [...props].sort((a, b) => a.name.localeCompare(b.name))) {
        properties[p.name] = convert(checker.getTypeOfSymbolAtLocation(p, decl));
      }
      schema.properties = properties;
    }
    return ref(name);
  }

  for (const file of modules) {
    const source = program.getSourceFile(file)!;
    const moduleSymbol = checker.getSymbolAtLocation(source);
    if (!moduleSymbol) continue;
    for (const sym of checker.getExportsOfModule(moduleSymbol)) {
      const decl = sym.declarations?.[0];
      if (!decl || !ts.isClassDeclaration(decl)) continue;
      const cls = checker.getTypeOfSymbolAtLocation(sym, decl);
      const kindSym = cls.getProperty('kind');
      const apiSym = cls.getProperty('apiVersion');
      if (!kindSym || !apiSym) continue;
      const kindType = checker.getTypeOfSymbolAtLocation(kindSym, decl);
      const apiType = checker.getTypeOfSymbolAtLocation(apiSym, decl);
      if (!kindType.isStringLiteral() || !apiType.isStringLiteral()) continue;
      if (kindType.value.endsWith('List')) continue; // lists are never applied from dist/
      // Only GA versions: by Kubernetes 1.28 every beta/alpha version here is either removed
      // (extensions/v1beta1, apps/v1beta2, batch/v1beta1, ...) or off unless a flag enables it.
      if (!/^v\d+$/.test(apiType.value.split('/').pop()!)) continue;
      // The class adds Model's methods; the I<Kind> interface holds exactly the API fields.
      const ifaceSym = checker.getExportsOfModule(moduleSymbol).find((e) => e.name === `I${sym.name}`);
      if (!ifaceSym) throw new Error(`${file}: no interface I${sym.name}`);
      const schemaRef = convert(checker.getDeclaredTypeOfSymbol(ifaceSym));
      const defName = String(schemaRef.$ref).slice('#/definitions/'.length).replace(/~1/g, '/').replace(/~0/g, '~');
      kinds[`${apiType.value}/${kindType.value}`] = {
        module: 'kubernetes-models/' + path.relative(pkg, file).replace(/\.d\.ts$/, '').split(path.sep).join('/'),
        export: sym.name,
        definition: defName,
      };
    }
  }
  const version = JSON.parse(fs.readFileSync(path.join(pkg, 'package.json'), 'utf8')).version;
  const sorted = Object.fromEntries(Object.entries(definitions).sort(([a], [b]) => a.localeCompare(b)));
  const out = path.join(OUT, 'kubernetes', 'structure.json');
  writeJson(out, {
    $comment: `Field structure of Kubernetes built-in kinds, generated by scripts/extract-schemas.ts from kubernetes-models@${version} type declarations. Do not edit.`,
    kinds: Object.fromEntries(Object.entries(kinds).sort(([a], [b]) => a.localeCompare(b))),
    definitions: sorted,
  });
  return 'kubernetes/structure.json';
}

/** Every input this script reads, missing ones listed at once (before anything is written). */
function missingInputs(): string[] {
  const needed = [
    ...CRD_FILES.map((f) => path.join(SHARED, 'crds', f)),
    path.join(SHARED, 'helm', 'README.md'),
    ...CHARTS.map((c) => path.join(SHARED, 'helm', c)),
    ...K3S_CHARTS.map((k) => path.join(SHARED, k.dir, 'Chart.yaml')),
  ];
  return needed.filter((f) => !fs.existsSync(f));
}

const missing = missingInputs();
if (missing.length) {
  console.error(`extract-schemas: ${SHARED} is not a folder with the pinned CRDs and charts; missing:\n  ${missing.map((f) => path.relative(SHARED, f)).join('\n  ')}\nNothing changed. Fix: pass the folder that holds crds/ and helm/ (npm run extract-schemas -- ../shared)`);
  process.exit(1);
}
fs.rmSync(OUT, { recursive: true, force: true });
let written: string[];
try {
  written = [...extractCrds(), ...extractHelm(), extractKubernetes()];
} catch (e) {
  fs.rmSync(OUT, { recursive: true, force: true });
  console.error(`extract-schemas: ${(e as Error).message}\nNothing changed under ${path.relative(ROOT, TARGET)}/.`);
  process.exit(1);
}
// Every file was made: only now replace the committed ones.
for (const part of ['crds', 'helm', 'kubernetes']) {
  fs.rmSync(path.join(TARGET, part), { recursive: true, force: true });
  fs.cpSync(path.join(OUT, part), path.join(TARGET, part), { recursive: true });
}
fs.rmSync(OUT, { recursive: true, force: true });
console.log(`extract-schemas: wrote ${written.length} files under ${path.relative(ROOT, TARGET)}/ from ${SHARED}\n  ${written.join('\n  ')}`);
