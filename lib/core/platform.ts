import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, App, Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct, IConstruct } from 'constructs';
import { PlatformError, configError, pathOf } from './errors';
import { dataProtection, SyncWave } from './annotations';
import { checkName, NameRules, MANAGED_BY, PART_OF } from './names';
import { renderBaselinePolicies, type PodPeer } from '../network/network-policies';
import { toYamlStream } from './yaml';
import { assertCapacity, DEFAULT_CAPACITY, NodeCapacity } from '../checks/capacity';
import { assertGitOpsEngine } from '../gitops/engine';

/** Pod Security Admission levels, most restrictive first. */
export const PodSecurity = {
  RESTRICTED: 'restricted',
  BASELINE: 'baseline',
  PRIVILEGED: 'privileged',
} as const;
export type PodSecurityLevel = (typeof PodSecurity)[keyof typeof PodSecurity];
const PSA_ORDER: PodSecurityLevel[] = ['restricted', 'baseline', 'privileged'];

/** The ingress controller class that every route uses; one setting for the whole platform. */
export interface IngressClass {
  /** `spec.ingressClassName` of every Ingress and of the HTTP-01 solver. */
  readonly name: string;
  /** Whether a route can strip its path prefix (Traefik Middleware). */
  readonly supportsStripPrefix: boolean;
  /**
   * Pods of a controller installed outside this platform, for NetworkPolicies.
   * @default - the IngressController construct declares them
   */
  readonly controller?: PodPeer;
}
export const IngressClasses = {
  TRAEFIK: { name: 'traefik', supportsStripPrefix: true },
  /** For a cluster that keeps an existing ingress-nginx (its upstream defaults); no strip-prefix support here. */
  NGINX: {
    name: 'nginx',
    supportsStripPrefix: false,
    controller: { namespace: 'ingress-nginx', podLabels: { 'app.kubernetes.io/name': 'ingress-nginx' }, name: 'ingress-nginx' },
  },
} as const satisfies Record<string, IngressClass>;

/** When a finalizer runs: objects first, then what is derived from all objects. */
export enum FinalizePhase {
  OBJECTS = 0,
  DERIVED = 1,
}

/** Let's Encrypt issuers; certificates name one of them. */
export const AcmeIssuers = {
  PRODUCTION: { name: 'letsencrypt-prod', server: 'https://acme-v02.api.letsencrypt.org/directory' },
  STAGING: { name: 'letsencrypt-staging', server: 'https://acme-staging-v02.api.letsencrypt.org/directory' },
} as const;
export type AcmeIssuer = (typeof AcmeIssuers)[keyof typeof AcmeIssuers];

/** Where Argo CD (or another engine) reads `dist/` from. */
export interface GitSource {
  /** The repository URL, e.g. `https://github.com/shakalabs/novahost-infra.git`. */
  readonly repoURL: string;
  /** @default 'main' */
  readonly revision?: string;
  /** Folder of the synthesized output inside the repository. @default 'dist' */
  readonly path?: string;
}

/** A third-party Helm chart that the platform installs through GitOps. */
export interface HelmRelease {
  /** Release and Application name. */
  readonly name: string;
  /** Namespace the chart installs into. */
  readonly namespace: string;
  /** Chart repository URL (https, or an OCI path without `oci://`). */
  readonly repoURL: string;
  readonly chart: string;
  /** Exact chart version; never a range. */
  readonly version: string;
  /** Values, typed by the construct that owns the release. */
  readonly values: object;
  /** @default SyncWave.OPERATORS */
  readonly wave?: number;
  /** Large CRDs exceed the client-side apply annotation limit. @default false */
  readonly serverSideApply?: boolean;
  /** Whether the chart installs cluster-scoped objects (CRDs, ClusterRoles, webhooks). @default true */
  readonly clusterScoped?: boolean;
}

/** Options for a namespace chart; several constructs may ask for the same namespace. */
export interface NamespaceOptions {
  /** Least restrictive Pod Security level a workload in it needs. @default PodSecurity.RESTRICTED */
  readonly podSecurity?: PodSecurityLevel;
  /** Why a level below restricted is needed; required when podSecurity is not restricted. */
  readonly podSecurityReason?: string;
  /** Sync wave of the namespace's Application; the lowest asked for wins. @default SyncWave.APPS */
  readonly wave?: number;
  /** The namespace holds data: never pruned or deleted by GitOps. @default false */
  readonly holdsData?: boolean;
}

