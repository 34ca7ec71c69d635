// The whole installation: Platform holds the settings, the namespace charts and the registry, and
// runs the synth pipeline (derive, validate, render, check, write) in one visible order.
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { ClusterProfile, NodeCapacity, singleNodeProfile } from './cluster';
import { PlatformError, pathOf, problemLine, SynthError } from './errors';
import { assertGitOpsEngine } from './gitops-engine';
import { HELM_RELEASES, HelmRelease } from './helm-releases';
import { allowAnyChildId, checkName, NameRules, suggestName } from './names';
import { reportProblem } from './problems';
import { apiGroupOf, manifestFile, NamespaceChart, NamespaceOptions } from './namespace-chart';
import { type PodPeer } from './peers';
import { PlatformRegistry, SlotKey } from './registry';
import { synthChecks } from './synth-checks';
import { propKeys, PropChecks, SYSTEM_NAMESPACES } from './validate';
import { toYamlStream } from './yaml';

/**
 * The pods that forward routed traffic, for NetworkPolicies: claimed by the IngressController
 * construct, else taken from the ingress class.
 */
export const INGRESS_CONTROLLER = new SlotKey<PodPeer>('ingress controller', 'declare one ingress controller per platform');

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
  /** Annotations every route's Ingress carries. @default - none */
  readonly routeAnnotations?: Readonly<Record<string, string>>;
}

/**
 * Traefik's entrypoints, as both its chart and k3s's name them: `web` (plain HTTP, which only
 * redirects to HTTPS and answers ACME HTTP-01 challenges) and `websecure` (HTTPS).
 */
export const TRAEFIK_ENTRYPOINTS = { WEB: 'web', WEBSECURE: 'websecure' } as const;
export const IngressClasses = {
  TRAEFIK: {
    name: 'traefik',
    supportsStripPrefix: true,
    // Routes serve HTTPS only: without these a route's router also answers plain HTTP on `web`,
    // ahead of the low-priority HTTP -> HTTPS redirect (see IngressController).
    routeAnnotations: {
      'traefik.ingress.kubernetes.io/router.entrypoints': TRAEFIK_ENTRYPOINTS.WEBSECURE,
      'traefik.ingress.kubernetes.io/router.tls': 'true',
    },
  },
  /**
   * For a cluster that keeps an existing ingress-nginx (its upstream defaults, which redirect an
   * Ingress with TLS to HTTPS and send HSTS); no strip-prefix support here.
   */
  NGINX: {
    name: 'nginx',
    supportsStripPrefix: false,
    controller: { namespace: 'ingress-nginx', podLabels: { 'app.kubernetes.io/name': 'ingress-nginx' }, name: 'ingress-nginx' },
  },
} as const satisfies Record<string, IngressClass>;

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
  /**
   * What the platform runs on: nodes, the StorageClass of data, how the ingress controller is
   * exposed, replicas of routed services (ClusterProfiles in lib/cluster/profiles.ts). Give this or
   * `capacity`, not both. @default - one k3s node of `capacity`
   */
  readonly cluster?: ClusterProfile;
}

