// Who talks to whom, as types: the ends of a connection that NetworkPolicies are derived from.

/** Pods of one namespace, selected by labels (empty labels: every pod of the namespace). */
export interface PodPeer {
  readonly namespace: string;
  readonly podLabels: Record<string, string>;
  /** Short DNS-1123 name used in policy names (`web`, `postgres`, `traefik`). */
  readonly name: string;
}

/** Addresses outside the cluster's pods. */
export interface CidrPeer {
  readonly cidr: string;
  readonly except?: string[];
  /** Short name used in policy names (`internet`, `kube-api`). */
  readonly name: string;
}

export type NetworkPeer = PodPeer | CidrPeer;

export interface NetworkPort {
  readonly port: number;
  /** @default 'TCP' */
  readonly protocol?: 'TCP' | 'UDP';
}
