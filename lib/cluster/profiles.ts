// Cluster profiles: what the platform runs on (a single k3s node, DigitalOcean Kubernetes with
// node pools, a generic managed cluster), with each provider's facts in one place.
import {
  ApiServerAccess, ClusterProfile, ContainerRegistry, DEFAULT_SYSTEM_RESERVED, IngressExposure, NODE_NETWORK_CIDRS, NodePool, singleNodeProfile,
} from '../core/cluster';
import { configError } from '../core/errors';
import { checkName, NameRules } from '../core/names';
import { cpuMillis, memoryBytes } from '../core/quantity';
import { checkProps, Rule, Rules, ShapeOf } from '../core/prop-schema';
import { PropChecks, IPV4_CIDR } from '../core/validate';

/** A node's resources for pods, as Kubernetes quantities. */
export interface NodeResources {
  readonly cpu: string;
  readonly memory: string;
}

/**
 * DigitalOcean facts the DOKS profile uses. The load balancer annotations are those the
 * DigitalOcean cloud controller manager documents (docs/controllers/services/annotations.md); the
 * StorageClass names are the block storage CSI driver's as DOKS installs them. Allocatable memory
 * per size and the prices follow DigitalOcean's published figures as recorded here, not read off a
 * live cluster: check a node with `kubectl get nodes -o custom-columns=NAME:.metadata.name,CPU:.status.allocatable.cpu,MEM:.status.allocatable.memory`
 * and pass `allocatable` explicitly when it differs (the capacity check is only as right as this).
 */
export const DigitalOcean = {
  /** Basic (shared CPU) sizes: allocatable for pods and the list price per node and month. */
  SIZES: {
    's-1vcpu-2gb': { cpu: '1', memory: '1Gi', monthlyUsd: 12 },
    's-2vcpu-2gb': { cpu: '2', memory: '1Gi', monthlyUsd: 18 },
    's-2vcpu-4gb': { cpu: '2', memory: '2560Mi', monthlyUsd: 24 },
    's-4vcpu-8gb': { cpu: '4', memory: '6Gi', monthlyUsd: 48 },
    's-8vcpu-16gb': { cpu: '8', memory: '13Gi', monthlyUsd: 96 },
  } as Record<string, NodeResources & { monthlyUsd: number }>,
  /** The block storage StorageClass that keeps the volume when its claim is deleted (reclaimPolicy Retain). */
  RETAINED_STORAGE_CLASS: 'do-block-storage-retain',
  /** The default class deletes the volume with its claim: never for data. */
  DELETING_STORAGE_CLASS: 'do-block-storage',
  /**
   * The block storage CSI driver (csi-digitalocean driver/driver.go DefaultDriverName). Its release
   * manifests (deploy/kubernetes/releases/csi-digitalocean-v4.9.0: crds.yaml, snapshot-controller.yaml,
   * driver.yaml) install the snapshot.storage.k8s.io v1 CRDs, the snapshot controller and a default
   * VolumeSnapshotClass `do-block-storage` with deletionPolicy Delete; DigitalOcean's "How to Create
   * Volume Snapshots in Kubernetes Clusters" creates VolumeSnapshots on DOKS without installing any.
   * CreateSnapshot answers once DigitalOcean has taken the snapshot (readyToUse true), and the
   * snapshot handle is the DigitalOcean snapshot id (driver/controller.go toCSISnapshot). Check a
   * cluster with `kubectl get volumesnapshotclass`.
   */
  CSI_DRIVER: 'dobs.csi.digitalocean.com',
  /** DigitalOcean's list price of volume snapshots per GiB and month, as recorded here. */
  SNAPSHOT_USD_PER_GIB: 0.06,
  /** DigitalOcean creates no volume below 1 GiB. */
  MIN_VOLUME_SIZE: '1Gi',
  VOLUME_USD_PER_GIB: 0.1,
  /** Load balancer price per size unit and month. */
  LOAD_BALANCER_USD_PER_UNIT: 12,
  /** Service annotations of the DigitalOcean cloud controller manager. */
  Annotations: {
    NAME: 'service.beta.kubernetes.io/do-loadbalancer-name',
    SIZE_UNIT: 'service.beta.kubernetes.io/do-loadbalancer-size-unit',
    PROXY_PROTOCOL: 'service.beta.kubernetes.io/do-loadbalancer-enable-proxy-protocol',
    /**
     * The load balancer is published by hostname instead of IP, so kube-proxy does not route
     * in-cluster requests to its address straight to the nodes (which would skip the PROXY
     * header and break cert-manager's HTTP-01 self-check).
     */
    HOSTNAME: 'service.beta.kubernetes.io/do-loadbalancer-hostname',
    HEALTHCHECK_PROTOCOL: 'service.beta.kubernetes.io/do-loadbalancer-healthcheck-protocol',
    HEALTHCHECK_PORT: 'service.beta.kubernetes.io/do-loadbalancer-healthcheck-port',
  },
  /**
   * Pods on every DOKS node outside dist/ (Cilium, the CSI node plugin, the DigitalOcean and
   * konnectivity agents) and the cluster's CoreDNS share: an estimate, counted per node.
   */
  NODE_RESERVE: { cpu: '300m', memory: '512Mi' },
  /** Spaces, DigitalOcean's S3-compatible storage, in a region (`fra1`). */
  spacesEndpoint(region: string): string {
    return `https://${region}.digitaloceanspaces.com`;
  },
} as const;