let latestPlatform: Platform | undefined;
const PLATFORM_KEYS = propKeys<PlatformProps>({ domain: true, acmeEmail: true, git: true, ingressClass: true, issuer: true, outdir: true, capacity: true, cluster: true });
const GIT_KEYS = propKeys<GitSource>({ repoURL: true, revision: true, path: true });

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

  /** The Platform created last in this process, for the synth runner (core/cli.ts) when main.ts threw. */
  public static get latest(): Platform | undefined {
    return latestPlatform;
  }

  public readonly domain: string;
  public readonly acmeEmail: string;
  public readonly git: Required<GitSource>;
  public readonly ingressClass: IngressClass;
  public readonly issuer: AcmeIssuer;
  /** The node everything must fit on, when the cluster has one node; the sum check uses it. */
  public readonly capacity: NodeCapacity;
  public readonly cluster: ClusterProfile;

  /** Per-platform facts, singletons and derive stages: the one place constructs meet. */
  public readonly registry: PlatformRegistry;

  private readonly namespaceCharts = new Map<string, NamespaceChart>();

  constructor(props: PlatformProps) {
    super({ outdir: props?.outdir });
    latestPlatform = this;
    this.registry = new PlatformRegistry(this);
    allowAnyChildId(this);
    // Synthesis does not type-check: every prop is checked here, and each problem reported.
    const v = new PropChecks(this);
    v.object('', props, PLATFORM_KEYS, true);
    const p = (props ?? {}) as Partial<PlatformProps>;
    this.domain = v.string('domain', p.domain, { required: true, rule: NameRules.HOSTNAME, fix: 'use the base domain the apps are served under, e.g. "example.com"' }) ?? 'invalid.example';
    this.acmeEmail = v.string('acmeEmail', p.acmeEmail, {
      required: true, pattern: /^[^@\s]+@[^@\s]+\.[^@\s]+$/, what: 'an e-mail address',
      fix: "give the address Let's Encrypt should send expiry notices to, e.g. \"ops@example.com\"",
    }) ?? 'invalid@invalid.example';
    const git = v.object('git', p.git, GIT_KEYS, true) ? p.git! : ({} as GitSource);
    const repoURL = v.string('git.repoURL', git.repoURL, {
      required: true, pattern: /^(https:\/\/|ssh:\/\/|git@)[^\s`'"$;|&<>]+$/, what: 'a Git repository URL',
      fix: 'use the https:// or ssh URL that Argo CD clones, e.g. "https://github.com/owner/novahost-infra.git"',
    });
    const revision = v.string('git.revision', git.revision, { pattern: /^(?!.*\.\.)(?!-)[A-Za-z0-9._\/-]{1,255}$/, what: 'a branch, tag or commit', fix: 'use e.g. "main"' });
    const gitPath = v.string('git.path', git.path, { pattern: /^(?!\/)(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._\/-]+$/, what: 'a relative folder of the repository', fix: 'use e.g. "dist"' });
    this.git = { repoURL: repoURL ?? 'https://invalid.example/invalid.git', revision: revision ?? 'main', path: gitPath ?? 'dist' };
    if (p.ingressClass !== undefined && !(Object.values(IngressClasses) as IngressClass[]).includes(p.ingressClass)) {
      v.object('ingressClass', p.ingressClass, ['name', 'supportsStripPrefix', 'controller']);
      v.string('ingressClass.name', (p.ingressClass as IngressClass)?.name, { required: true, rule: NameRules.DNS1123_SUBDOMAIN, fix: 'use IngressClasses.TRAEFIK or IngressClasses.NGINX' });
    }
    this.ingressClass = p.ingressClass ?? IngressClasses.TRAEFIK;
    if (v.object('issuer', p.issuer, ['name', 'server'])) {
      v.string('issuer.name', p.issuer!.name, { required: true, rule: NameRules.DNS1123_SUBDOMAIN, fix: 'use AcmeIssuers.PRODUCTION or AcmeIssuers.STAGING' });
      v.string('issuer.server', p.issuer!.server, { required: true, pattern: /^https:\/\/\S+$/, what: 'an https URL of an ACME directory', fix: 'use AcmeIssuers.PRODUCTION or AcmeIssuers.STAGING' });
    }
    this.issuer = p.issuer ?? AcmeIssuers.PRODUCTION;
    if (p.outdir !== undefined) v.string('outdir', p.outdir);
    if (v.object('capacity', p.capacity, ['cpu', 'memory', 'systemReserved'])) {
      v.quantity('capacity.cpu', p.capacity!.cpu, 'cpu');
      v.quantity('capacity.memory', p.capacity!.memory, 'memory');
    }
    if (p.cluster && p.capacity) {
      v.report('capacity', p.capacity, 'is given together with cluster, which already says what the nodes offer', 'remove capacity and describe the nodes in the cluster profile');
    }
    this.cluster = p.cluster ?? singleNodeProfile(p.capacity);
    const pool = this.cluster.pools[0];
    this.capacity = p.capacity ?? { cpu: pool.allocatable.cpu, memory: pool.allocatable.memory, systemReserved: this.cluster.nodeReserve };
  }

  /** `sub.domain`, for an app's host. */
  public host(sub: string): string {
    return checkName('platform', 'host', `${sub}.${this.domain}`, NameRules.HOSTNAME);
  }

  /**
   * The chart of a namespace, created on first use. `asker` is the path of the construct that
   * wants it, for the error when the name is invalid or a system namespace (then a placeholder
   * chart is returned, so construction goes on and synth reports every problem).
   */
  public namespace(name: string, options: NamespaceOptions = {}, asker = 'platform'): NamespaceChart {
    let chart = this.namespaceCharts.get(name);
    if (!chart) {
      const rule = NameRules.DNS1123_LABEL;
      const valid = typeof name === 'string' && name.length <= rule.maxLength && rule.pattern.test(name);
      if (!valid) {
        reportProblem(this, { field: 'namespace', value: name, problem: `is not ${rule.description}, at most ${rule.maxLength} characters`, fix: `rename it, for example "${suggestName(String(name))}"` }, asker);
      } else if (SYSTEM_NAMESPACES.has(name)) {
        reportProblem(this, {
          field: 'namespace', value: name, problem: 'is a namespace Kubernetes itself uses; the platform would put default-deny policies and Pod Security labels on it',
          fix: 'give the construct another id, or a namespace of its own',
        }, asker);
      }
      const id = valid ? name : `invalid-namespace-${this.namespaceCharts.size}`;
      chart = new NamespaceChart(this, id);
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
    this.registry.fact(HELM_RELEASES).add(owner, release);
  }

  /** Registered Helm releases, sorted by name. */
  public get helmReleases(): HelmRelease[] {
    return this.registry.fact(HELM_RELEASES).all;
  }

  /**
   * The pods that forward routed traffic, for NetworkPolicies: claimed by the IngressController
   * construct, else taken from the ingress class.
   */
  public get ingressPeer(): PodPeer | undefined {
    return this.registry.slot(INGRESS_CONTROLLER) ?? this.ingressClass.controller;
  }

  /**
   * Derives, validates and renders every namespace chart, then runs the synth checks. Throws one
   * SynthError listing every problem (those reported by constructors, failed derive steps,
   * validations and checks); nothing is written when there is one.
   */
  public manifests(): Map<string, object[]> {
    const fail = () => new SynthError(this.registry.problems);
    // Problems from the constructors come first: what derives from a placeholder is not worth reporting.
    if (this.registry.problems.length) throw fail();
    // Derived objects, stage by stage (core/registry.ts DeriveStages), then validation of the tree.
    this.registry.runDerivations();
    if (this.registry.problems.length) throw fail();
    for (const c of this.node.findAll()) {
      for (const e of c.node.validate()) this.registry.report(`${pathOf(c)}: ${e}`);
    }
    if (this.registry.problems.length) throw fail();

    const out = new Map<string, object[]>();
    for (const chart of this.namespaces) {
      const objects = chart.render();
      const seen = new Set<string>();
      for (const obj of objects as any[]) {
        // The identity Kubernetes keys objects by, within a namespace: API group, kind and name.
        const id = `${apiGroupOf(obj.apiVersion)}/${obj.kind}/${obj.metadata.name}`;
        if (seen.has(id)) {
          this.registry.report(`${chart.namespaceName}: two objects are both ${obj.kind} "${obj.metadata.name}". Fix: give one of them another name`);
        }
        seen.add(id);
      }
      out.set(chart.namespaceName, objects);
    }
    const input = { objects: [...out.values()].flat(), helmReleases: this.helmReleases, capacity: this.capacity, cluster: this.cluster };
    for (const check of synthChecks()) {
      try {
        check.run(input);
      } catch (e) {
        // One line per problem; a check's table of details follows the report (core/cli.ts).
        const [line, ...details] = e instanceof SynthError ? [problemLine(e, check.name)] : problemLine(e, `check ${check.name}`).split('\n');
        this.registry.report(line);
        if (details.length) this.registry.notes.push(details.join('\n'));
      }
    }
    if (this.registry.problems.length) throw fail();
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
    writeFolderAtomically(this.outdir, files);
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

/**
 * Writes every file into a fresh folder beside `outdir`, then swaps it in with renames, so a
 * failure (a full disk, a crash) leaves the old `outdir` as it was and no half-written one. The
 * previous folder is kept under a temporary name until the new one is in place.
 */
function writeFolderAtomically(outdir: string, files: ReadonlyArray<[string, string]>): void {
  const target = path.resolve(outdir);
  const parent = path.dirname(target);
  fs.mkdirSync(parent, { recursive: true });
  const staging = fs.mkdtempSync(path.join(parent, `.${path.basename(target)}.new-`));
  const previous = `${staging.replace('.new-', '.old-')}`;
  try {
    for (const [file, text] of files) {
      fs.mkdirSync(path.join(staging, path.dirname(file)), { recursive: true });
      fs.writeFileSync(path.join(staging, file), text);
    }
    const existed = fs.existsSync(target);
    if (existed) fs.renameSync(target, previous);
    try {
      fs.renameSync(staging, target);
    } catch (e) {
      if (existed) fs.renameSync(previous, target);
      throw e;
    }
    fs.rmSync(previous, { recursive: true, force: true });
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/** Base for a construct that lives in one namespace chart chosen by a `namespace` prop. */
export abstract class NamespacedConstruct extends Construct {
  /** The chart (namespace) this construct renders into. */
  public readonly chart: NamespaceChart;
  public readonly platform: Platform;

  protected constructor(scope: Construct, id: string, namespace: string, options: NamespaceOptions = {}) {
    const platform = Platform.of(scope);
    const chart = platform.namespace(namespace, options, `${pathOf(scope)}/${id}`.replace(/^platform\//, ''));
    super(chart, id);
    allowAnyChildId(this);
    this.platform = platform;
    this.chart = chart;
  }

  /** The namespace name. */
  public get namespace(): string {
    return this.chart.namespaceName;
  }
}