export interface PlatformProps {
  /** Base domain of the installation; apps are served on sub-domains of it. */
  readonly domain: string;
  /** E-mail address of the Let's Encrypt account (expiry notices). */
  readonly acmeEmail: string;
  /** Where GitOps reads `dist/` from. */
  readonly git: GitSource;
  /** @default IngressClasses.TRAEFIK */
  readonly ingressClass?: IngressClass;
  /** Issuer that signs every certificate. @default AcmeIssuers.PRODUCTION */
  readonly issuer?: AcmeIssuer;
  /** @default - `CDK8S_OUTDIR`, else 'dist' */
  readonly outdir?: string;
  /**
   * The node(s) everything must fit on: synth fails when the summed requests of all workloads and
   * chart values exceed it minus the system reserve. @default DEFAULT_CAPACITY (2 vCPU / 4 GiB, one k3s node)
   */
  readonly capacity?: NodeCapacity;
}

/**
 * The whole installation: one chart per namespace, written to
 * `dist/<namespace>/<namespace>.k8s.yaml` (one YAML stream per chart, objects ordered by kind and
 * name). Constructs find the platform with `Platform.of(this)` and ask it for their namespace.
 */
export class Platform extends App {
  /** The Platform a construct belongs to. */
  public static of(scope: IConstruct): Platform {
    const root = scope.node.root;
    if (!(root instanceof Platform)) {
      throw new PlatformError(`${pathOf(scope)}: this construct must be created inside a Platform (new Platform({...})), not a plain cdk8s App`);
    }
    return root;
  }

  public readonly domain: string;
  public readonly acmeEmail: string;
  public readonly git: Required<GitSource>;
  public readonly ingressClass: IngressClass;
  public readonly issuer: AcmeIssuer;
  public readonly capacity: NodeCapacity;

  private readonly namespaceCharts = new Map<string, NamespaceChart>();
  private readonly releases = new Map<string, { release: HelmRelease; owner: string }>();
  private readonly finalizers: Array<{ fn: () => void; phase: number }> = [];
  private ingressControllerPeer?: PodPeer;
  private finalized = false;

