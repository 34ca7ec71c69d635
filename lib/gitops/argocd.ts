// Argo CD as the GitOps engine: app-of-apps with one Application per namespace folder and per
// chart.
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { Application, ApplicationSpecSyncPolicy } from '../../imports/argocd-application-argoproj.io';
import { AppProject } from '../../imports/argocd-appproject-argoproj.io';
import { ArgoCdValues, chartResources } from '../core/helm-values';
import { MANAGED_BY, PART_OF } from '../core/names';
import { KUBE_API_PORTS, NetworkPolicies, PodPeer, Peers } from '../network/network-policies';
import { NamespacedConstruct } from '../core/platform';
import { apiGroupOf, CLUSTER_SCOPED_KINDS, NamespaceChart } from '../core/namespace-chart';
import { HelmRelease } from '../core/helm-releases';
import { SYNC_OPTIONS, SYNC_WAVE, SyncWave } from '../core/annotations';
import { declareGitOpsEngine, GitOpsEngine } from '../core/gitops-engine';
import { DeriveStages } from '../core/registry';
import { helmChart, PINS } from '../core/pins';
import { SecretKeyReference } from '../core/handles';
import { declareSecrets } from '../core/secrets';
import { PropChecks } from '../core/validate';
import { NameRules } from '../core/names';
import { checkProps, Rules, ShapeOf } from '../core/prop-schema';

/** The app-of-apps Application, which syncs dist/argocd. */
const ROOT_APPLICATION = 'root';

/** The argo-cd chart that installs, then upgrades, Argo CD itself. */
export const ARGO_CD_CHART = helmChart(PINS.charts.argoCd);

const IN_CLUSTER = 'https://kubernetes.default.svc';
/** Project of the namespace folders: namespaced objects of their own namespace, few cluster kinds. */
export const APPS_PROJECT = 'platform';
/** Project of third-party Helm charts, which install CRDs, ClusterRoles and webhooks. */
export const SYSTEM_PROJECT = 'platform-system';

/**
 * Argo CD's own health check for Application resources. Since Argo CD 1.8 a parent does not wait
 * for its child Applications, so sync waves across Applications only order anything with this.
 */
const APPLICATION_HEALTH_LUA = [
  'hs = {}',
  'hs.status = "Progressing"',
  'hs.message = ""',
  'if obj.status ~= nil and obj.status.health ~= nil then',
  '  hs.status = obj.status.health.status',
  '  if obj.status.health.message ~= nil then',
  '    hs.message = obj.status.health.message',
  '  end',
  'end',
  'return hs',
  '',
].join('\n');


/** How Argo CD authenticates to a private Git repository. */
export interface ArgoCdRepositoryCredentials {
  /**
   * `ssh`: a read-only deploy key (`sshPrivateKey`; the platform's `git.repoURL` is an ssh URL).
   * `https`: a user and a token (`username`, `password`; an https URL).
   */
  readonly kind: 'ssh' | 'https';
  /** Name of the Secret in Argo CD's namespace. @default 'git-repository' */
  readonly secret?: string;
}

export interface ArgoCdProps {
  /** @default 'argocd' */
  readonly namespace?: string;
  /** Retries of a failed automated sync before Argo CD gives up. @default 10 */
  readonly syncRetries?: number;
  /**
   * Credentials for the platform's Git repository when it is private, by reference: a Secret with
   * Argo CD's repository label that `npm run secrets` creates (values from the environment or a
   * prompt); nothing of it is in dist/. @default - none: the repository is public
   */
  readonly repositoryCredentials?: ArgoCdRepositoryCredentials;
}

/** Argo CD finds repository credentials by this label. */
const REPOSITORY_LABEL = { 'argocd.argoproj.io/secret-type': 'repository' } as const;

const ARGOCD_PROPS = {
  // Checked by the platform when it makes the namespace chart.
  namespace: Rules.any(),
  syncRetries: Rules.integer(0, 100, 'use e.g. 10 (Argo CD retries with backoff, up to 3 minutes apart)'),
  // Checked in full by checkCredentials (kind and Secret name).
  repositoryCredentials: Rules.any(),
} satisfies ShapeOf<ArgoCdProps>;

