// The builds namespace: quota, limits, internet-only egress, the RBAC that lets the build-server
// launch Jobs, and the admission policy that admits only pods shaped like the build template.
import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { cpuMillis, formatCpu, formatMemory, memoryBytes } from '../core/quantity';
import { BUILD_POD_SELECTOR, BuildImages } from './job-spec';
import { buildPodPolicyBindingSpec, buildPodPolicySpec } from './build-pod-policy';
import { configError } from '../core/errors';
import { checkProps } from '../core/prop-schema';
import { reportProblem } from '../core/problems';
import { BUILDS_NAMESPACE_PROPS } from './props-schema';
import { SyncWave } from '../core/annotations';
import { SecretKeyReference } from '../core/handles';
import { checkName, NameRules, standardLabels } from '../core/names';
import { NetworkPolicies, PodPeer, PRIVATE_RANGES } from '../network/network-policies';
import { AppService } from '../apps/novahost-app';
import { NamespacedConstruct } from '../core/platform';
import { DeriveStages } from '../core/registry';
import { PodSecurity } from '../core/namespace-chart';
import { ResourceSpec } from '../core/security';
import { declareSecrets } from '../core/secrets';

/**
 * Private, link-local and loopback ranges, denied to builds. They hold every pod, Service and node
 * address of the cluster (k3s' default pod CIDR 10.42.0.0/16 and Service CIDR 10.43.0.0/16 are
 * inside 10.0.0.0/8) and the cloud metadata endpoint 169.254.169.254.
 */
export const CLUSTER_AND_PRIVATE_RANGES: readonly string[] = PRIVATE_RANGES;

/** An in-cluster service that builds may reach (a registry, an S3 store), by pod selector. */
export interface BuildPeer {
  /** Short DNS-1123 name, used in the NetworkPolicy name (`registry`). */
  readonly name: string;
  readonly namespace: string;
  /** @default {} - every pod of the namespace */
  readonly podLabels?: Record<string, string>;
  /** TCP ports of the pods (not of the Service). */
  readonly ports: number[];
}

export interface BuildsNamespaceProps {
  /** @default 'builds' */
  readonly namespace?: string;
  /**
   * Build pods that may run at once; a further Job waits (its pod is refused by the quota and
   * retried by the Job controller) until one finishes. @default 2
   */
  readonly maxConcurrentBuilds?: number;
  /**
   * Job objects the namespace may hold, finished ones included until their TTL removes them.
   * @default 20
   */
  readonly maxJobs?: number;
  /**
   * One build's share of the node; the quota is `maxConcurrentBuilds` times this, and no build
   * may ask for more. The default leaves a 2 vCPU / 4 GiB node at least 0.5 vCPU and 1.5 GiB
   * with two builds at their limits.
   * @default 250m / 512Mi requested, 750m / 1280Mi limits
   */
  readonly buildResources?: ResourceSpec;
  /** Services allowed to launch builds (e.g. Novahost's build-server, with `apiAccess: true`). @default [] */
  readonly builderClients?: AppService[];
  /**
   * Destinations builds may not reach although they are inside 0.0.0.0/0. Add the node's public
   * address (`203.0.113.10/32`) so a build cannot reach the kubelet or API server through it.
   * @default CLUSTER_AND_PRIVATE_RANGES
   */
  readonly deniedEgressCidrs?: string[];
  /** In-cluster services builds may reach despite the denied ranges. @default [] */
  readonly clusterPeers?: BuildPeer[];
}

const DEFAULT_BUILD_RESOURCES: Required<ResourceSpec> = { cpuRequest: '250m', memoryRequest: '512Mi', cpuLimit: '750m', memoryLimit: '1280Mi' };
const HELPER_LIMITS = { cpu: '250m', memory: '256Mi' };

/** Why the namespace is `privileged`; shown wherever the level is reported. */
export const BUILDS_POD_SECURITY_REASON =
  'rootless BuildKit needs seccomp and AppArmor "Unconfined" (Pod Security baseline forbids both) to create its user and mount ' +
  'namespaces; build containers still run as uid 1000, not privileged, with only SETUID/SETGID kept for newuidmap';

