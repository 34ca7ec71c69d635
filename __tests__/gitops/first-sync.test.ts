// The first sync on an empty cluster, walked as the GitOps engine would: every Application (or
// Kustomization) admitted by its project, every custom resource's CRD there before it is applied,
// hooks where they belong, and waits between waves. Chart contents come from the chart facts.
import * as path from 'path';
import { apiGroupOf, CLUSTER_SCOPED_KINDS, Platform } from '../../lib';
import { ROOT, valuesSets } from '../charts/facts';

type Obj = any;
const SYNC_WAVE = 'argocd.argoproj.io/sync-wave';
const SYNC_OPTIONS = 'argocd.argoproj.io/sync-options';

/** API groups of Kubernetes itself: their kinds exist on every cluster. */
const BUILT_IN_GROUPS = new Set([
  '', 'apps', 'batch', 'networking.k8s.io', 'policy', 'rbac.authorization.k8s.io', 'storage.k8s.io', 'admissionregistration.k8s.io',
  'autoscaling', 'scheduling.k8s.io', 'coordination.k8s.io', 'discovery.k8s.io', 'apiextensions.k8s.io', 'node.k8s.io',
]);

/**
 * CRDs the cluster has before the first sync, by what made it: the GitOps engine's own (installed
 * by the bootstrap), and the distribution's (Cilium on DOKS; k3s's helm-controller).
 */
function clusterProvided(platform: Platform, engine: 'argocd' | 'flux', objects: readonly Obj[]): Set<string> {
  const groups = new Set<string>(engine === 'argocd' ? ['argoproj.io'] : ['source.toolkit.fluxcd.io', 'kustomize.toolkit.fluxcd.io', 'helm.toolkit.fluxcd.io', 'image.toolkit.fluxcd.io', 'notification.toolkit.fluxcd.io']);
  if (platform.cluster.kind === 'doks') groups.add('cilium.io');
  // The profile says its CSI driver takes snapshots: the snapshot CRDs come with the cluster (DOKS).
  if (platform.cluster.volumeSnapshots) groups.add('snapshot.storage.k8s.io');
  if (platform.cluster.kind === 'k3s') {
    groups.add('helm.cattle.io');
    // k3s installs its bundled Traefik's CRDs (the traefik-crd chart) when it keeps that Traefik.
    if (objects.some((o) => o.kind === 'HelmChartConfig' && o.metadata.name === 'traefik')) groups.add('traefik.io');
  }
  return groups;
}

interface Entry { name: string; platform: Platform; folders: Map<string, Obj[]>; crdsByRelease: Map<string, Set<string>> }

function entries(): Entry[] {
  return valuesSets().map((set) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { platform } = require(path.join(ROOT, set.entry)) as { platform: Platform };
    const crdsByRelease = new Map([...set.facts.values()].map((f: any) => [f.release.name, new Set<string>(f.crds.map((c: any) => `${c.group}/${c.kind}`))]));
    return { name: set.name, platform, folders: platform.manifests(), crdsByRelease };
  });
}

const ann = (o: Obj, key: string): string | undefined => o.metadata?.annotations?.[key];
const wave = (o: Obj) => Number(ann(o, SYNC_WAVE) ?? 0);
const isCustom = (o: Obj) => !BUILT_IN_GROUPS.has(apiGroupOf(o.apiVersion));
const gk = (o: Obj) => `${apiGroupOf(o.apiVersion)}/${o.kind}`;

