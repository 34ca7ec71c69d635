// The one Cilium object the platform renders: an egress allowance to the `kube-apiserver` entity,
// which a NetworkPolicy's ipBlock cannot select on Cilium clusters (DigitalOcean Kubernetes).
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';

/**
 * `cilium.io/v2` CiliumNetworkPolicy, the fields the platform uses (cilium/cilium
 * pkg/policy/api: endpointSelector, egress[].toEntities, toPorts[].ports[].port/protocol).
 * Cilium applies it beside the namespace's NetworkPolicies; an allow in either lets traffic pass.
 */
export interface CiliumApiServerEgress {
  readonly metadata: { readonly name: string; readonly labels: Record<string, string>; readonly annotations?: Record<string, string> };
  /** Pods of the policy's namespace. */
  readonly podLabels: Record<string, string>;
  readonly ports: readonly number[];
}

export class CiliumNetworkPolicyObject extends ApiObject {
  public static readonly GVK = { apiVersion: 'cilium.io/v2', kind: 'CiliumNetworkPolicy' } as const;

  constructor(scope: Construct, id: string, props: CiliumApiServerEgress) {
    super(scope, id, {
      ...CiliumNetworkPolicyObject.GVK,
      metadata: props.metadata,
      spec: {
        endpointSelector: { matchLabels: props.podLabels },
        egress: [{
          toEntities: ['kube-apiserver'],
          toPorts: [{ ports: props.ports.map((p) => ({ port: String(p), protocol: 'TCP' })) }],
        }],
      },
    });
  }
}