/** A DOKS node pool. */
export interface DoksPool {
  /** Pool name (DNS-1123 label). @default 'default' */
  readonly name?: string;
  /** A Basic size slug from DigitalOcean.SIZES, or explicit allocatable resources. */
  readonly size: string | NodeResources;
  /** Nodes in the pool (the autoscaler's minimum when it scales). */
  readonly count: number;
  /** Autoscaling range. @default - a fixed size */
  readonly autoscale?: { readonly min: number; readonly max: number };
}

export interface DoksProps {
  /** Region slug, e.g. `fra1`. */
  readonly region: string;
  readonly pools: readonly DoksPool[];
  /** The ingress load balancer. @default - named after the platform's domain, one size unit, PROXY protocol on */
  readonly loadBalancer?: {
    /** @default 'ingress' */
    readonly name?: string;
    /** @default 1 */
    readonly sizeUnit?: number;
    /** Host the load balancer is published as; a DNS record must point it at the LB. */
    readonly hostname: string;
    /** @default true */
    readonly proxyProtocol?: boolean;
    /** Addresses PROXY headers are trusted from: the cluster's VPC. @default ['10.0.0.0/8'] */
    readonly trustedCidrs?: readonly string[];
  };
  /** @default DigitalOcean.NODE_RESERVE */
  readonly nodeReserve?: NodeResources;
  /**
   * Name of the DigitalOcean Container Registry builds push to and apps pull from (integrated
   * with the cluster: `doctl kubernetes cluster registry add <cluster>`). @default - none
   */
  readonly containerRegistry?: string;
}

export interface ManagedClusterProps {
  readonly pools: ReadonlyArray<{ readonly name: string; readonly count: number; readonly allocatable: NodeResources }>;
  /** A StorageClass with reclaimPolicy Retain. */
  readonly dataStorageClass: string;
  /** Where pods reach the API server (its endpoint addresses and port). */
  readonly apiServer: ApiServerAccess;
  /** @default { type: 'LoadBalancer', annotations: {} } */
  readonly ingress?: IngressExposure;
  /** @default DEFAULT_SYSTEM_RESERVED (250m / 768Mi) */
  readonly nodeReserve?: NodeResources;
}