/**
 * GitOps with Argo CD, app-of-apps: the root Application syncs `dist/argocd`, which holds one
 * Application per namespace folder (ordered by sync waves), one per third-party Helm chart, the
 * AppProjects, and the Application through which Argo CD manages itself.
 */
export class ArgoCd extends NamespacedConstruct implements GitOpsEngine {
  public readonly gitOpsEngine = 'ArgoCd';
  /** Argo CD replaces Jobs through the hook delete policy they carry. */
  public readonly forceReplacesJobs = false;
  public readonly values: ArgoCdValues;
  /** The repository credentials Secret, when the repository is private. */
  public readonly repositoryCredentials?: Required<ArgoCdRepositoryCredentials>;
  private readonly retries: number;

  /**
   * Automated sync off for the folder's Application, and first for the root: the root syncs the
   * Applications from dist/argocd with self-heal, so it would turn the folder's sync back on
   * within seconds. Resuming the root alone would restore the folder's policy from Git; both are
   * set, in the reverse order.
   */
  public holdSync(namespace: string): string[] {
    return [ROOT_APPLICATION, namespace].map((app) => `kubectl -n ${this.namespace} patch application ${app} --type merge -p '{"spec":{"syncPolicy":{"automated":null}}}'`);
  }

  public resumeSync(namespace: string): string[] {
    return [namespace, ROOT_APPLICATION].map((app) => `kubectl -n ${this.namespace} patch application ${app} --type merge -p '{"spec":{"syncPolicy":{"automated":{"prune":true,"selfHeal":true}}}}'`);
  }

  constructor(scope: Construct, id: string, props: ArgoCdProps = {}) {
    super(scope, id, props?.namespace ?? 'argocd', { wave: SyncWave.GITOPS });
    // Synthesis does not type-check: each bad prop is reported, and its default used instead.
    props = checkProps<ArgoCdProps>(this, props, ARGOCD_PROPS);
    this.retries = props.syncRetries ?? 10;
    this.repositoryCredentials = this.checkCredentials(props.repositoryCredentials);
    declareSecrets(this);
    this.values = {
      global: {
        domain: `argocd.${this.platform.domain}`,
        image: { tag: PINS.images.argoCd.tag },
        // The chart's own NetworkPolicies (on by default since chart 10) add up with the
        // platform's and widen them: argocd-server accepted every source (`ingress: [{}]`), the
        // metrics ports every namespace. The platform's policies below decide alone.
        networkPolicy: { create: false },
      },
      configs: {
        cm: { 'resource.customizations.health.argoproj.io_Application': APPLICATION_HEALTH_LUA },
        params: { 'server.insecure': false },
      },
      controller: { resources: chartResources('100m', '256Mi', '768Mi') },
      server: { resources: chartResources('25m', '64Mi', '256Mi') },
      repoServer: { resources: chartResources('25m', '96Mi', '384Mi') },
      redis: { resources: chartResources('10m', '32Mi', '96Mi') },
      redisSecretInit: { resources: chartResources('10m', '32Mi', '64Mi') },
      applicationSet: { replicas: 1, resources: chartResources('10m', '32Mi', '128Mi') },
      notifications: { enabled: false },
      dex: { enabled: false },
    };
    this.platform.addHelmRelease(this, {
      name: 'argocd',
      namespace: this.namespace,
      ...ARGO_CD_CHART,
      values: this.values,
      wave: SyncWave.GITOPS,
      // The ApplicationSet CRD (1.4 MB) exceeds the client-side apply annotation limit.
      serverSideApply: true,
    });
    // Ingress only from Argo CD's own pods: nothing routes to argocd-server (the UI and CLI go
    // through `kubectl port-forward`, which NetworkPolicies do not see), no ServiceMonitor scrapes
    // Argo CD's metrics, and Git webhooks are not configured (Argo CD polls). A route or a scrape
    // added later brings its own ingress rule (IngressRoute, addScrapeTarget). Egress: each
    // other, the API server, and Git and Helm repositories outside.
    const pods: PodPeer = { namespace: this.namespace, podLabels: {}, name: 'argocd' };
    const network = NetworkPolicies.of(this);
    network.allow(this, { from: pods, to: pods, ports: [], reason: 'Argo CD components talk to each other' });
    network.allow(this, { from: pods, to: Peers.KUBE_API, ports: KUBE_API_PORTS, reason: 'Argo CD applies and watches every object' });
    network.allow(this, { from: pods, to: Peers.WORLD, ports: [{ port: 443 }, { port: 22 }], reason: 'Git and Helm repositories' });
    declareGitOpsEngine(this.platform.registry, this);
    this.platform.registry.derive(DeriveStages.GITOPS, this, () => this.renderApplications());
  }