/**
 * The namespace where images are built: its own chart (wave BUILDS), a quota that keeps builds
 * from starving a small node, default-deny networking with egress to DNS and the public internet
 * only, and a namespaced Role that lets the given builder clients launch and watch build Jobs.
 *
 * Pod Security is `privileged` (see BUILDS_POD_SECURITY_REASON). A ValidatingAdmissionPolicy
 * (Kubernetes 1.30+) takes its place: it admits only pods of the build template's shape, with the
 * images of the declared builds and templates (`build-pod-policy.ts`), so a builder client that may
 * create Jobs still cannot run a privileged pod or one with host access.
 */
export class BuildsNamespace extends NamespacedConstruct {
  public readonly maxConcurrentBuilds: number;
  public readonly maxJobs: number;
  /** One build's share, every field resolved. */
  public readonly buildResources: Required<ResourceSpec>;
  public readonly deniedEgressCidrs: readonly string[];
  /** ServiceAccount the build pods run as (no token, no RBAC). */
  public readonly runnerServiceAccountName = 'build-runner';
  /** The Role bound to the builder clients. */
  public readonly launcherRoleName = 'build-launcher';
  /** The cluster-scoped ValidatingAdmissionPolicy (and its binding) that admits build pods. */
  public readonly podPolicyName: string;

  private readonly clients = new Map<string, AppService>();
  private readonly templates = new Set<string>();
  private readonly images = { all: new Set<string>(), builders: new Set<string>() };
  private readonly secretRefs = new Map<string, SecretKeyReference>();

  constructor(scope: Construct, id: string, props: BuildsNamespaceProps = {}) {
    super(scope, id, props?.namespace ?? 'builds', {
      wave: SyncWave.BUILDS,
      podSecurity: PodSecurity.PRIVILEGED,
      podSecurityReason: BUILDS_POD_SECURITY_REASON,
    });
    // Synthesis does not type-check: each bad prop is reported, and its default used instead.
    props = checkProps<BuildsNamespaceProps>(this, props, BUILDS_NAMESPACE_PROPS);
    declareSecrets(this);
    this.maxConcurrentBuilds = positiveInteger(this, 'maxConcurrentBuilds', props.maxConcurrentBuilds ?? 2, 'use 1 or 2 on a 2 vCPU / 4 GiB node');
    this.maxJobs = positiveInteger(this, 'maxJobs', props.maxJobs ?? 20, 'use a number at least maxConcurrentBuilds');
    if (this.maxJobs < this.maxConcurrentBuilds) {
      reportProblem(this, { field: 'maxJobs', value: this.maxJobs, problem: `is below maxConcurrentBuilds (${this.maxConcurrentBuilds})`, fix: 'raise maxJobs' });
    }
    this.buildResources = { ...DEFAULT_BUILD_RESOURCES, ...props.buildResources };
    this.checkBuildResources();
    this.deniedEgressCidrs = [...(props.deniedEgressCidrs ?? CLUSTER_AND_PRIVATE_RANGES)];
    for (const svc of props.builderClients ?? []) this.addBuilderClient(svc);
    this.podPolicyName = `${this.namespace}-build-pods`;
    checkName(this, 'podPolicyName', this.podPolicyName, NameRules.DNS1123_SUBDOMAIN);

    const labels = standardLabels({ name: 'novahost-build', instance: this.namespace, component: 'builds' });
    new k8s.KubeServiceAccount(this, 'RunnerServiceAccount', {
      metadata: { name: this.runnerServiceAccountName, labels },
      automountServiceAccountToken: false,
    });
    this.renderQuota(labels);
    this.allowTraffic(props.clusterPeers ?? []);
    // Clients and templates may be added after the constructor; the Role and binding see them all.
    this.platform.registry.derive(DeriveStages.SERVERS, this, () => this.renderRbac(labels));
    this.platform.registry.derive(DeriveStages.SERVERS, this, () => this.renderPodPolicy(labels));
  }

  /** Records the images of a build or template; the admission policy admits exactly these. */
  public addBuildImages(images: Required<BuildImages>): void {
    for (const image of Object.values(images)) this.images.all.add(image);
    this.images.builders.add(images.buildkit);
  }