const resources = (fix: string) => Rules.object<NodeResources>({
  cpu: Rules.required(Rules.quantity('cpu'), '1', fix),
  memory: Rules.required(Rules.quantity('memory'), '1Gi', fix),
});
const NODE = 'give what the node offers pods, e.g. { cpu: "2", memory: "4Gi" }';
/** Node counts, worded as before the schema (`npm run init` shows the message as an option's). */
const count: Rule<number> = (v, field, value) => {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 512) return value;
  v.report(field, value, typeof value === 'number' ? 'is not a node count from 1 to 512' : `is ${value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`}, not a number`, 'use e.g. 3');
  return undefined;
};

const K3S_NODE_PROPS = {
  cpu: Rules.required(Rules.quantity('cpu'), '2', NODE),
  memory: Rules.required(Rules.quantity('memory'), '4Gi', NODE),
  reserve: resources('give the reserve as { cpu, memory }'),
  apiServerCidrs: Rules.array(Rules.pattern(IPV4_CIDR, 'an IPv4 CIDR', 'use the node address, e.g. "203.0.113.10/32"'), { nonEmpty: true }),
} satisfies ShapeOf<K3sNodeProps>;

const DOKS_PROPS = {
  region: Rules.required(Rules.pattern(/^[a-z]{3}[0-9]$/, 'a DigitalOcean region slug', 'use e.g. "fra1", "ams3" or "nyc3"'), 'fra1', 'give the region slug, e.g. "fra1"'),
  pools: Rules.required(Rules.array(Rules.object<DoksPool>({
    name: Rules.name(NameRules.DNS1123_LABEL),
    size: Rules.required((v, field, value) => {
      if (typeof value === 'object') return resources(NODE)(v, field, value);
      if (typeof value === 'string' && Object.prototype.hasOwnProperty.call(DigitalOcean.SIZES, value)) return value;
      v.report(field, value, 'is not a size whose allocatable resources the platform knows',
        `use one of ${Object.keys(DigitalOcean.SIZES).join(', ')}, or pass { cpu, memory } as kubectl shows the node's allocatable`);
      return undefined;
    }, 's-2vcpu-4gb', "give a size slug such as 's-2vcpu-4gb', or { cpu, memory }"),
    count: Rules.required(count, 1, 'give the number of nodes, e.g. 3'),
    autoscale: Rules.object({ min: Rules.required(count, 1, 'give min and max'), max: Rules.required(count, 1, 'give min and max') }),
  }, true), { nonEmpty: true }), [{ size: 's-2vcpu-4gb', count: 1 }], "add a pool, e.g. { size: 's-2vcpu-4gb', count: 3 }"),
  loadBalancer: Rules.object<NonNullable<DoksProps['loadBalancer']>>({
    name: Rules.name(NameRules.DNS1123_LABEL),
    sizeUnit: Rules.integer(1, 100, 'use 1 for a small platform'),
    hostname: Rules.required(Rules.name(NameRules.HOSTNAME, 'use the host a DNS record points at the load balancer, e.g. "ingress.example.com"'), 'ingress.invalid.example',
      'pass the host a DNS record points at the load balancer, e.g. "ingress.example.com"'),
    proxyProtocol: Rules.boolean(),
    trustedCidrs: Rules.array(Rules.pattern(IPV4_CIDR, 'an IPv4 CIDR', 'use the VPC range, e.g. "10.0.0.0/8"')),
  }),
  nodeReserve: resources('give the reserve as { cpu, memory }'),
  containerRegistry: Rules.pattern(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/, 'a DigitalOcean Container Registry name', 'use the name `doctl registry get` shows, e.g. "novahost"'),
} satisfies ShapeOf<DoksProps>;

const MANAGED_PROPS = {
  pools: Rules.required(Rules.array(Rules.object({
    name: Rules.required(Rules.name(NameRules.DNS1123_LABEL), 'pool', 'name the pool'),
    count: Rules.required(count, 1, 'give the number of nodes'),
    allocatable: Rules.required(resources(NODE), { cpu: '1', memory: '1Gi' }, NODE),
  }, true), { nonEmpty: true }), [{ name: 'pool', count: 1, allocatable: { cpu: '1', memory: '1Gi' } }], 'list the node pools with their allocatable resources'),
  dataStorageClass: Rules.required(Rules.name(NameRules.DNS1123_SUBDOMAIN), 'invalid', 'name a StorageClass with reclaimPolicy Retain'),
  ingress: Rules.object<IngressExposure>({
    type: Rules.required(Rules.oneOf(['LoadBalancer', 'NodePort', 'ClusterIP'] as const), 'LoadBalancer', 'use "LoadBalancer", "NodePort" or "ClusterIP"'),
    annotations: Rules.required(Rules.record(Rules.string()), {}, 'give the Service annotations (or {})'),
    proxyProtocolTrustedCidrs: Rules.array(Rules.pattern(IPV4_CIDR, 'an IPv4 CIDR', 'use the load balancer network, e.g. "10.0.0.0/8"')),
    hostname: Rules.name(NameRules.HOSTNAME),
    monthlyUsd: Rules.number(0, 1e6, 'give the monthly price in USD'),
  }),
  nodeReserve: resources('give the reserve as { cpu, memory }'),
  apiServer: Rules.required(Rules.object<ApiServerAccess>({
    cidrs: Rules.required(Rules.array(Rules.pattern(IPV4_CIDR, 'an IPv4 CIDR', 'use the API server endpoint addresses, e.g. "10.0.0.1/32"')), [], 'list the API server addresses (kubectl get endpointslice -l kubernetes.io/service-name=kubernetes)'),
    ports: Rules.required(Rules.array(Rules.port(), { nonEmpty: true }), [443], 'give the port, e.g. [443]'),
    ciliumEntity: Rules.boolean(),
  }), { cidrs: [], ports: [443] }, 'say where pods reach the API server: { cidrs: [...], ports: [443] }'),
} satisfies ShapeOf<ManagedClusterProps>;