  constructor(props: PlatformProps) {
    super({ outdir: props.outdir });
    this.domain = checkName('platform', 'domain', props.domain, NameRules.HOSTNAME);
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(props.acmeEmail ?? '')) {
      throw configError('platform', {
        field: 'acmeEmail',
        value: props.acmeEmail,
        problem: 'is not an e-mail address',
        fix: "give the address Let's Encrypt should send expiry notices to, e.g. \"ops@example.com\"",
      });
    }
    this.acmeEmail = props.acmeEmail;
    if (!/^(https:\/\/|ssh:\/\/|git@)\S+$/.test(props.git?.repoURL ?? '')) {
      throw configError('platform', {
        field: 'git.repoURL',
        value: props.git?.repoURL,
        problem: 'is not a Git repository URL',
        fix: 'use the https:// or ssh URL that Argo CD clones, e.g. "https://github.com/owner/novahost-infra.git"',
      });
    }
    this.git = { repoURL: props.git.repoURL, revision: props.git.revision ?? 'main', path: props.git.path ?? 'dist' };
    this.ingressClass = props.ingressClass ?? IngressClasses.TRAEFIK;
    this.issuer = props.issuer ?? AcmeIssuers.PRODUCTION;
    this.capacity = props.capacity ?? DEFAULT_CAPACITY;
  }

  /** `sub.domain`, for an app's host. */
  public host(sub: string): string {
    return checkName('platform', 'host', `${sub}.${this.domain}`, NameRules.HOSTNAME);
  }

  /** The chart of a namespace, created on first use. */
  public namespace(name: string, options: NamespaceOptions = {}): NamespaceChart {
    let chart = this.namespaceCharts.get(name);
    if (!chart) {
      checkName('platform', 'namespace', name, NameRules.DNS1123_LABEL);
      chart = new NamespaceChart(this, name);
      this.namespaceCharts.set(name, chart);
    }
    chart.require(options);
    return chart;
  }

  /** Every namespace chart, sorted by name. */
  public get namespaces(): NamespaceChart[] {
    return [...this.namespaceCharts.values()].sort((a, b) => a.namespaceName.localeCompare(b.namespaceName));
  }

  /** Registers a third-party Helm chart for the GitOps engine to install. */
  public addHelmRelease(owner: IConstruct, release: HelmRelease): void {
    const existing = this.releases.get(release.name);
    if (existing) {
      throw configError(owner, {
        field: 'helm release name',
        value: release.name,
        problem: `is already installed by ${existing.owner}`,
        fix: 'declare each third-party component once, or give the second release another name',
      });
    }
    this.releases.set(release.name, { release, owner: pathOf(owner) });
  }

  /** Registered Helm releases, sorted by name. */
  public get helmReleases(): HelmRelease[] {
    return [...this.releases.values()].map((r) => r.release).sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * Work that must see the whole installation (per-host Ingresses, GitOps Applications) runs
   * here, once, just before synthesis.
   */
  public onFinalize(fn: () => void, phase: FinalizePhase = FinalizePhase.OBJECTS): void {
    if (this.finalized) throw new PlatformError('platform: onFinalize() called after synthesis started');
    this.finalizers.push({ fn, phase });
  }

  /**
   * The pods that forward routed traffic, for NetworkPolicies: set by the IngressController
   * construct, else taken from the ingress class.
   */
  public get ingressPeer(): PodPeer | undefined {
    return this.ingressControllerPeer ?? this.ingressClass.controller;
  }

  /** Called by the construct that deploys the ingress controller. */
  public setIngressPeer(owner: IConstruct, peer: PodPeer): void {
    if (this.ingressControllerPeer) {
      throw configError(owner, { field: 'ingress controller', value: peer.name, problem: 'is declared twice', fix: 'declare one ingress controller per platform' });
    }
    this.ingressControllerPeer = peer;
  }

  /**
   * Finalizes, validates and renders every namespace chart. Throws one PlatformError listing every
   * problem; nothing is written when there is one.
   */
  public manifests(): Map<string, object[]> {
    if (!this.finalized) {
      this.finalized = true;
      // Objects first (per-host Ingresses, Applications), then what is derived from all of them.
      for (const phase of [FinalizePhase.OBJECTS, FinalizePhase.DERIVED]) {
        for (const f of this.finalizers) if (f.phase === phase) f.fn();
      }
    }
    const errors: string[] = [];
    for (const c of this.node.findAll()) {
      for (const e of c.node.validate()) errors.push(`${pathOf(c)}: ${e}`);
    }
    if (errors.length) throw new PlatformError(`synth failed, nothing was written:\n  ${errors.join('\n  ')}`);

    const out = new Map<string, object[]>();
    for (const chart of this.namespaces) {
      const objects = chart.render();
      const seen = new Set<string>();
      for (const obj of objects as any[]) {
        // The identity Kubernetes keys objects by, within a namespace: API group, kind and name.
        const id = `${apiGroupOf(obj.apiVersion)}/${obj.kind}/${obj.metadata.name}`;
        if (seen.has(id)) {
          throw new PlatformError(`${chart.namespaceName}: two objects are both ${obj.kind} "${obj.metadata.name}"; give one of them another name`);
        }
        seen.add(id);
      }
      out.set(chart.namespaceName, objects);
    }
    assertCapacity([...out.values()].flat(), this.helmReleases, this.capacity);
    return out;
  }

  /**
   * Writes `dist/<namespace>/<namespace>.k8s.yaml`, one YAML stream per chart. Linear in the number
   * of charts (cdk8s' own FILE_PER_CHART output re-resolves the app per chart), and it replaces the
   * output folder so a removed namespace disappears from `dist/` too. One file per chart rather
   * than per object: creating a file is what costs on a slow disk (18 000 files took up to 3.5 s
   * at 1000 apps, 1000 files take a tenth of that), and `npm run plan` lists changes per object.
   */
  public synth(): SynthStats {
    const start = process.hrtime.bigint();
    assertGitOpsEngine(this);
    const files: Array<[string, string]> = [];
    let objectCount = 0;
    for (const [ns, objects] of this.manifests()) {
      files.push([manifestFile(ns), toYamlStream(objects)]);
      objectCount += objects.length;
    }
    const rendered = process.hrtime.bigint();
    fs.rmSync(this.outdir, { recursive: true, force: true });
    for (const [file, text] of files) {
      fs.mkdirSync(path.join(this.outdir, path.dirname(file)), { recursive: true });
      fs.writeFileSync(path.join(this.outdir, file), text);
    }
    const ms = (from: bigint, to: bigint) => Number(to - from) / 1e6;
    return { files: files.length, objects: objectCount, renderMs: ms(start, rendered), writeMs: ms(rendered, process.hrtime.bigint()) };
  }
}

/** What a synthesis wrote and where its time went (the construct tree is built before). */
export interface SynthStats {
  readonly files: number;
  readonly objects: number;
  /** Finalize, validate, check capacity, render objects and YAML text. */
  readonly renderMs: number;
  /** Replace the output folder and write the files. */
  readonly writeMs: number;
}

/** Kinds without a namespace that the platform renders. */
export const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set([
  'Namespace', 'ClusterIssuer', 'ClusterRole', 'ClusterRoleBinding', 'StorageClass', 'IngressClass', 'PriorityClass',
]);

/** `cert-manager.io/v1` -> `cert-manager.io`; the core group (`v1`) is ''. */
export function apiGroupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
}

