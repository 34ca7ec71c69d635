// Declared traffic rules and the NetworkPolicies derived from them (the namespace chart renders
// the default-deny baseline they open).
import { k8s } from 'cdk8s-plus-28';
import { Construct, IConstruct } from 'constructs';
import { pathOf, PlatformError } from '../core/errors';
import { fitName } from '../core/names';
import { POLICY_LABELS } from '../core/namespace-chart';
import type { CidrPeer, NetworkPeer, NetworkPort, PodPeer } from '../core/peers';
import { Platform } from '../core/platform';
import { DeriveStages, FactKey, PlatformRegistry } from '../core/registry';
import { CiliumNetworkPolicyObject } from './cilium';

/** Annotation that says why a policy allows what it allows. */
export const REASONS_ANNOTATION = 'novahost-platform/reasons';

export type { CidrPeer, NetworkPeer, NetworkPort, PodPeer } from '../core/peers';

/** Private and link-local ranges: pods, Services, nodes and cloud metadata live there. */
export const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16', '127.0.0.0/8'];

/** Well-known peers. */
export const Peers = {
  /** Every pod of every namespace. */
  ALL_PODS: { cidr: '', name: 'all-pods' } as CidrPeer,
  /** Any address, for traffic that comes in through the node's load balancer. */
  WORLD: { cidr: '0.0.0.0/0', name: 'world' } as CidrPeer,
  /** Public internet only: no pod, Service, node or metadata address. */
  INTERNET: { cidr: '0.0.0.0/0', except: PRIVATE_RANGES, name: 'internet' } as CidrPeer,
  /**
   * The Kubernetes API server. It is reached at its own address (the node's, port 6443, on k3s)
   * after the `kubernetes` Service is translated, so it cannot be a pod selector: rules to it are
   * rendered with the cluster profile's `apiServer` addresses and port (or Cilium's entity), never
   * as this placeholder.
   */
  KUBE_API: { cidr: '0.0.0.0/32', name: 'kube-api' } as CidrPeer,
} as const;
/** Ports of rules to Peers.KUBE_API; the cluster profile's apiServer ports replace them when rendered. */
export const KUBE_API_PORTS: NetworkPort[] = [{ port: 443 }, { port: 6443 }];

/** One allowed connection; both ends' policies are derived from it. */
export interface TrafficRule {
  readonly from: NetworkPeer;
  readonly to: NetworkPeer;
  /** Ports allowed; an empty list allows every port. */
  readonly ports: NetworkPort[];
  /** Why the connection exists (shown in the policy's annotation). */
  readonly reason: string;
  /**
   * Which ends get a policy. 'ingress' when the source already has a broader egress rule (the
   * ingress controller may reach any pod; each destination's ingress policy decides).
   * @default 'both'
   */
  readonly sides?: 'both' | 'ingress';
}

const isPod = (p: NetworkPeer): p is PodPeer => (p as PodPeer).namespace !== undefined;

/**
 * Default-deny networking for every namespace, plus the exact connections the constructs
 * declare: an app granted a database may reach PostgreSQL, a routed service may be reached by the
 * ingress controller, and nothing else. Each rule renders an egress policy at the source and an
 * ingress policy at the destination.
 */
export class NetworkPolicies {
  /** The platform's rules; rendered in the network-policies stage. */
  public static of(scope: IConstruct): NetworkPolicies {
    return Platform.of(scope).registry.fact(NETWORK_RULES);
  }

  private readonly rules: Array<TrafficRule & { owner: string }> = [];

  /** @internal Created by the registry (NETWORK_RULES), once per platform. */
  constructor(private readonly registry: PlatformRegistry, private readonly platform: Platform) {
    registry.derive(DeriveStages.NETWORK_POLICIES, platform, () => this.render());
  }

  /** Declares a connection, from a constructor or a derive step before the network-policies stage. */
  public allow(owner: IConstruct, rule: TrafficRule): void {
    this.registry.assertOpen(DeriveStages.NETWORK_POLICIES, owner, `network rule "${rule.reason}"`);
    this.rules.push({ ...rule, owner: pathOf(owner) });
  }

  /** All declared rules, in declaration order. */
  public get allRules(): readonly TrafficRule[] {
    return this.rules;
  }

  /**
   * Rules to the API server, for the cluster the platform runs on: its addresses and port, or (on
   * Cilium) out of the NetworkPolicies into one CiliumNetworkPolicy per pods.
   */
  private apiServerRules(): { rules: Array<TrafficRule & { owner: string }>; cilium: Array<TrafficRule & { owner: string }> } {
    const api = this.platform.cluster.apiServer;
    const rules: Array<TrafficRule & { owner: string }> = [];
    const cilium: Array<TrafficRule & { owner: string }> = [];
    for (const rule of this.rules) {
      if (rule.to !== Peers.KUBE_API) rules.push(rule);
      else if (api.ciliumEntity) cilium.push(rule);
      else for (const cidr of api.cidrs) rules.push({ ...rule, to: { cidr, name: Peers.KUBE_API.name }, ports: api.ports.map((port) => ({ port })) });
    }
    return { rules, cilium };
  }