  /** Lets a service's ServiceAccount launch, watch and delete build Jobs in this namespace. */
  public addBuilderClient(svc: AppService): void {
    this.clients.set(`${svc.namespace}/${svc.serviceAccountName}`, svc);
  }

  /** Services that may launch builds, sorted. */
  public get builderClients(): AppService[] {
    return [...this.clients.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, s]) => s);
  }

  /** Every Secret key that build pods read, for the bootstrap instructions. */
  public get secretReferences(): SecretKeyReference[] {
    return [...this.secretRefs.values()].sort((a, b) => `${a.name}/${a.key}`.localeCompare(`${b.name}/${b.key}`));
  }

  /** Records a Secret key a build reads; called by BuildJob and BuildJobTemplate. */
  public addSecretReference(ref: Omit<SecretKeyReference, 'namespace'>): void {
    this.secretRefs.set(`${ref.name}/${ref.key}`, { namespace: this.namespace, ...ref });
  }

  /** Makes a template ConfigMap readable by the builder clients; called by BuildJobTemplate. */
  public addTemplateConfigMap(name: string): void {
    this.templates.add(name);
  }

  private checkBuildResources(): void {
    const r = this.buildResources;
    const field = (f: string) => `buildResources.${f}`;
    const cpuReq = cpuMillis(this, field('cpuRequest'), r.cpuRequest);
    const cpuLim = cpuMillis(this, field('cpuLimit'), r.cpuLimit);
    const memReq = memoryBytes(this, field('memoryRequest'), r.memoryRequest);
    const memLim = memoryBytes(this, field('memoryLimit'), r.memoryLimit);
    if (cpuReq > cpuLim) throw configError(this, { field: field('cpuRequest'), value: r.cpuRequest, problem: `is above cpuLimit ${r.cpuLimit}`, fix: 'lower the request or raise the limit' });
    if (memReq > memLim) throw configError(this, { field: field('memoryRequest'), value: r.memoryRequest, problem: `is above memoryLimit ${r.memoryLimit}`, fix: 'lower the request or raise the limit' });
    // The quota counts a pod at its largest container; the helpers must never be that container.
    if (cpuLim < cpuMillis(this, 'helper', HELPER_LIMITS.cpu) || memLim < memoryBytes(this, 'helper', HELPER_LIMITS.memory)) {
      throw configError(this, {
        field: 'buildResources',
        value: r,
        problem: `is smaller than the clone and upload steps' limits (${HELPER_LIMITS.cpu} CPU, ${HELPER_LIMITS.memory})`,
        fix: `give a build at least ${HELPER_LIMITS.cpu} CPU and ${HELPER_LIMITS.memory} of memory as limits`,
      });
    }
  }

  private renderQuota(labels: Record<string, string>): void {
    const n = this.maxConcurrentBuilds;
    const r = this.buildResources;
    const q = k8s.Quantity.fromString;
    new k8s.KubeResourceQuota(this, 'Quota', {
      metadata: { name: 'builds', labels },
      spec: {
        hard: {
          // Pods in a terminal phase do not count: this is the number of builds running at once.
          'pods': q(String(n)),
          'count/jobs.batch': q(String(this.maxJobs)),
          'requests.cpu': q(formatCpu(n * cpuMillis(this, 'cpuRequest', r.cpuRequest))),
          'limits.cpu': q(formatCpu(n * cpuMillis(this, 'cpuLimit', r.cpuLimit))),
          'requests.memory': q(formatMemory(n * memoryBytes(this, 'memoryRequest', r.memoryRequest))),
          'limits.memory': q(formatMemory(n * memoryBytes(this, 'memoryLimit', r.memoryLimit))),
        },
      },
    });
    new k8s.KubeLimitRange(this, 'LimitRange', {
      metadata: { name: 'builds', labels },
      spec: {
        limits: [{
          type: 'Container',
          // For a container that sets nothing (a Job the build-server edited by hand): small, and
          // within the quota, which otherwise refuses a pod without requests and limits.
          default: { cpu: q(HELPER_LIMITS.cpu), memory: q(HELPER_LIMITS.memory) },
          defaultRequest: { cpu: q('50m'), memory: q('64Mi') },
          max: { cpu: q(r.cpuLimit), memory: q(r.memoryLimit) },
        }],
      },
    });
  }

  /**
   * Default-deny and DNS come from every namespace chart; builds add egress to the public internet
   * (all ports: registries and package mirrors use more than 443) and to the declared in-cluster
   * peers, whose namespaces then admit the builds' traffic too.
   */
  private allowTraffic(peers: BuildPeer[]): void {
    const network = NetworkPolicies.of(this);
    const builds: PodPeer = { namespace: this.namespace, podLabels: BUILD_POD_SELECTOR, name: 'build' };
    network.allow(this, {
      from: builds,
      to: { cidr: '0.0.0.0/0', except: [...this.deniedEgressCidrs], name: 'internet' },
      ports: [],
      reason: 'builds fetch sources, base images and packages, and push images, over the public internet',
    });
    const seen = new Set<string>();
    for (const p of peers) {
      checkName(this, 'clusterPeers.name', p.name, NameRules.DNS1123_LABEL);
      checkName(this, `clusterPeers.${p.name}.namespace`, p.namespace, NameRules.DNS1123_LABEL);
      if (seen.has(p.name)) throw configError(this, { field: 'clusterPeers.name', value: p.name, problem: 'is declared twice', fix: 'give each peer its own name' });
      seen.add(p.name);
      if (!p.ports?.length || p.ports.some((port) => !Number.isInteger(port) || port < 1 || port > 65535)) {
        throw configError(this, { field: `clusterPeers.${p.name}.ports`, value: p.ports, problem: 'is not a list of TCP ports', fix: 'list the ports the pods listen on, e.g. [5000]' });
      }
      network.allow(this, {
        from: builds,
        to: { namespace: p.namespace, podLabels: p.podLabels ?? {}, name: p.name },
        ports: p.ports.map((port) => ({ port })),
        reason: `builds reach ${p.name} in ${p.namespace}`,
      });
    }
  }

  /**
   * Cluster-scoped (a policy cannot live in a namespace), bound to this namespace only. Without a
   * declared build or template the image list is empty and no pod is admitted.
   */
  private renderPodPolicy(labels: Record<string, string>): void {
    const sorted = (set: Set<string>) => [...set].sort();
    new ApiObject(this, 'PodPolicy', {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: this.podPolicyName, labels },
      spec: buildPodPolicySpec({
        namespace: this.namespace,
        serviceAccountName: this.runnerServiceAccountName,
        images: sorted(this.images.all),
        builderImages: sorted(this.images.builders),
      }),
    });
    new ApiObject(this, 'PodPolicyBinding', {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: this.podPolicyName, labels },
      spec: buildPodPolicyBindingSpec(this.podPolicyName, this.namespace),
    });
  }

  private renderRbac(labels: Record<string, string>): void {
    const templates = [...this.templates].sort();
    new k8s.KubeRole(this, 'LauncherRole', {
      metadata: { name: this.launcherRoleName, labels },
      rules: [
        { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'delete', 'get', 'list', 'watch'] },
        { apiGroups: [''], resources: ['pods'], verbs: ['delete', 'get', 'list', 'watch'] },
        { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
        ...(templates.length ? [{ apiGroups: [''], resources: ['configmaps'], resourceNames: templates, verbs: ['get'] }] : []),
      ],
    });
    const clients = this.builderClients;
    if (clients.length === 0) return;
    new k8s.KubeRoleBinding(this, 'LauncherRoleBinding', {
      metadata: { name: this.launcherRoleName, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: this.launcherRoleName },
      subjects: clients.map((s) => ({ kind: 'ServiceAccount', name: s.serviceAccountName, namespace: s.namespace })),
    });
  }
}

function positiveInteger(scope: Construct, field: string, value: number, fix: string): number {
  if (!Number.isInteger(value) || value < 1) throw configError(scope, { field, value, problem: 'is not a whole number ≥ 1', fix });
  return value;
}
