/**
 * `npm run chart-facts [-- --charts <mirror dir>] [--set <values set>]... [--out <dir>]`
 *
 * Records what the pinned third-party charts really render with exactly the values the platform
 * passes: one JSON file per (values set, release) under facts/charts/<values set>/<release>.json.
 * Tests check the platform's own objects against these files, without helm or a network.
 *
 * - Values: each entry point below is synthesized into a temporary folder as its own process (so
 *   this script never imports lib/), and the releases are read from what it wrote: Argo CD
 *   Applications with a Helm chart source, Flux HelmReleases (with their HelmRepository), and the
 *   HelmChartConfig of k3s's bundled Traefik (merged over k3s's own base values, below).
 * - Charts: from a local mirror given by `--charts <dir>` (folders `<chart>-<version>/<chart>/`, as
 *   ../shared/charts), or, without it, `helm pull` from each release's own repository and version.
 *   A mirror is never read unless it is named.
 * - Helm: $HELM, else `helm` on PATH. Rendered as Argo CD and Flux do: `helm template` with the
 *   release name and namespace, CRDs included, `--kube-version` of the target cluster, and
 *   `--api-versions` for every CRD version the cluster serves (what the set's charts ship, what the
 *   platform's own objects use, and k3s's built-in ones), since charts test for them.
 *
 * Deterministic: same charts, values and helm give the same bytes (keys sorted, lists in a stable
 * order, no paths, times or random values recorded).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  byKey, canonical, Json, K3S_TRAEFIK, Obj, parseYamlDocs, Release, releasesOf, VALUES_SETS, valuesSha256,
} from './chart-releases';

const ROOT = path.join(__dirname, '..');
const KUBE_VERSION = '1.33.6';

/** CRD API versions every k3s server serves (its helm-controller and addon kinds). */
const K3S_API_VERSIONS = ['helm.cattle.io/v1', 'k3s.cattle.io/v1'];

/** Built-in kinds that are cluster-scoped; every other built-in kind is namespaced. */
const CLUSTER_SCOPED_BUILTIN = new Set([
  'APIService', 'CSIDriver', 'CSINode', 'CertificateSigningRequest', 'ClusterRole', 'ClusterRoleBinding',
  'CustomResourceDefinition', 'FlowSchema', 'IngressClass', 'MutatingAdmissionPolicy', 'MutatingAdmissionPolicyBinding',
  'MutatingWebhookConfiguration', 'Namespace', 'Node', 'PersistentVolume', 'PriorityClass', 'PriorityLevelConfiguration',
  'RuntimeClass', 'StorageClass', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding',
  'ValidatingWebhookConfiguration', 'VolumeAttachment', 'VolumeAttributesClass', 'DeviceClass', 'IPAddress', 'ServiceCIDR',
]);
/** Groups whose kinds are built into Kubernetes (the core group is ''). */
const BUILTIN_GROUPS = new Set([
  '', 'admissionregistration.k8s.io', 'apiextensions.k8s.io', 'apiregistration.k8s.io', 'apps', 'authentication.k8s.io',
  'authorization.k8s.io', 'autoscaling', 'batch', 'certificates.k8s.io', 'coordination.k8s.io', 'discovery.k8s.io',
  'events.k8s.io', 'flowcontrol.apiserver.k8s.io', 'networking.k8s.io', 'node.k8s.io', 'policy', 'rbac.authorization.k8s.io',
  'resource.k8s.io', 'scheduling.k8s.io', 'storage.k8s.io',
]);
/** Scope of CRD kinds the cluster serves but no chart of a set ships (the GitOps engines, k3s). */
const KNOWN_CRD_SCOPES: Record<string, 'Namespaced' | 'Cluster'> = {
  'argoproj.io/Application': 'Namespaced', 'argoproj.io/AppProject': 'Namespaced', 'argoproj.io/ApplicationSet': 'Namespaced',
  'helm.cattle.io/HelmChart': 'Namespaced', 'helm.cattle.io/HelmChartConfig': 'Namespaced', 'k3s.cattle.io/Addon': 'Namespaced',
};

