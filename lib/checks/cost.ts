// What the installation costs per month on its cluster profile, as the constructs know it: nodes,
// the ingress load balancer and every data volume (own claims and the charts' persistent volumes).
import { ClusterProfile } from '../core/cluster';
import type { HelmRelease } from '../core/helm-releases';
import { parseMemory } from '../core/quantity';

/** Where a chart keeps the size of the persistent volume it creates (one per release). */
export const CHART_VOLUMES: Readonly<Record<string, string>> = {
  'kube-prometheus-stack': 'prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec.resources.requests.storage',
  'loki': 'singleBinary.persistence.size',
};

export interface CostLine {
  readonly item: string;
  readonly quantity: string;
  /** Monthly list price in USD, or undefined when the profile does not know it. */
  readonly usd?: number;
}

export interface MonthlyCost {
  readonly lines: readonly CostLine[];
  /** Sum of the known prices. */
  readonly totalUsd: number;
  /** Lines whose price the profile does not know. */
  readonly unpriced: readonly string[];
}

const at = (values: any, path: string): any => path.split('.').reduce((v, k) => (v == null ? undefined : v[k]), values);

/** GiB of every data volume: PVCs, StatefulSet claim templates (per replica) and chart volumes. */
export function volumeGiB(objects: readonly any[], releases: readonly HelmRelease[]): number {
  let bytes = 0;
  for (const o of objects) {
    if (o.kind === 'PersistentVolumeClaim') bytes += parseMemory(o.spec?.resources?.requests?.storage ?? '0');
    if (o.kind === 'StatefulSet') {
      for (const t of o.spec?.volumeClaimTemplates ?? []) bytes += (o.spec?.replicas ?? 1) * parseMemory(t.spec?.resources?.requests?.storage ?? '0');
    }
  }
  for (const r of releases) {
    const path = CHART_VOLUMES[r.chart];
    const size = path ? at(r.values, path) : undefined;
    if (size !== undefined) bytes += parseMemory(size);
  }
  return bytes / 2 ** 30;
}

export function monthlyCost(objects: readonly any[], releases: readonly HelmRelease[], cluster: ClusterProfile): MonthlyCost {
  const lines: CostLine[] = [];
  for (const p of cluster.pools) {
    const nodes = p.autoscale ? `${p.count} (autoscaling to ${p.autoscale.max})` : String(p.count);
    lines.push({ item: `nodes, pool ${p.name}${p.size ? ` (${p.size})` : ''}`, quantity: nodes, usd: p.monthlyUsd === undefined ? undefined : p.monthlyUsd * p.count });
  }
  if (cluster.ingress.type === 'LoadBalancer') {
    lines.push({ item: 'ingress load balancer', quantity: '1', usd: cluster.ingress.monthlyUsd });
  }
  const gib = volumeGiB(objects, releases);
  lines.push({ item: 'block storage volumes', quantity: `${Math.round(gib)} GiB`, usd: cluster.volumeUsdPerGiB === undefined ? undefined : Math.round(gib * cluster.volumeUsdPerGiB * 100) / 100 });
  return {
    lines,
    totalUsd: Math.round(lines.reduce((s, l) => s + (l.usd ?? 0), 0) * 100) / 100,
    unpriced: lines.filter((l) => l.usd === undefined).map((l) => l.item),
  };
}

/** The cost as a Markdown table. */
export function formatCostTable(cost: MonthlyCost): string {
  const usd = (n?: number) => (n === undefined ? 'unknown' : `$${n.toFixed(2)}`);
  return [
    '| item | quantity | per month (list price) |',
    '| --- | --- | --- |',
    ...cost.lines.map((l) => `| ${l.item} | ${l.quantity} | ${usd(l.usd)} |`),
    `| **total** | | **${usd(cost.totalUsd)}**${cost.unpriced.length ? ' + unpriced items' : ''} |`,
  ].join('\n');
}