/** Props of a profile, checked at run time before any construct exists: every problem thrown at once. */
function checked<T>(profile: string, props: unknown, shape: ShapeOf<T>): T {
  const v = new PropChecks('cluster');
  const out = checkProps<T>(v, props, shape, profile);
  v.throwIfProblems();
  return out;
}

/** A k3s node's props. */
export interface K3sNodeProps {
  readonly cpu: string;
  readonly memory: string;
  /** @default DEFAULT_SYSTEM_RESERVED */
  readonly reserve?: NodeResources;
  /** The node's address(es) the API server listens on. @default NODE_NETWORK_CIDRS (a private node) */
  readonly apiServerCidrs?: readonly string[];
}

/** What the platform may run on. */
export const ClusterProfiles = {
  /** One k3s node with its own reserve (k3s' processes and bundled add-ons). */
  k3sNode(props: K3sNodeProps = { cpu: '2', memory: '4Gi' }): ClusterProfile {
    props = checked<K3sNodeProps>('k3sNode', props, K3S_NODE_PROPS);
    const apiServerCidrs = props.apiServerCidrs ?? NODE_NETWORK_CIDRS;
    apiServerCidrs.forEach((c, i) => checkCidr(`k3sNode.apiServerCidrs[${i}]`, c));
    const node = singleNodeProfile({ cpu: props.cpu, memory: props.memory, systemReserved: props.reserve ?? DEFAULT_SYSTEM_RESERVED });
    return { ...node, apiServer: { ...node.apiServer, cidrs: apiServerCidrs } };
  },

  /** DigitalOcean Kubernetes: node pools, retained block storage, a DigitalOcean load balancer. */
  doks(props: DoksProps): ClusterProfile {
    props = checked<DoksProps>('doks', props, DOKS_PROPS);
    if (!/^[a-z]{3}[0-9]$/.test(props.region ?? '')) {
      throw configError('cluster', { field: 'doks.region', value: props.region, problem: 'is not a DigitalOcean region slug', fix: 'use e.g. "fra1", "ams3" or "nyc3"' });
    }
    if (!props.pools?.length) {
      throw configError('cluster', { field: 'doks.pools', value: props.pools, problem: 'lists no node pool', fix: "add one, e.g. { size: 's-2vcpu-4gb', count: 3 }" });
    }
    const pools: NodePool[] = props.pools.map((p, i) => doksPool(p, i));
    const lb = props.loadBalancer;
    const proxy = lb?.proxyProtocol ?? true;
    const sizeUnit = lb?.sizeUnit ?? 1;
    if (!Number.isInteger(sizeUnit) || sizeUnit < 1 || sizeUnit > 100) {
      throw configError('cluster', { field: 'doks.loadBalancer.sizeUnit', value: sizeUnit, problem: 'is not a whole number from 1 to 100', fix: 'use 1 for a small platform' });
    }
    if (proxy && !lb?.hostname) {
      throw configError('cluster', {
        field: 'doks.loadBalancer.hostname',
        value: undefined,
        problem: 'is required with PROXY protocol: without it in-cluster requests to the load balancer (cert-manager\'s HTTP-01 self-check) skip the PROXY header and fail',
        fix: 'pass the host a DNS record points at the load balancer, e.g. "ingress.example.com"',
      });
    }
    if (lb?.hostname) checkName('cluster', 'doks.loadBalancer.hostname', lb.hostname, NameRules.HOSTNAME);
    const A = DigitalOcean.Annotations;
    const nodes = pools.reduce((n, p) => n + p.count, 0);
    return {
      kind: 'doks',
      region: props.region,
      description: `DigitalOcean Kubernetes in ${props.region}, ${pools.map((p) => `${p.count} × ${p.size ?? `${p.allocatable.cpu} CPU / ${p.allocatable.memory}`}`).join(' + ')}`,
      pools,
      nodeReserve: props.nodeReserve ?? DigitalOcean.NODE_RESERVE,
      dataStorageClass: DigitalOcean.RETAINED_STORAGE_CLASS,
      minVolumeSize: DigitalOcean.MIN_VOLUME_SIZE,
      deletingStorageClasses: [DigitalOcean.DELETING_STORAGE_CLASS, 'do-block-storage-xfs'],
      volumeUsdPerGiB: DigitalOcean.VOLUME_USD_PER_GIB,
      volumeSnapshots: { driver: DigitalOcean.CSI_DRIVER, usdPerGiB: DigitalOcean.SNAPSHOT_USD_PER_GIB },
      ingress: {
        type: 'LoadBalancer',
        annotations: {
          [A.NAME]: checkName('cluster', 'doks.loadBalancer.name', lb?.name ?? 'ingress', NameRules.DNS1123_LABEL),
          [A.SIZE_UNIT]: String(sizeUnit),
          // TCP on the HTTP entrypoint: PROXY protocol would make an HTTP check fail.
          [A.HEALTHCHECK_PROTOCOL]: 'tcp',
          [A.HEALTHCHECK_PORT]: '80',
          ...(proxy ? { [A.PROXY_PROTOCOL]: 'true' } : {}),
          ...(lb?.hostname ? { [A.HOSTNAME]: lb.hostname } : {}),
        },
        proxyProtocolTrustedCidrs: proxy ? lb?.trustedCidrs ?? ['10.0.0.0/8'] : undefined,
        hostname: lb?.hostname,
        monthlyUsd: sizeUnit * DigitalOcean.LOAD_BALANCER_USD_PER_UNIT,
      },
      // DOKS runs Cilium: the managed control plane is the `kube-apiserver` entity, on 443.
      apiServer: { cidrs: [], ports: [443], ciliumEntity: true },
      containerRegistry: props.containerRegistry === undefined ? undefined : docr(props.containerRegistry),
      defaultReplicas: nodes > 1 ? 2 : 1,
    };
  },

  /** Any other managed cluster: say what its nodes offer and which StorageClass retains volumes. */
  managed(props: ManagedClusterProps): ClusterProfile {
    props = checked<ManagedClusterProps>('managed', props, MANAGED_PROPS);
    props.pools.forEach((p, i) => {
      checkName('cluster', `managed.pools[${i}].name`, p.name, NameRules.DNS1123_LABEL);
      checkCount(`managed.pools[${i}].count`, p.count);
      checkResources('cluster', `managed.pools[${i}].allocatable`, p.allocatable);
    });
    checkName('cluster', 'managed.dataStorageClass', props.dataStorageClass, NameRules.DNS1123_SUBDOMAIN);
    const nodes = props.pools.reduce((n, p) => n + p.count, 0);
    return {
      kind: 'managed',
      description: `a managed cluster, ${props.pools.map((p) => `${p.count} × ${p.allocatable.cpu} CPU / ${p.allocatable.memory}`).join(' + ')}`,
      pools: props.pools.map((p) => ({ name: p.name, count: p.count, allocatable: p.allocatable })),
      nodeReserve: props.nodeReserve ?? DEFAULT_SYSTEM_RESERVED,
      dataStorageClass: props.dataStorageClass,
      ingress: props.ingress ?? { type: 'LoadBalancer', annotations: {} },
      apiServer: checkApiServer(props.apiServer),
      defaultReplicas: nodes > 1 ? 2 : 1,
    };
  },
} as const;