interface Args { charts?: string; out: string; sets: string[] }

class UsageError extends Error {}

function parseArgs(argv: string[]): Args {
  const args: Args = { out: path.join(ROOT, 'facts', 'charts'), sets: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === '--charts') args.charts = path.resolve(value());
    else if (a === '--out') args.out = path.resolve(value());
    else if (a === '--set') args.sets.push(value());
    else throw new UsageError(`unknown argument ${a}`);
  }
  const known = VALUES_SETS.map((s) => s.name);
  for (const s of args.sets) if (!known.includes(s)) throw new UsageError(`unknown values set ${s} (known: ${known.join(', ')})`);
  if (args.charts && !fs.existsSync(args.charts)) throw new UsageError(`--charts ${args.charts}: no such folder`);
  return args;
}

// ---------------------------------------------------------------- helpers

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0] : '');

function run(cmd: string, argv: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = spawnSync(cmd, argv, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${argv.filter((x) => !x.startsWith('/')).slice(0, 4).join(' ')} ... exited ${r.status}:\n${r.stderr}`);
  return r.stdout;
}

// ---------------------------------------------------------------- values from the synthesized output

function synthesize(entry: string, outdir: string): Obj[] {
  // The entry points refuse to write without CDK8S_OUTDIR; NODE_OPTIONS is cleared because the
  // repository's .npmrc preloads a file by a relative path.
  run(process.execPath, ['-r', './scripts/swc-register.js', entry], {
    env: { ...process.env, CDK8S_OUTDIR: outdir, CDK8S_CHECK_UPGRADE: 'false', NODE_OPTIONS: '' },
  });
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort(byKey((x) => x.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(e.name)) files.push(p);
    }
  };
  walk(outdir);
  if (!files.length) throw new Error(`${entry} wrote no YAML into ${outdir}`);
  return files.flatMap((f) => parseYamlDocs(fs.readFileSync(f, 'utf8'), path.relative(outdir, f)).map((d) => d.doc));
}

// ---------------------------------------------------------------- charts

/** The chart folder for a release: from the mirror, or pulled into `scratch`. */
function chartDir(helm: string, r: Release, mirror: string | undefined, scratch: string): string {
  if (mirror) {
    const dir = r.k3s
      ? path.join(mirror, `k3s-traefik-${K3S_TRAEFIK.version}`, r.k3s === 'chart' ? 'chart' : 'crd', r.chart)
      : path.join(mirror, `${r.chart}-${r.version}`, r.chart);
    if (!fs.existsSync(path.join(dir, 'Chart.yaml'))) throw new Error(`${r.from}: chart ${r.chart} ${r.version} is not in the mirror (${dir})`);
    const missing = missingSubcharts(dir);
    if (missing.length) {
      throw new Error(`${r.from}: the mirror's ${r.chart} ${r.version} lacks the subcharts ${missing.join(', ')} under charts/ `
        + '(helm refuses to render without them, enabled or not); add them at the versions its Chart.yaml pins, or run without --charts');
    }
    return offlineSchemaRefs(dir, path.dirname(dir), scratch);
  }
  const dest = fs.mkdtempSync(path.join(scratch, `${r.chart}-`));
  if (r.k3s) {
    run(helm, ['pull', `${K3S_TRAEFIK.repo}/${r.chart}/${r.chart}-${r.version}.tgz`, '--untar', '--untardir', dest]);
  } else if (/^[a-z]+:\/\//.test(r.repoURL) && !r.repoURL.startsWith('oci://')) {
    run(helm, ['pull', r.chart, '--repo', r.repoURL, '--version', r.version, '--untar', '--untardir', dest]);
  } else {
    // Argo CD names an OCI registry without the scheme; Flux with oci://.
    const base = r.repoURL.replace(/^oci:\/\//, '').replace(/\/$/, '');
    run(helm, ['pull', `oci://${base}/${r.chart}`, '--version', r.version, '--untar', '--untardir', dest]);
  }
  return path.join(dest, r.chart);
}