/** Problems of an Argo CD first sync: one line each, naming the Application and the object. */
function argoFirstSync(e: Entry): string[] {
  const argo = e.folders.get('argocd') ?? [];
  const apps = argo.filter((o) => o.kind === 'Application');
  const projects = new Map(argo.filter((o) => o.kind === 'AppProject').map((p) => [p.metadata.name, p]));
  const problems: string[] = [];
  const provided = clusterProvided(e.platform, 'argocd', [...e.folders.values()].flat());
  const charts = apps.filter((a) => a.spec.source?.chart).map((a) => ({ wave: wave(a), crds: e.crdsByRelease.get(a.spec.source.helm?.releaseName ?? a.metadata.name) ?? new Set<string>() }));

  const root = apps.filter((a) => a.metadata.labels?.['app.kubernetes.io/component'] === 'root');
  if (root.length !== 1) problems.push(`${e.name}: ${root.length} root Applications`);
  const argocdValues = apps.find((a) => a.spec.source?.chart === 'argo-cd')?.spec.source.helm.valuesObject;
  if (!argocdValues?.configs?.cm?.['resource.customizations.health.argoproj.io_Application']) {
    problems.push(`${e.name}: Argo CD has no health check for Applications, so the root sync would not wait for a wave's Applications`);
  }
  for (const app of apps) {
    const id = `${e.name}: Application ${app.metadata.name}`;
    // `default` is Argo CD's own project (it admits everything); only the root Application uses it.
    if (app.spec.project === 'default' && root.includes(app)) continue;
    const project = projects.get(app.spec.project);
    if (!project) { problems.push(`${id}: project "${app.spec.project}" is not in dist/argocd`); continue; }
    const dest = app.spec.destination;
    if (!project.spec.destinations.some((d: Obj) => (d.namespace === '*' || d.namespace === dest.namespace) && (d.server === dest.server || d.server === '*'))) {
      problems.push(`${id}: project ${project.metadata.name} does not admit destination namespace ${dest.namespace}`);
    }
    const folder = /\/([^/]+)$/.exec(app.spec.source?.path ?? '')?.[1];
    if (!folder || app.spec.source?.chart || app.metadata.labels?.['app.kubernetes.io/component'] === 'root') continue;
    for (const o of e.folders.get(folder) ?? []) {
      const what = `${id}: ${o.kind} ${o.metadata.name}`;
      if (CLUSTER_SCOPED_KINDS.has(o.kind)) {
        const allowed = (project.spec.clusterResourceWhitelist ?? []).some((w: Obj) => (w.group === '*' || w.group === apiGroupOf(o.apiVersion)) && (w.kind === '*' || w.kind === o.kind));
        if (!allowed) problems.push(`${what}: cluster-scoped ${gk(o)} is not on project ${project.metadata.name}'s whitelist`);
      } else if (o.metadata.namespace !== dest.namespace) {
        problems.push(`${what}: in namespace ${o.metadata.namespace}, not the Application's ${dest.namespace}`);
      }
      if (isCustom(o) && !provided.has(apiGroupOf(o.apiVersion))) {
        const earlier = charts.some((c) => c.wave < wave(app) && c.crds.has(gk(o)));
        const skips = (ann(o, SYNC_OPTIONS) ?? '').includes('SkipDryRunOnMissingResource=true');
        if (!earlier && !skips) problems.push(`${what}: no earlier wave installs the CRD of ${gk(o)} and it does not skip its dry run`);
      }
      const hook = ann(o, 'argocd.argoproj.io/hook');
      if (hook !== undefined) {
        if (!['PreSync', 'Sync', 'PostSync'].includes(hook)) problems.push(`${what}: hook ${hook} is not one the platform uses`);
        if (ann(o, 'argocd.argoproj.io/hook-delete-policy') !== 'BeforeHookCreation') problems.push(`${what}: a hook without BeforeHookCreation is never re-created`);
        // A PostSync Job runs once its folder is healthy: what it talks to must be in the same folder.
        if (hook === 'PostSync' && o.kind === 'Job' && !(e.folders.get(folder) ?? []).some((x) => x.kind === 'StatefulSet' || x.kind === 'Deployment')) {
          problems.push(`${what}: a PostSync hook in a folder without the workload it waits for`);
        }
      }
    }
  }
  // Every folder has its Application.
  for (const ns of e.folders.keys()) {
    if (ns === 'argocd') continue;
    if (!apps.some((a) => a.spec.source?.path?.endsWith(`/${ns}`))) problems.push(`${e.name}: folder ${ns} has no Application`);
  }
  return problems;
}