  /** The repository Secret's keys (Argo CD's declarative repository format), for the secrets tooling. */
  public get secretReferences(): SecretKeyReference[] {
    const c = this.repositoryCredentials;
    if (!c) return [];
    const url = this.platform.git.repoURL;
    const ref = (key: string, description: string, value?: SecretKeyReference['value']): SecretKeyReference => ({
      namespace: this.namespace, name: c.secret, key, description, value, labels: REPOSITORY_LABEL,
    });
    return [
      ref('type', 'the repository type Argo CD reads', { kind: 'literal', value: 'git' }),
      ref('url', 'the repository the credentials are for (the platform\'s git.repoURL)', { kind: 'literal', value: url }),
      ...(c.kind === 'ssh'
        ? [ref('sshPrivateKey', `private key of a read-only deploy key of ${url} (the whole file: export ARGOCD_REPOSITORY_SSH_PRIVATE_KEY="$(cat KEYFILE)")`, { kind: 'provided', env: 'ARGOCD_REPOSITORY_SSH_PRIVATE_KEY' })]
        : [
          ref('username', 'Git user for the token (any non-empty value for a GitHub token)', { kind: 'provided', env: 'ARGOCD_REPOSITORY_USERNAME' }),
          ref('password', `a read-only access token for ${url}`, { kind: 'provided', env: 'ARGOCD_REPOSITORY_PASSWORD' }),
        ]),
    ];
  }

  private checkCredentials(c: ArgoCdRepositoryCredentials | undefined): Required<ArgoCdRepositoryCredentials> | undefined {
    const v = new PropChecks(this, 'repositoryCredentials.');
    if (c === undefined) return undefined;
    if (!new PropChecks(this).object('repositoryCredentials', c, ['kind', 'secret'])) return undefined;
    const secret = v.string('secret', c.secret, { rule: NameRules.DNS1123_SUBDOMAIN, fix: 'use a Secret name such as "git-repository"' }) ?? 'git-repository';
    if (c.kind !== 'ssh' && c.kind !== 'https') {
      v.report('kind', c.kind, 'is not a kind of repository credentials', 'use "ssh" (a deploy key) or "https" (a token)');
      return undefined;
    }
    const url = this.platform.git.repoURL;
    const ssh = /^(ssh:\/\/|git@)/.test(url);
    if ((c.kind === 'ssh') !== ssh) {
      v.report('kind', c.kind, `does not match git.repoURL ${url}`, c.kind === 'ssh'
        ? 'give the platform the ssh URL (git@host:owner/repo.git) or use kind "https" with a token'
        : 'give the platform the https URL or use kind "ssh" with a deploy key');
    }
    return { kind: c.kind, secret };
  }

  private syncPolicy(options: string[]): ApplicationSpecSyncPolicy {
    return {
      automated: { prune: true, selfHeal: true },
      syncOptions: options,
      retry: { limit: this.retries, backoff: { duration: '15s', factor: 2, maxDuration: '5m' } },
    };
  }

  private labels(component: string): Record<string, string> {
    return {
      'app.kubernetes.io/name': 'argocd',
      'app.kubernetes.io/component': component,
      'app.kubernetes.io/part-of': PART_OF,
      'app.kubernetes.io/managed-by': MANAGED_BY,
    };
  }

