// The whole installation: Platform holds the settings, the namespace charts and the registry, and
// runs the synth pipeline (derive, validate, render, check, write) in one visible order.
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { DEFAULT_CAPACITY, NodeCapacity } from './cluster';
import { PlatformError, configError, pathOf } from './errors';
import { assertGitOpsEngine } from './gitops-engine';
import { HELM_RELEASES, HelmRelease } from './helm-releases';
import { checkName, NameRules } from './names';
import { apiGroupOf, manifestFile, NamespaceChart, NamespaceOptions } from './namespace-chart';
import { type PodPeer } from './peers';
import { PlatformRegistry, SlotKey } from './registry';
import { synthChecks } from './synth-checks';
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

  /** Per-platform facts, singletons and derive stages: the one place constructs meet. */
  public readonly registry: PlatformRegistry;

  private readonly namespaceCharts = new Map<string, NamespaceChart>();

  constructor(props: PlatformProps) {
    super({ outdir: props.outdir });
    this.registry = new PlatformRegistry(this);
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
   * Derives, validates and renders every namespace chart, then runs the synth checks. Throws one PlatformError listing every
   * problem; nothing is written when there is one.
   */
  public manifests(): Map<string, object[]> {
    // Derived objects, stage by stage (core/registry.ts DeriveStages), then validation of the tree.
    this.registry.runDerivations();
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
    const input = { objects: [...out.values()].flat(), helmReleases: this.helmReleases, capacity: this.capacity };
    for (const check of synthChecks()) check.run(input);
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