/** Dependencies of a chart with neither a folder nor an archive under its charts/. */
function missingSubcharts(dir: string): string[] {
  const meta = parseYamlDocs(fs.readFileSync(path.join(dir, 'Chart.yaml'), 'utf8'), 'Chart.yaml')[0].doc;
  const present = fs.existsSync(path.join(dir, 'charts')) ? fs.readdirSync(path.join(dir, 'charts')) : [];
  return (meta.dependencies ?? []).map((d: Obj) => `${d.name} ${d.version}`)
    .filter((nv: string) => { const [n, v] = nv.split(' '); return !present.includes(n) && !present.includes(`${n}-${v}.tgz`); });
}

/**
 * A mirror may hold, beside the chart, `_schema-refs/<file>`: a remote document the chart's
 * values.schema.json `$ref`s (helm would download it). Render a scratch copy whose `$ref`s point
 * at the local file instead; the chart is otherwise unchanged.
 */
function offlineSchemaRefs(dir: string, versionDir: string, scratch: string): string {
  const refs = path.join(versionDir, '_schema-refs');
  const schema = path.join(dir, 'values.schema.json');
  if (!fs.existsSync(refs) || !fs.existsSync(schema)) return dir;
  const copy = path.join(fs.mkdtempSync(path.join(scratch, 'schema-')), path.basename(dir));
  fs.cpSync(dir, copy, { recursive: true });
  let text = fs.readFileSync(schema, 'utf8');
  for (const file of fs.readdirSync(refs).sort()) {
    const pattern = new RegExp(`"https?://[^"#]*/${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(#[^"]*)?"`, 'g');
    text = text.replace(pattern, (_m, frag) => JSON.stringify(`file://${path.join(refs, file)}${frag ?? ''}`));
  }
  fs.writeFileSync(path.join(copy, 'values.schema.json'), text);
  return copy;
}

// ---------------------------------------------------------------- rendering

interface Rendered { docs: { doc: Obj; duplicates: { path: string; values: Json[] }[] }[]; valuesSha256: string }

function render(helm: string, r: Release, dir: string, apiVersions: string[], scratch: string): Rendered {
  const files = r.values.map((v, i) => {
    const f = path.join(scratch, `${r.name}-values-${i}.json`);
    fs.writeFileSync(f, canonical(v));
    return f;
  });
  const argv = ['template', r.name, dir, '-n', r.namespace, '--include-crds', '--kube-version', KUBE_VERSION];
  for (const f of files) argv.push('-f', f);
  for (const s of r.set) argv.push('--set', s);
  for (const a of apiVersions) argv.push('--api-versions', a);
  const text = run(helm, argv, { cwd: scratch });
  return { docs: parseYamlDocs(text, `helm template ${r.name}`), valuesSha256: valuesSha256(r) };
}

/** API versions that CRDs in rendered output serve. */
function servedByCrds(docs: Obj[]): string[] {
  return docs.filter((d) => d.kind === 'CustomResourceDefinition')
    .flatMap((d) => (d.spec?.versions ?? []).filter((v: any) => v.served !== false).map((v: any) => `${d.spec.group}/${v.name}`));
}

// ---------------------------------------------------------------- facts

const resourcesOf = (c: Obj) => ({ requests: c.resources?.requests ?? null, limits: c.resources?.limits ?? null });
const portsOf = (c: Obj) => (c.ports ?? []).map((p: Obj) => ({
  name: p.name ?? null, containerPort: p.containerPort, protocol: p.protocol ?? 'TCP', ...(p.hostPort !== undefined ? { hostPort: p.hostPort } : {}),
}));
function securityOf(sc: Obj | undefined) {
  if (!sc) return null;
  return {
    allowPrivilegeEscalation: sc.allowPrivilegeEscalation ?? null, capabilities: sc.capabilities ?? null, privileged: sc.privileged ?? null,
    readOnlyRootFilesystem: sc.readOnlyRootFilesystem ?? null, runAsNonRoot: sc.runAsNonRoot ?? null, runAsUser: sc.runAsUser ?? null,
    seccompProfile: sc.seccompProfile?.type ?? null,
  };
}
/**
 * A container's environment as the chart renders it: literal values as they are (a chart renders
 * no secret into them that is not already in its values), and where each `valueFrom` reads.
 */
