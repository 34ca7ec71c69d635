// What the platform runs on: the node the capacity check fits everything onto, and its reserve.

/** Resources of a node, as Kubernetes quantities. */
export interface NodeCapacity {
  readonly cpu: string;
  readonly memory: string;
  /**
   * What k3s needs outside our requests.
   * @default DEFAULT_SYSTEM_RESERVED
   */
  readonly systemReserved?: { readonly cpu: string; readonly memory: string };
}

/**
 * k3s' share of a small single node: its bundled CoreDNS and metrics-server request 100m/70Mi each;
 * the k3s server process (API server, controllers, scheduler and kubelet in one binary, SQLite
 * datastore) and containerd, which request nothing, stay around 500-600 MiB resident on such a
 * node. 250m CPU / 768Mi memory covers both with a little room for API bursts during syncs.
 */
export const DEFAULT_SYSTEM_RESERVED = { cpu: '250m', memory: '768Mi' } as const;

/** The reference installation's node: 2 vCPU / 4 GiB. */
export const DEFAULT_CAPACITY: NodeCapacity = { cpu: '2', memory: '4Gi', systemReserved: DEFAULT_SYSTEM_RESERVED };

/** A group of identical nodes. */
export interface NodePool {
  /** Pool name (`default`); also the prefix of its nodes in the capacity report. */
  readonly name: string;
  /** Nodes the pool runs (the autoscaler's minimum, when it scales). */
  readonly count: number;
  /** What one node offers to pods: the kubelet's allocatable, before system DaemonSets. */
  readonly allocatable: { readonly cpu: string; readonly memory: string };
  /** The provider's size, for the README and cost figures (`s-2vcpu-4gb`). @default - none */
  readonly size?: string;
  /** Autoscaling range, when the pool scales. @default - a fixed size */
  readonly autoscale?: { readonly min: number; readonly max: number };
  /** Monthly price of one node in USD, when known. @default - unknown */
  readonly monthlyUsd?: number;
}

/**
 * Where pods reach the Kubernetes API server, for the egress of pods that need it (controllers,
 * `apiAccess` services). The `kubernetes` Service's address is translated to the API server's own
 * before NetworkPolicies apply, so policies name the API server's addresses and port.
 */
export interface ApiServerAccess {
  /** The API server's addresses (`kubectl get endpointslice -l kubernetes.io/service-name=kubernetes`). */
  readonly cidrs: readonly string[];
  /** Its port after translation: 6443 on k3s, 443 on most managed clusters. */
  readonly ports: readonly number[];
  /**
   * Allow it by Cilium's `kube-apiserver` entity (a CiliumNetworkPolicy) instead of addresses:
   * Cilium gives the API server an identity of its own, which a NetworkPolicy ipBlock does not
   * select. @default false
   */
  readonly ciliumEntity?: boolean;
}

/**
 * The node network of a single private node: the private and carrier-grade NAT ranges, where k3s
 * puts its API server (the node's address) when the node has a private network. A node reached
 * only by a public address must name it (k3sNode's apiServerCidrs).
 */
export const NODE_NETWORK_CIDRS = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'] as const;

/** The cluster's own container registry: where builds push and apps pull (DigitalOcean Container Registry on DOKS). */
export interface ContainerRegistry {
  /** `registry.digitalocean.com/<name>`: the prefix of every image in it. */
  readonly server: string;
  /** dockerconfigjson Secret with push rights, in the builds namespace. */
  readonly pushSecret: string;
  /** How to create it, for the secrets table. */
  readonly pushSecretHowTo: string;
  /** dockerconfigjson Secret with pull rights in each app namespace (the registry's Kubernetes integration creates it). */
  readonly pullSecret: string;
  readonly pullSecretHowTo: string;
}