  private renderApplications(): void {
    const git = this.platform.git;
    const folders = this.platform.namespaces.filter((c) => c !== this.chart);
    const releases = this.platform.helmReleases;

    new AppProject(this, 'AppsProject', {
      metadata: { name: APPS_PROJECT, labels: this.labels('project'), annotations: { [SYNC_WAVE]: String(SyncWave.GITOPS - 1) } },
      spec: {
        description: 'Namespace folders of dist/: each Application may only touch its own namespace.',
        sourceRepos: [git.repoURL],
        destinations: folders.map((c) => ({ server: IN_CLUSTER, namespace: c.namespaceName })),
        clusterResourceWhitelist: clusterKinds(folders),
      },
    });
    new AppProject(this, 'SystemProject', {
      metadata: { name: SYSTEM_PROJECT, labels: this.labels('project'), annotations: { [SYNC_WAVE]: String(SyncWave.GITOPS - 1) } },
      spec: {
        description: 'Third-party Helm charts (operators with CRDs, cluster roles and webhooks).',
        sourceRepos: [...new Set(releases.map((r) => r.repoURL))].sort(),
        destinations: [...new Set(releases.map((r) => r.namespace))].sort().map((namespace) => ({ server: IN_CLUSTER, namespace })),
        clusterResourceWhitelist: [{ group: '*', kind: '*' }],
      },
    });

    new Application(this, 'Root', {
      metadata: { name: ROOT_APPLICATION, labels: this.labels('root') },
      spec: {
        project: 'default',
        source: { repoUrl: git.repoURL, targetRevision: git.revision, path: `${git.path}/${this.namespace}` },
        destination: { server: IN_CLUSTER, namespace: this.namespace },
        syncPolicy: this.syncPolicy(['CreateNamespace=false']),
      },
    });

    for (const chart of folders) this.folderApplication(chart);
    for (const release of releases) this.helmApplication(release);
  }

  private folderApplication(chart: NamespaceChart): void {
    const git = this.platform.git;
    const ns = chart.namespaceName;
    new Application(this, `Folder-${ns}`, {
      metadata: {
        name: ns,
        labels: this.labels('namespace'),
        annotations: {
          [SYNC_WAVE]: String(chart.wave),
          // Removing a folder that holds data must not prune its Application (and cascade).
          ...(chart.holdsData ? { [SYNC_OPTIONS]: 'Prune=false,Delete=false' } : {}),
        },
        // Without data, deleting the Application deletes what it deployed; with data, it orphans it.
        finalizers: chart.holdsData ? undefined : ['resources-finalizer.argocd.argoproj.io'],
      },
      spec: {
        project: APPS_PROJECT,
        source: { repoUrl: git.repoURL, targetRevision: git.revision, path: `${git.path}/${ns}` },
        destination: { server: IN_CLUSTER, namespace: ns },
        syncPolicy: this.syncPolicy(['CreateNamespace=false', 'PruneLast=true']),
      },
    });
  }

  private helmApplication(release: HelmRelease): void {
    new Application(this, `Helm-${release.name}`, {
      metadata: {
        // Suffixed: a namespace folder may carry the same name as the chart (cert-manager).
        name: `${release.name}-helm`,
        labels: this.labels('helm'),
        annotations: { [SYNC_WAVE]: String(release.wave ?? SyncWave.OPERATORS) },
      },
      spec: {
        project: SYSTEM_PROJECT,
        source: {
          repoUrl: release.repoURL,
          chart: release.chart,
          targetRevision: release.version,
          helm: { releaseName: release.name, valuesObject: release.values },
        },
        destination: { server: IN_CLUSTER, namespace: release.namespace },
        // The namespace chart (a later wave) adopts the namespace and adds its Pod Security labels.
        syncPolicy: this.syncPolicy(['CreateNamespace=true', ...(release.serverSideApply ? ['ServerSideApply=true'] : [])]),
      },
    });
  }
}

function clusterKinds(charts: NamespaceChart[]): Array<{ group: string; kind: string }> {
  const found = new Map<string, { group: string; kind: string }>();
  for (const chart of charts) {
    for (const c of chart.node.findAll()) {
      if (!(c instanceof ApiObject)) continue;
      if (!CLUSTER_SCOPED_KINDS.has(c.kind)) continue;
      const group = apiGroupOf(c.apiVersion);
      found.set(`${group}/${c.kind}`, { group, kind: c.kind });
    }
  }
  return [...found.keys()].sort().map((k) => found.get(k)!);
}
