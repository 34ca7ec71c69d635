/**
 * A small evaluator of Kubernetes NetworkPolicy semantics over rendered objects, so tests can ask
 * "may these pods open this connection?" of what the cluster would enforce.
 */
export interface PodEndpoint {
  readonly namespace: string;
  readonly labels: Record<string, string>;
  /** Pod IP used when an ipBlock is evaluated. @default '10.42.0.10' (k3s pod range) */
  readonly ip?: string;
}
export interface IpEndpoint {
  readonly ip: string;
}
export type Endpoint = PodEndpoint | IpEndpoint;

const isPod = (e: Endpoint): e is PodEndpoint => (e as PodEndpoint).namespace !== undefined;

function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => (acc << 8) + Number(o), 0) >>> 0;
}

export function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const mask = Number(bits) === 0 ? 0 : (~0 << (32 - Number(bits))) >>> 0;
  return (ipToInt(ip) & mask) === (ipToInt(base) & mask);
}

function matches(selector: any, labels: Record<string, string>): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    if (e.operator === 'In' && !(has && e.values.includes(labels[e.key]))) return false;
    if (e.operator === 'NotIn' && has && e.values.includes(labels[e.key])) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

function peerMatches(peer: any, policyNamespace: string, other: Endpoint): boolean {
  if (peer.ipBlock) {
    const ip = isPod(other) ? other.ip ?? '10.42.0.10' : other.ip;
    return inCidr(ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c: string) => inCidr(ip, c));
  }
  if (!isPod(other)) return false;
  const nsLabels = { 'kubernetes.io/metadata.name': other.namespace };
  if (peer.namespaceSelector) {
    if (!matches(peer.namespaceSelector, nsLabels)) return false;
  } else if (other.namespace !== policyNamespace) {
    return false;
  }
  return matches(peer.podSelector, other.labels);
}

function portMatches(ports: any[] | undefined, port: number, protocol: string): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some((p) => (p.protocol ?? 'TCP') === protocol && (p.port === undefined || p.port === port));
}

function sideAllows(policies: any[], type: 'Ingress' | 'Egress', self: PodEndpoint, other: Endpoint, port: number, protocol: string): boolean {
  const selecting = policies.filter((p) => p.metadata.namespace === self.namespace
    && (p.spec.policyTypes ?? ['Ingress']).includes(type)
    && matches(p.spec.podSelector, self.labels));
  if (selecting.length === 0) return true;
  return selecting.some((p) => ((type === 'Ingress' ? p.spec.ingress : p.spec.egress) ?? []).some((rule: any) => {
    const peers = type === 'Ingress' ? rule.from : rule.to;
    const peerOk = !peers || peers.length === 0 || peers.some((peer: any) => peerMatches(peer, p.metadata.namespace, other));
    return peerOk && portMatches(rule.ports, port, protocol);
  }));
}

/** Whether `from` may open a connection to `to` on `port` under the given NetworkPolicies. */
export function canConnect(objects: any[], from: Endpoint, to: Endpoint, port: number, protocol = 'TCP'): boolean {
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
  const egressOk = isPod(from) ? sideAllows(policies, 'Egress', from, to, port, protocol) : true;
  const ingressOk = isPod(to) ? sideAllows(policies, 'Ingress', to, from, port, protocol) : true;
  return egressOk && ingressOk;
}