/** `novahost/novahost.k8s.yaml`: the file of a namespace's chart, relative to the output folder. */
export function manifestFile(namespace: string): string {
  return `${namespace}/${namespace}.k8s.yaml`;
}

/**
 * The chart of one namespace: owns its Namespace object (with Pod Security Admission labels) and
 * everything that lives in it; synthesized to `dist/<namespace>/` and synced by one Application.
 */
export class NamespaceChart extends Chart {
  public readonly namespaceName: string;
  private level: PodSecurityLevel = PodSecurity.RESTRICTED;
  private readonly levelReasons: string[] = [];
  private syncWave: number | undefined;
  private data = false;
  private readonly namespaceObject: k8s.KubeNamespace;

  constructor(scope: Platform, name: string) {
    super(scope, name, { namespace: name, disableResourceNameHashes: true });
    this.namespaceName = name;
    this.namespaceObject = new k8s.KubeNamespace(this, 'Namespace', {
      metadata: {
        name,
        labels: { 'app.kubernetes.io/part-of': PART_OF, 'app.kubernetes.io/managed-by': MANAGED_BY },
      },
    });
    renderBaselinePolicies(new Construct(this, 'NetworkPolicies'));
  }

  /** Least restrictive Pod Security level asked for by the namespace's workloads. */
  public get podSecurity(): PodSecurityLevel {
    return this.level;
  }

  /** Why the Pod Security level is below restricted, if it is. */
  public get podSecurityReasons(): readonly string[] {
    return this.levelReasons;
  }

  /** Sync wave of this namespace's Application. */
  public get wave(): number {
    return this.syncWave ?? SyncWave.APPS;
  }

  public get holdsData(): boolean {
    return this.data;
  }

  /** Merges what a construct needs of this namespace. */
  public require(options: NamespaceOptions): void {
    const level = options.podSecurity ?? PodSecurity.RESTRICTED;
    if (level !== PodSecurity.RESTRICTED) {
      if (!options.podSecurityReason) {
        throw configError(this, {
          field: 'podSecurity',
          value: level,
          problem: 'is below "restricted" without a reason',
          fix: 'pass podSecurityReason explaining which workload needs it and why',
        });
      }
      this.levelReasons.push(options.podSecurityReason);
    }
    if (PSA_ORDER.indexOf(level) > PSA_ORDER.indexOf(this.level)) this.level = level;
    if (options.wave !== undefined) this.syncWave = Math.min(this.syncWave ?? options.wave, options.wave);
    this.data = this.data || !!options.holdsData;
  }

  /** Objects of this chart, in a stable order: Namespace first, then by kind and name. */
  public render(): object[] {
    // Labels are settled only now: constructs added after the chart may lower the level.
    const meta = this.namespaceObject.metadata;
    for (const mode of ['enforce', 'audit', 'warn']) {
      meta.addLabel(`pod-security.kubernetes.io/${mode}`, this.level);
      meta.addLabel(`pod-security.kubernetes.io/${mode}-version`, 'v1.28');
    }
    if (this.data) for (const [k, v] of Object.entries(dataProtection())) meta.addAnnotation(k, v);
    // Not Chart.toJson(): it re-resolves and re-validates the whole app for every chart, which
    // makes synthesis quadratic in the number of namespaces. Platform.manifests() validated once.
    const objects = this.node.findAll()
      .filter((c): c is ApiObject => c instanceof ApiObject && Chart.of(c) === this)
      .map((o) => o.toJson());
    // The chart's namespace is stamped on every object; cluster-scoped ones must not carry it.
    for (const o of objects) if (CLUSTER_SCOPED_KINDS.has(o.kind)) delete o.metadata.namespace;
    return objects.sort((a, b) => {
      const ka = a.kind === 'Namespace' ? '' : a.kind;
      const kb = b.kind === 'Namespace' ? '' : b.kind;
      return ka.localeCompare(kb) || a.metadata.name.localeCompare(b.metadata.name);
    });
  }
}

/** Base for a construct that lives in one namespace chart chosen by a `namespace` prop. */
export abstract class NamespacedConstruct extends Construct {
  /** The chart (namespace) this construct renders into. */
  public readonly chart: NamespaceChart;
  public readonly platform: Platform;

  protected constructor(scope: Construct, id: string, namespace: string, options: NamespaceOptions = {}) {
    const platform = Platform.of(scope);
    const chart = platform.namespace(namespace, options);
    super(chart, id);
    this.platform = platform;
    this.chart = chart;
  }

  /** The namespace name. */
  public get namespace(): string {
    return this.chart.namespaceName;
  }
}
