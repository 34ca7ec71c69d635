// Policy: no PodDisruptionBudget blocks a node drain.
import { finding, Finding, Policy } from './types';
import { matchesSelector, podTemplates } from './workloads';

/** `minAvailable`/`maxUnavailable` as a pod count for `replicas` pods (percentages as the disruption controller rounds them). */
function count(value: number | string, replicas: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value);
  if (!m) return Number(value);
  const exact = (replicas * Number(m[1])) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/**
 * On a single node, `kubectl drain` (k3s upgrades, node maintenance) waits forever on a PDB that
 * allows no disruption. A single-replica workload cannot stay available during a drain anyway;
 * its PDB must allow the one eviction.
 */
export const pdbAllowsDrain: Policy = {
  id: 'pdb-allows-drain',
  description: 'No PodDisruptionBudget allows zero disruptions of the workloads it selects (minAvailable >= replicas or maxUnavailable 0).',
  check(objects) {
    const out: Finding[] = [];
    const templates = podTemplates(objects).filter((t) => t.longRunning);
    for (const pdb of objects) {
      if (pdb.kind !== 'PodDisruptionBudget') continue;
      const selected = templates.filter((t) => t.object.metadata.namespace === pdb.metadata.namespace && matchesSelector(pdb.spec?.selector, t.labels));
      for (const t of selected) {
        const replicas = t.object.kind === 'DaemonSet' ? 1 : t.object.spec?.replicas ?? 1;
        const ref = `${t.object.kind}/${t.object.metadata.name} (${replicas} replica${replicas === 1 ? '' : 's'})`;
        if (pdb.spec?.maxUnavailable !== undefined && count(pdb.spec.maxUnavailable, replicas, false) <= 0) {
          out.push(finding(this.id, pdb, `spec.maxUnavailable ${JSON.stringify(pdb.spec.maxUnavailable)} allows no eviction of ${ref}: a node drain would never finish; allow at least 1`));
        } else if (pdb.spec?.minAvailable !== undefined && count(pdb.spec.minAvailable, replicas, true) >= replicas) {
          out.push(finding(this.id, pdb, `spec.minAvailable ${JSON.stringify(pdb.spec.minAvailable)} allows no eviction of ${ref}: a node drain would never finish; use maxUnavailable: 1 or drop the PDB`));
        }
      }
    }
    return out;
  },
};