/** DigitalOcean Container Registry: the registry's Kubernetes integration creates `registry-<name>` (read) in every namespace. */
function docr(name: string): ContainerRegistry {
  if (!/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(name ?? '')) {
    throw configError('cluster', { field: 'doks.containerRegistry', value: name, problem: 'is not a DigitalOcean Container Registry name', fix: 'use the name `doctl registry get` shows, e.g. "novahost"' });
  }
  return {
    server: `registry.digitalocean.com/${name}`,
    pushSecret: 'docr-push',
    pushSecretHowTo: `push login for registry.digitalocean.com/${name}: \`doctl registry docker-config --read-write ${name}\` prints it`,
    pullSecret: `registry-${name}`,
    pullSecretHowTo: `pull login for registry.digitalocean.com/${name}; the registry's Kubernetes integration creates it in every namespace (\`doctl kubernetes cluster registry add <cluster>\`)`,
  };
}

function doksPool(p: DoksPool, i: number): NodePool {
  const field = `doks.pools[${i}]`;
  const name = checkName('cluster', `${field}.name`, p.name ?? (i === 0 ? 'default' : `pool-${i + 1}`), NameRules.DNS1123_LABEL);
  checkCount(`${field}.count`, p.count);
  if (p.autoscale && !(Number.isInteger(p.autoscale.min) && Number.isInteger(p.autoscale.max) && p.autoscale.min >= 1 && p.autoscale.min <= p.count && p.count <= p.autoscale.max)) {
    throw configError('cluster', { field: `${field}.autoscale`, value: p.autoscale, problem: `is not a range min <= count (${p.count}) <= max with min >= 1`, fix: 'use e.g. { min: 2, max: 5 } with count 2' });
  }
  if (typeof p.size === 'string') {
    const size = DigitalOcean.SIZES[p.size];
    if (!size) {
      throw configError('cluster', {
        field: `${field}.size`,
        value: p.size,
        problem: 'is not a size whose allocatable resources the platform knows',
        fix: `use one of ${Object.keys(DigitalOcean.SIZES).join(', ')}, or pass { cpu, memory } as kubectl shows the node's allocatable`,
      });
    }
    return { name, count: p.count, size: p.size, allocatable: { cpu: size.cpu, memory: size.memory }, autoscale: p.autoscale, monthlyUsd: size.monthlyUsd };
  }
  checkResources('cluster', `${field}.size`, p.size);
  return { name, count: p.count, allocatable: { cpu: p.size.cpu, memory: p.size.memory }, autoscale: p.autoscale };
}


