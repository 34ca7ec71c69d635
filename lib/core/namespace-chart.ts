// The chart of one namespace: its Namespace (Pod Security labels, data protection), the
// default-deny baseline every namespace starts from, and the stable order its objects render in.
import { ApiObject, App, Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { dataProtection, SyncWave } from './annotations';
import { configError } from './errors';
import { allowAnyChildId, MANAGED_BY, PART_OF } from './names';

/** Pod Security Admission levels, most restrictive first. */
export const PodSecurity = {
  RESTRICTED: 'restricted',
  BASELINE: 'baseline',
  PRIVILEGED: 'privileged',
} as const;
export type PodSecurityLevel = (typeof PodSecurity)[keyof typeof PodSecurity];
const PSA_ORDER: PodSecurityLevel[] = ['restricted', 'baseline', 'privileged'];

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

/** Kinds without a namespace that the platform renders. */
export const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set([
  'Namespace', 'ClusterIssuer', 'ClusterRole', 'ClusterRoleBinding', 'StorageClass', 'IngressClass', 'PriorityClass',
  'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding', 'VolumeSnapshotClass', 'VolumeSnapshotContent',
]);

/** `cert-manager.io/v1` -> `cert-manager.io`; the core group (`v1`) is ''. */
export function apiGroupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
}

/** `novahost/novahost.k8s.yaml`: the file of a namespace's chart, relative to the output folder. */
export function manifestFile(namespace: string): string {
  return `${namespace}/${namespace}.k8s.yaml`;
}

/** Labels of the NetworkPolicies the platform renders. */
export const POLICY_LABELS = { 'app.kubernetes.io/part-of': PART_OF, 'app.kubernetes.io/managed-by': MANAGED_BY, 'app.kubernetes.io/component': 'network-policy' };

/**
 * What every namespace starts from: nothing in or out, except DNS. Rendered by each namespace
 * chart, so a namespace with no declared connection is still closed.
 */
function renderBaselinePolicies(scope: Construct): void {
  new k8s.KubeNetworkPolicy(scope, 'DefaultDeny', {
    metadata: { name: 'default-deny', labels: POLICY_LABELS },
    spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
  });
  new k8s.KubeNetworkPolicy(scope, 'Dns', {
    metadata: { name: 'allow-dns', labels: POLICY_LABELS },
    spec: {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
        ports: [{ port: k8s.IntOrString.fromNumber(53), protocol: 'UDP' }, { port: k8s.IntOrString.fromNumber(53), protocol: 'TCP' }],
      }],
    },
  });
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

  constructor(scope: App, name: string) {
    super(scope, name, { namespace: name, disableResourceNameHashes: true });
    allowAnyChildId(this);
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

  /** The API objects of this chart (not of nested charts), in tree order. */
  public ownApiObjects(): ApiObject[] {
    return this.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject && Chart.of(c) === this);
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
    const objects = this.ownApiObjects().map((o) => o.toJson());
    // The chart's namespace is stamped on every object; cluster-scoped ones must not carry it.
    for (const o of objects) if (CLUSTER_SCOPED_KINDS.has(o.kind)) delete o.metadata.namespace;
    return objects.sort((a, b) => {
      const ka = a.kind === 'Namespace' ? '' : a.kind;
      const kb = b.kind === 'Namespace' ? '' : b.kind;
      return ka.localeCompare(kb) || a.metadata.name.localeCompare(b.metadata.name);
    });
  }
}