/** How the ingress controller's Service is exposed on this cluster. */
export interface IngressExposure {
  readonly type: 'LoadBalancer' | 'NodePort' | 'ClusterIP';
  /** Service annotations the provider's load balancer controller reads. */
  readonly annotations: Readonly<Record<string, string>>;
  /**
   * Addresses the ingress controller trusts PROXY protocol headers from (the load balancer's
   * side of the network), when the load balancer sends them. @default - no PROXY protocol
   */
  readonly proxyProtocolTrustedCidrs?: readonly string[];
  /** A hostname the load balancer must answer to, for the DNS records. @default - none */
  readonly hostname?: string;
  /** Monthly price of the load balancer in USD, when known. @default - unknown */
  readonly monthlyUsd?: number;
}

/**
 * What the platform runs on, in one place: nodes (for the capacity check), the StorageClass data
 * volumes use, how the ingress controller is exposed, and how many replicas a routed service gets.
 * Made by ClusterProfiles (lib/cluster/profiles.ts); Platform's `cluster` prop.
 */
export interface ClusterProfile {
  /** `k3s`, `doks` or `managed`. */
  readonly kind: string;
  /** One line for reports (`DigitalOcean Kubernetes, fra1, 3 × s-2vcpu-4gb`). */
  readonly description: string;
  /** The provider's region (`fra1`). @default - none */
  readonly region?: string;
  readonly pools: readonly NodePool[];
  /**
   * What every node spends outside dist/ (the CNI, CSI and monitoring agents of the provider, or
   * k3s itself), subtracted from each node's allocatable.
   */
  readonly nodeReserve: { readonly cpu: string; readonly memory: string };
  /** StorageClass of data volumes (PostgreSQL, Redis, registry, Prometheus). @default - the cluster's default class */
  readonly dataStorageClass?: string;
  /** Smallest volume the provider creates. @default - none */
  readonly minVolumeSize?: string;
  /** The provider's classes that delete a volume with its claim: refused for data. @default [] */
  readonly deletingStorageClasses?: readonly string[];
  /** Monthly price of block storage in USD per GiB, when known. @default - unknown */
  readonly volumeUsdPerGiB?: number;
  readonly ingress: IngressExposure;
  readonly apiServer: ApiServerAccess;
  /**
   * CSI volume snapshots the cluster takes (snapshot.storage.k8s.io CRDs, the snapshot controller
   * and the driver's snapshotter are installed): data constructs schedule snapshots of their
   * volumes (data/volume-snapshots.ts). @default - none (k3s uses Longhorn's recurring jobs)
   */
  readonly volumeSnapshots?: VolumeSnapshotSupport;
  /** The registry builds push to by default. @default - none: builds name their push Secret */
  readonly containerRegistry?: ContainerRegistry;
  /** Replicas of a routed app service unless it says otherwise (1 on a single node, 2 on a pool). */
  readonly defaultReplicas: number;
}

/** What a cluster's CSI driver offers for volume snapshots. */
export interface VolumeSnapshotSupport {
  /** The CSI driver name (`driver` of a VolumeSnapshotClass). */
  readonly driver: string;
  /** Monthly price of snapshot storage in USD per GiB, when known. @default - unknown */
  readonly usdPerGiB?: number;
}

/** How many nodes the profile runs. */
export function nodeCount(cluster: ClusterProfile): number {
  return cluster.pools.reduce((n, p) => n + p.count, 0);
}

/**
 * The single node of a NodeCapacity as a profile: the platform's behaviour before profiles existed
 * (one k3s node, k3s's ServiceLB for the ingress controller, the default StorageClass).
 */
export function singleNodeProfile(capacity: NodeCapacity = DEFAULT_CAPACITY): ClusterProfile {
  return {
    kind: 'k3s',
    description: `one k3s node, ${capacity.cpu} CPU / ${capacity.memory}`,
    pools: [{ name: 'node', count: 1, allocatable: { cpu: capacity.cpu, memory: capacity.memory } }],
    nodeReserve: capacity.systemReserved ?? DEFAULT_SYSTEM_RESERVED,
    ingress: { type: 'LoadBalancer', annotations: {} },
    // k3s serves the API on the node's address, port 6443.
    apiServer: { cidrs: NODE_NETWORK_CIDRS, ports: [6443] },
    defaultReplicas: 1,
  };
}