function checkCidr(field: string, cidr: string): void {
  if (typeof cidr !== 'string' || !IPV4_CIDR.test(cidr) || cidr.endsWith('/0')) {
    throw configError('cluster', { field, value: cidr, problem: 'is not an IPv4 CIDR narrower than /0', fix: 'use the API server\'s address, e.g. "203.0.113.10/32"' });
  }
}

function checkApiServer(a: ApiServerAccess): ApiServerAccess {
  if (!a?.ciliumEntity && !a?.cidrs?.length) {
    throw configError('cluster', {
      field: 'managed.apiServer.cidrs', value: a?.cidrs, problem: 'names no address of the API server',
      fix: "record them: kubectl get endpointslice -l kubernetes.io/service-name=kubernetes -o jsonpath='{..addresses}'",
    });
  }
  (a.cidrs ?? []).forEach((c, i) => checkCidr(`managed.apiServer.cidrs[${i}]`, c));
  for (const p of a.ports ?? []) {
    if (!Number.isInteger(p) || p < 1 || p > 65535) throw configError('cluster', { field: 'managed.apiServer.ports', value: p, problem: 'is not a TCP port', fix: 'use e.g. 443' });
  }
  return { cidrs: a.cidrs ?? [], ports: a.ports?.length ? a.ports : [443], ciliumEntity: a.ciliumEntity };
}

function checkCount(field: string, count: number): void {
  if (!Number.isInteger(count) || count < 1 || count > 512) {
    throw configError('cluster', { field, value: count, problem: 'is not a node count from 1 to 512', fix: 'use e.g. 3' });
  }
}

function checkResources(scope: string, field: string, r: NodeResources): void {
  cpuMillis(scope, `${field}.cpu`, r?.cpu);
  memoryBytes(scope, `${field}.memory`, r?.memory);
}