function envOf(c: Obj) {
  return (c.env ?? []).map((e: Obj) => {
    if (e.valueFrom === undefined) return { name: e.name, value: e.value ?? '' };
    const [kind, ref] = Object.entries(e.valueFrom as Obj)[0] ?? ['unknown', {}];
    const from = ref?.name !== undefined ? `${ref.name}/${ref.key}` : ref?.fieldPath ?? ref?.resource ?? null;
    return { name: e.name, valueFrom: { kind, from } };
  });
}
const containerOf = (c: Obj) => ({ name: c.name, image: c.image, args: c.args ?? [], env: envOf(c), ports: portsOf(c), resources: resourcesOf(c), securityContext: securityOf(c.securityContext) });

/** `key = value` lines under `[section]` headers (`;` and `#` start comments), as Grafana reads its ini file. */
function parseIni(text: string): Record<string, Record<string, string>> {
  const sections: Record<string, Record<string, string>> = {};
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith(';') || line.startsWith('#')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) { current = header[1].trim(); continue; }
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    (sections[current] ??= {})[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return sections;
}

function podTemplateOf(o: Obj): Obj | undefined {
  if (o.kind === 'CronJob') return o.spec?.jobTemplate?.spec?.template;
  if (o.kind === 'Pod') return o;
  return o.spec?.template;
}
const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod']);

