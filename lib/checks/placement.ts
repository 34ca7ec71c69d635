// Capacity on several nodes: places every pod of the installation onto the cluster profile's nodes
// the way the scheduler would, and the capacity synth check (sum on one node, placement on more).
import { ClusterProfile, nodeCount } from '../core/cluster';
import { PlatformError } from '../core/errors';
import type { HelmRelease } from '../core/helm-releases';
import { formatCpu, formatMemoryApprox, parseCpu, parseMemory } from '../core/quantity';
import { registerSynthCheck } from '../core/synth-checks';
import { assertCapacity, capacityConsumers, Consumer, Resources } from './capacity';

/** One node after placement. */
export interface PlacedNode {
  /** `default-1`: the pool's name and the node's number in it. */
  readonly name: string;
  /** Allocatable minus the profile's node reserve. */
  readonly available: Resources;
  /** Requests of the pods placed on it, DaemonSets included. */
  readonly used: Resources;
  readonly pods: string[];
}

/** A pod that fits on no node. */
export interface UnplacedPod {
  readonly pod: string;
  readonly requests: Resources;
  readonly reason: string;
}

export interface PlacementReport {
  readonly fits: boolean;
  readonly nodes: readonly PlacedNode[];
  readonly unplaced: readonly UnplacedPod[];
}

const fits = (need: Resources, free: Resources) => need.cpuMillis <= free.cpuMillis && need.memoryBytes <= free.memoryBytes;
const free = (n: { available: Resources; used: Resources }): Resources => ({
  cpuMillis: n.available.cpuMillis - n.used.cpuMillis, memoryBytes: n.available.memoryBytes - n.used.memoryBytes,
});

/**
 * Decisions: DaemonSets put one pod on every node first. Every other pod (each replica on its own)
 * is placed largest memory first on a node it fits, preferring a node without another pod of the
 * same workload (the topology spread the platform asks for), then the least used node (the default
 * scheduler's LeastAllocated scoring). A pod that fits on no node is reported with the largest
 * free node, even when the cluster's total would hold it: that is the case a sum misses.
 */
export function placementReport(consumers: readonly Consumer[], cluster: ClusterProfile): PlacementReport {
  const reserve = { cpuMillis: parseCpu(cluster.nodeReserve.cpu), memoryBytes: parseMemory(cluster.nodeReserve.memory) };
  const nodes: Array<{ name: string; available: Resources; used: Resources; pods: string[] }> = [];
  for (const pool of cluster.pools) {
    for (let i = 1; i <= pool.count; i++) {
      nodes.push({
        name: `${pool.name}-${i}`,
        available: { cpuMillis: parseCpu(pool.allocatable.cpu) - reserve.cpuMillis, memoryBytes: parseMemory(pool.allocatable.memory) - reserve.memoryBytes },
        used: { cpuMillis: 0, memoryBytes: 0 },
        pods: [],
      });
    }
  }
  const unplaced: UnplacedPod[] = [];
  const place = (node: (typeof nodes)[number], pod: string, r: Resources) => {
    node.used = { cpuMillis: node.used.cpuMillis + r.cpuMillis, memoryBytes: node.used.memoryBytes + r.memoryBytes };
    node.pods.push(pod);
  };
  const perPod = (c: Consumer): Resources => ({ cpuMillis: c.requests.cpuMillis / Math.max(1, c.pods), memoryBytes: c.requests.memoryBytes / Math.max(1, c.pods) });

  for (const c of consumers.filter((x) => x.perNode)) {
    for (const node of nodes) {
      const r = perPod(c);
      if (!fits(r, free(node))) unplaced.push({ pod: `${c.name} on ${node.name}`, requests: r, reason: `a DaemonSet pod needs a place on every node; ${node.name} has ${describe(free(node))} left` });
      place(node, c.name, r);
    }
  }
  const pods = consumers.filter((x) => !x.perNode && x.requests.cpuMillis + x.requests.memoryBytes > 0)
    .flatMap((c) => Array.from({ length: Math.max(1, c.pods) }, (_, i) => ({ consumer: c.name, pod: c.pods > 1 ? `${c.name}#${i + 1}` : c.name, requests: perPod(c) })))
    .sort((a, b) => b.requests.memoryBytes - a.requests.memoryBytes || b.requests.cpuMillis - a.requests.cpuMillis || a.pod.localeCompare(b.pod));
  for (const p of pods) {
    const candidates = nodes.filter((n) => fits(p.requests, free(n)));
    if (!candidates.length) {
      const roomiest = [...nodes].sort((a, b) => free(b).memoryBytes - free(a).memoryBytes)[0];
      unplaced.push({ pod: p.pod, requests: p.requests, reason: `fits on no node; the roomiest, ${roomiest?.name ?? '(none)'}, has ${roomiest ? describe(free(roomiest)) : 'nothing'} left` });
      continue;
    }
    const score = (n: (typeof nodes)[number]) => (n.pods.includes(p.consumer) ? 1 : 0) * 10
      + Math.max(n.used.memoryBytes / n.available.memoryBytes, n.used.cpuMillis / Math.max(1, n.available.cpuMillis));
    const best = candidates.sort((a, b) => score(a) - score(b) || a.name.localeCompare(b.name))[0];
    place(best, p.consumer, p.requests);
  }
  return { fits: unplaced.length === 0, nodes, unplaced };
}

function describe(r: Resources): string {
  return `${formatCpu(Math.max(0, Math.round(r.cpuMillis)))} CPU / ${formatMemoryApprox(Math.max(0, r.memoryBytes))}`;
}

/** Per node: pods, requests against what it offers, headroom; then what did not fit. */
export function formatPlacementTable(report: PlacementReport): string {
  const header = ['NODE', 'PODS', 'CPU', 'MEMORY', 'HEADROOM'];
  const rows = report.nodes.map((n) => [
    n.name, String(n.pods.length),
    `${formatCpu(Math.round(n.used.cpuMillis))} / ${formatCpu(n.available.cpuMillis)}`,
    `${formatMemoryApprox(n.used.memoryBytes)} / ${formatMemoryApprox(n.available.memoryBytes)}`,
    describe(free(n)),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd();
  const lines = [line(header), ...rows.map(line)];
  for (const u of report.unplaced) lines.push(`DOES NOT FIT: ${u.pod} (${describe(u.requests)}): ${u.reason}`);
  return lines.join('\n');
}

/** Throws a PlatformError with the per-node table when some pod fits on no node. */
export function assertPlacement(objects: readonly any[], releases: readonly HelmRelease[], cluster: ClusterProfile): PlacementReport {
  const report = placementReport(capacityConsumers(objects, releases), cluster);
  if (!report.fits) {
    throw new PlatformError(
      `capacity: ${report.unplaced.length} pod(s) fit on no node of ${cluster.description}. `
        + 'Fix: lower their requests, add nodes or a larger node pool to the cluster profile, or remove an app.\n'
        + formatPlacementTable(report),
    );
  }
  return report;
}

// One node: the requests must fit its sum. Several: each pod must fit a node.
registerSynthCheck({
  name: 'capacity',
  run: (input) => {
    if (nodeCount(input.cluster) <= 1) assertCapacity(input.objects, input.helmReleases, input.capacity);
    else assertPlacement(input.objects, input.helmReleases, input.cluster);
  },
});
