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