  private renderCilium(rules: ReadonlyArray<TrafficRule & { owner: string }>): void {
    const groups = new Map<string, { pods: PodPeer; reasons: Set<string> }>();
    for (const r of rules) {
      if (!isPod(r.from)) continue;
      const key = `${r.from.namespace}/${r.from.name}`;
      const g = groups.get(key) ?? { pods: r.from, reasons: new Set<string>() };
      g.reasons.add(r.reason);
      groups.set(key, g);
    }
    for (const key of [...groups.keys()].sort()) {
      const { pods, reasons } = groups.get(key)!;
      new CiliumNetworkPolicyObject(this.platform.namespace(pods.namespace), `KubeApi-${pods.name}`, {
        metadata: { name: `allow-egress-${pods.name}-to-kube-api`, labels: POLICY_LABELS, annotations: { [REASONS_ANNOTATION]: [...reasons].sort().join('; ') } },
        podLabels: pods.podLabels,
        ports: this.platform.cluster.apiServer.ports,
      });
    }
  }

  private render(): void {
    const { rules, cilium } = this.apiServerRules();
    this.renderCilium(cilium);
    // Index the rules by the namespaces they touch, so rendering stays linear in their number.
    const byNamespace = new Map<string, Array<TrafficRule & { owner: string }>>();
    for (const rule of rules) {
      for (const ns of new Set([rule.from, rule.to].filter(isPod).map((p) => p.namespace))) {
        const list = byNamespace.get(ns);
        if (list) list.push(rule);
        else byNamespace.set(ns, [rule]);
      }
    }
    for (const chart of this.platform.namespaces) {
      const ns = chart.namespaceName;
      const scope = new Construct(chart, 'AllowedTraffic');
      const labels = POLICY_LABELS;
      // One policy per local pods and remote end, so no object grows with the number of apps.
      const groups = new Map<string, { direction: 'Ingress' | 'Egress'; pods: PodPeer; rules: Array<TrafficRule & { owner: string }> }>();
      const add = (direction: 'Ingress' | 'Egress', pods: PodPeer, remote: NetworkPeer, rule: TrafficRule & { owner: string }) => {
        const remoteName = isPod(remote) ? (remote.namespace === ns ? remote.name : remote.namespace) : remote.name;
        const key = `${direction === 'Ingress' ? 'ingress' : 'egress'}-${pods.name}-${direction === 'Ingress' ? 'from' : 'to'}-${remoteName}`;
        const g = groups.get(key) ?? { direction, pods, rules: [] };
        if (JSON.stringify(g.pods.podLabels) !== JSON.stringify(pods.podLabels)) {
          throw new PlatformError(`${rule.owner}: network peer name "${pods.name}" in namespace "${ns}" selects other pods than a peer of the same name declared before; give one of them another name`);
        }
        g.rules.push(rule);
        groups.set(key, g);
      };
      for (const rule of byNamespace.get(ns) ?? []) {
        if (isPod(rule.to) && rule.to.namespace === ns) add('Ingress', rule.to, rule.from, rule);
        if (isPod(rule.from) && rule.from.namespace === ns && (rule.sides ?? 'both') === 'both') add('Egress', rule.from, rule.to, rule);
      }
      for (const key of [...groups.keys()].sort()) {
        const g = groups.get(key)!;
        const body = g.rules.map((r) => ({
          peers: [peerSelector(g.direction === 'Ingress' ? r.from : r.to, ns)],
          ports: r.ports.length ? r.ports.map((p) => ({ port: k8s.IntOrString.fromNumber(p.port), protocol: p.protocol ?? 'TCP' })) : undefined,
        }));
        const name = fitName(`allow-${key}`, 253);
        new k8s.KubeNetworkPolicy(scope, key, {
          metadata: {
            name,
            labels,
            annotations: { [REASONS_ANNOTATION]: [...new Set(g.rules.map((r) => r.reason))].sort().join('; ') },
          },
          spec: {
            podSelector: { matchLabels: g.pods.podLabels },
            policyTypes: [g.direction],
            ...(g.direction === 'Ingress'
              ? { ingress: body.map((b) => ({ from: b.peers, ports: b.ports })) }
              : { egress: body.map((b) => ({ to: b.peers, ports: b.ports })) }),
          },
        });
      }
    }
  }
}

function peerSelector(peer: NetworkPeer, ownNamespace: string): k8s.NetworkPolicyPeer {
  if (peer === Peers.ALL_PODS) return { namespaceSelector: {} };
  if (!isPod(peer)) return { ipBlock: { cidr: peer.cidr, except: peer.except } };
  return {
    ...(peer.namespace === ownNamespace ? {} : { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': peer.namespace } } }),
    podSelector: { matchLabels: peer.podLabels },
  };
}

/** The platform's traffic rules. */
export const NETWORK_RULES = new FactKey('network rules', (registry, platform) => new NetworkPolicies(registry, platform as Platform));