/** Problems of a Flux first sync: dependsOn targets, cycles, and CRDs before the objects that need them. */
function fluxFirstSync(e: Entry): string[] {
  const flux = [...e.folders.values()].flat().filter((o) => o.apiVersion?.includes('toolkit.fluxcd.io'));
  const ks = new Map(flux.filter((o) => o.kind === 'Kustomization').map((k) => [k.metadata.name, k]));
  const hrs = new Map(flux.filter((o) => o.kind === 'HelmRelease').map((h) => [h.metadata.name, h]));
  const problems: string[] = [];
  const provided = clusterProvided(e.platform, 'flux', [...e.folders.values()].flat());
  for (const [kind, map] of [['Kustomization', ks], ['HelmRelease', hrs]] as const) {
    for (const o of map.values()) {
      for (const d of o.spec.dependsOn ?? []) if (!map.has(d.name)) problems.push(`${e.name}: ${kind} ${o.metadata.name} depends on missing ${d.name}`);
    }
  }
  // The Kustomizations a folder waits for (dependsOn, transitively), and the HelmReleases they health-check.
  const closure = (name: string, seen = new Set<string>()): Set<string> => {
    for (const d of ks.get(name)?.spec.dependsOn ?? []) {
      if (seen.has(d.name)) continue;
      seen.add(d.name);
      closure(d.name, seen);
    }
    return seen;
  };
  for (const name of ks.keys()) if (closure(name).has(name)) problems.push(`${e.name}: Kustomization ${name} depends on itself`);
  for (const [name, k] of ks) {
    const folder = /\/([^/]+)$/.exec(k.spec.path ?? '')?.[1];
    if (!folder || !e.folders.has(folder)) continue;
    const waitedFor = [...closure(name)].flatMap((n) => (ks.get(n)?.spec.healthChecks ?? []).filter((h: Obj) => h.kind === 'HelmRelease').map((h: Obj) => h.name));
    const crds = new Set<string>(waitedFor.flatMap((r) => [...(e.crdsByRelease.get(hrs.get(r)?.spec.releaseName ?? r) ?? [])]));
    for (const o of e.folders.get(folder)!) {
      if (!isCustom(o) || provided.has(apiGroupOf(o.apiVersion)) || crds.has(gk(o))) continue;
      problems.push(`${e.name}: Kustomization ${name}: ${o.kind} ${o.metadata.name} is applied before any release it waits for installs the CRD of ${gk(o)}`);
    }
  }
  return problems;
}

describe.each(entries().map((e) => [e.name, e] as const))('first sync of %s on an empty cluster', (_name, e) => {
  const engine = e.folders.has('argocd') ? 'argocd' : 'flux';

  it(`converges under ${engine === 'argocd' ? 'Argo CD, wave by wave' : "Flux, in dependsOn order"}`, () => {
    expect(engine === 'argocd' ? argoFirstSync(e) : fluxFirstSync(e)).toEqual([]);
  });
});

describe('the first-sync walk', () => {
  const reference = entries().find((e) => e.name === 'reference')!;
  const without = (e: Entry, pred: (o: Obj) => boolean): Entry => ({ ...e, folders: new Map([...e.folders].map(([ns, objs]) => [ns, objs.filter((o) => !pred(o))])) });

  it('finds a custom resource whose CRD arrives in no earlier wave and that does not skip its dry run', () => {
    const folders = new Map([...reference.folders].map(([ns, objs]) => [ns, objs.map((o) => (o.kind === 'Certificate'
      ? { ...o, metadata: { ...o.metadata, annotations: {} } } : o))]));
    const noCertManager = { ...reference, folders, crdsByRelease: new Map([...reference.crdsByRelease].filter(([r]) => r !== 'cert-manager')) };
    expect(argoFirstSync(noCertManager).some((p) => /Certificate .*no earlier wave installs the CRD of cert-manager.io\/Certificate/.test(p))).toBe(true);
  });

  it('finds an Application whose project does not admit its namespace', () => {
    const broken = without(reference, (o) => o.kind === 'AppProject');
    expect(argoFirstSync(broken).some((p) => /project "platform-apps" is not in dist\/argocd|project "\S+" is not in dist\/argocd/.test(p))).toBe(true);
  });

  it('finds a Flux folder applied before the release that installs its CRDs', () => {
    const pc = entries().find((e) => e.name === 'private-cloud')!;
    const folders = new Map([...pc.folders].map(([ns, objs]) => [ns, objs.map((o) => (o.kind === 'Kustomization' ? { ...o, spec: { ...o.spec, healthChecks: undefined } } : o))]));
    expect(fluxFirstSync({ ...pc, folders }).some((p) => /is applied before any release it waits for installs the CRD of cert-manager\.io\//.test(p))).toBe(true);
  });
});