function facts(set: string, r: Release, chartDirPath: string, rendered: Rendered, apiVersions: string[], crdScopes: Map<string, string>, helmVersion: string) {
  const chartMeta = parseYamlDocs(fs.readFileSync(path.join(chartDirPath, 'Chart.yaml'), 'utf8'), 'Chart.yaml')[0].doc;
  const docs = rendered.docs.map((d) => d.doc).filter((d) => d.kind);
  const scopeOf = (o: Obj): string => {
    const g = groupOf(o.apiVersion);
    if (BUILTIN_GROUPS.has(g)) return CLUSTER_SCOPED_BUILTIN.has(o.kind) ? 'Cluster' : 'Namespaced';
    return crdScopes.get(`${g}/${o.kind}`) ?? KNOWN_CRD_SCOPES[`${g}/${o.kind}`] ?? 'Unknown';
  };
  const nsOf = (o: Obj): string | null => (scopeOf(o) === 'Cluster' ? null : o.metadata?.namespace ?? r.namespace);
  const hookOf = (o: Obj) => o.metadata?.annotations?.['helm.sh/hook'] ?? null;
  const ref = (o: Obj) => ({ kind: o.kind, name: o.metadata?.name, namespace: nsOf(o) });
  const order = byKey((x: Obj) => `${x.kind}\0${x.namespace ?? ''}\0${x.name}`);

  const objects = docs.map((o) => ({ apiVersion: o.apiVersion, ...ref(o), scope: scopeOf(o), helmHook: hookOf(o) })).sort(order);
  const kindCounts = new Map<string, { apiVersion: string; kind: string; scope: string; count: number }>();
  for (const o of objects) {
    const k = `${o.apiVersion}\0${o.kind}`;
    const e = kindCounts.get(k) ?? { apiVersion: o.apiVersion, kind: o.kind, scope: o.scope, count: 0 };
    e.count++;
    kindCounts.set(k, e);
  }
  const workloads = docs.filter((o) => WORKLOAD_KINDS.has(o.kind)).map((o) => {
    const t = podTemplateOf(o) ?? {};
    const spec = t.spec ?? {};
    return {
      ...ref(o), helmHook: hookOf(o),
      replicas: o.spec?.replicas ?? null,
      selector: o.kind === 'Pod' || o.kind === 'CronJob' || o.kind === 'Job' ? null : o.spec?.selector ?? null,
      podLabels: t.metadata?.labels ?? {},
      serviceAccountName: spec.serviceAccountName ?? null,
      hostNetwork: spec.hostNetwork ?? false,
      priorityClassName: spec.priorityClassName ?? null,
      podSecurityContext: spec.securityContext ?? null,
      initContainers: (spec.initContainers ?? []).map(containerOf),
      containers: (spec.containers ?? []).map(containerOf),
    };
  }).sort(order);
  const services = docs.filter((o) => o.kind === 'Service').map((o) => ({
    ...ref(o), labels: o.metadata?.labels ?? {}, type: o.spec?.type ?? 'ClusterIP', clusterIP: o.spec?.clusterIP === 'None' ? 'None' : null, selector: o.spec?.selector ?? null,
    ports: (o.spec?.ports ?? []).map((p: Obj) => ({ name: p.name ?? null, port: p.port, targetPort: p.targetPort ?? p.port, protocol: p.protocol ?? 'TCP', ...(p.nodePort !== undefined ? { nodePort: p.nodePort } : {}) })),
  })).sort(order);
  const networkPolicies = docs.filter((o) => o.kind === 'NetworkPolicy').map((o) => ({
    ...ref(o), podSelector: o.spec?.podSelector ?? {}, policyTypes: o.spec?.policyTypes ?? null, ingress: o.spec?.ingress ?? null, egress: o.spec?.egress ?? null,
  })).sort(order);
  const monitors = (kind: string) => docs.filter((o) => o.kind === kind).map((o) => ({
    ...ref(o), selector: o.spec?.selector ?? null, namespaceSelector: o.spec?.namespaceSelector ?? null, jobLabel: o.spec?.jobLabel ?? null,
    endpoints: (o.spec?.endpoints ?? o.spec?.podMetricsEndpoints ?? []).map((e: Obj) => ({
      port: e.port ?? null, targetPort: e.targetPort ?? null, path: e.path ?? null, scheme: e.scheme ?? null, interval: e.interval ?? null,
    })),
  })).sort(order);
  const podDisruptionBudgets = docs.filter((o) => o.kind === 'PodDisruptionBudget').map((o) => ({
    ...ref(o), selector: o.spec?.selector ?? null, minAvailable: o.spec?.minAvailable ?? null, maxUnavailable: o.spec?.maxUnavailable ?? null,
  })).sort(order);
  // Configuration files in ini form that charts render into ConfigMaps (grafana.ini), parsed.
  const iniFiles = docs.filter((o) => o.kind === 'ConfigMap').flatMap((o) => Object.entries((o.data ?? {}) as Record<string, string>)
    .filter(([key]) => key.endsWith('.ini')).map(([key, text]) => ({ ...ref(o), key, sections: parseIni(text) }))).sort(order);
  const ingresses = docs.filter((o) => o.kind === 'Ingress' || o.kind === 'IngressRoute').map((o) => ({ ...ref(o), spec: o.spec ?? null })).sort(order);
  const crds = docs.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => ({
    name: o.metadata.name, group: o.spec.group, kind: o.spec.names.kind, scope: o.spec.scope,
    versions: (o.spec.versions ?? []).map((v: Obj) => ({ name: v.name, served: v.served, storage: v.storage })),
  })).sort(byKey((c) => c.name));
  const duplicateKeys = rendered.docs.filter((d) => d.duplicates.length && d.doc.kind)
    .map((d) => ({ ...ref(d.doc), keys: d.duplicates })).sort(order);

  return {
    chart: { name: chartMeta.name, version: String(chartMeta.version), appVersion: chartMeta.appVersion == null ? null : String(chartMeta.appVersion), repoURL: r.repoURL },
    release: { name: r.name, namespace: r.namespace },
    valuesSet: set,
    valuesFrom: r.from,
    render: {
      helm: helmVersion, kubeVersion: KUBE_VERSION, apiVersions, valuesSha256: rendered.valuesSha256, set: r.set,
      command: `helm template ${r.name} <chart> -n ${r.namespace} --include-crds --kube-version ${KUBE_VERSION} ${r.values.map((_v, i) => `-f values-${i}.json `).join('')}${r.set.map((s) => `--set ${s} `).join('')}--api-versions <render.apiVersions>`,
    },
    namespaces: [...new Set(objects.map((o) => o.namespace).filter((n): n is string => n !== null))].sort(),
    clusterScopedKinds: [...new Set(objects.filter((o) => o.scope === 'Cluster').map((o) => `${o.apiVersion}/${o.kind}`))].sort(),
    kinds: [...kindCounts.values()].sort(byKey((k) => `${k.apiVersion}\0${k.kind}`)),
    objects,
    workloads,
    services,
    networkPolicies,
    serviceMonitors: monitors('ServiceMonitor'),
    podMonitors: monitors('PodMonitor'),
    podDisruptionBudgets,
    ingresses,
    iniFiles,
    crds,
    duplicateKeys,
  };
}

// ---------------------------------------------------------------- main

function main(): void {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(`usage: npm run chart-facts [-- --charts <mirror dir>] [--set <values set>]... [--out <dir>]

Renders the pinned third-party charts with the values the platform passes (helm template, as the
GitOps engines do) and records what they render under facts/charts/<values set>/<release>.json.
  --charts <dir>   read the charts from a local mirror (<chart>-<version>/<chart>/) instead of helm pull
  --set <name>     only this values set (repeatable; known: ${VALUES_SETS.map((v) => v.name).join(', ')})
  --out <dir>      write here instead of facts/charts
Helm: $HELM, else helm on PATH.`);
    return;
  }
  const args = parseArgs(process.argv.slice(2));
  const helm = process.env.HELM || 'helm';
  const helmVersion = run(helm, ['version', '--template', '{{.Version}}']).trim();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'chart-facts-'));
  try {
    for (const set of VALUES_SETS.filter((s) => !args.sets.length || args.sets.includes(s.name))) {
      const objects = synthesize(set.entry, path.join(scratch, `synth-${set.name}`));
      const releases = releasesOf(set, objects);
      const dirs = new Map(releases.map((r) => [r.name, chartDir(helm, r, args.charts, scratch)]));
      // What the cluster serves: the CRDs the set's charts ship (a first render), the CRD kinds the
      // platform's own objects use, and k3s's own.
      const base = new Set<string>(K3S_API_VERSIONS);
      for (const o of objects) if (!BUILTIN_GROUPS.has(groupOf(o.apiVersion))) base.add(o.apiVersion);
      const first = releases.map((r) => render(helm, r, dirs.get(r.name)!, [...base].sort(), scratch));
      const firstDocs = first.flatMap((x) => x.docs.map((d) => d.doc));
      const apiVersions = [...new Set([...base, ...servedByCrds(firstDocs)])].sort();
      const crdScopes = new Map<string, string>(firstDocs.filter((d) => d.kind === 'CustomResourceDefinition').map((d) => [`${d.spec.group}/${d.spec.names.kind}`, d.spec.scope]));
      const outDir = path.join(args.out, set.name);
      fs.rmSync(outDir, { recursive: true, force: true });
      fs.mkdirSync(outDir, { recursive: true });
      for (const r of releases) {
        const dir = dirs.get(r.name)!;
        const rendered = render(helm, r, dir, apiVersions, scratch);
        const f = facts(set.name, r, dir, rendered, apiVersions, crdScopes, helmVersion);
        fs.writeFileSync(path.join(outDir, `${r.name}.json`), canonical(f));
        const unknown = f.kinds.filter((k) => k.scope === 'Unknown');
        if (unknown.length) console.error(`chart-facts: ${set.name}/${r.name}: scope unknown for ${unknown.map((k) => `${k.apiVersion}/${k.kind}`).join(', ')}`);
        console.log(`${set.name}/${r.name}.json  ${r.chart} ${r.version} -> ${r.namespace}: ${f.objects.length} objects, ${f.workloads.length} workloads, ${f.services.length} Services`);
      }
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

try {
  main();
} catch (e) {
  console.error(`chart-facts: ${(e as Error).message}`);
  process.exit(e instanceof UsageError ? 2 : 1);
}
