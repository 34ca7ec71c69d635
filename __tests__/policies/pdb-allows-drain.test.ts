import { pdbAllowsDrain } from '../../lib/checks/policies/pdb-allows-drain';
import { deployment, LABELS, messages } from './fixtures';

function pdb(name: string, budget: Record<string, number | string>): any {
  return { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name, namespace: 'demo' }, spec: { selector: { matchLabels: { ...LABELS } }, ...budget } };
}

describe('pdb-allows-drain', () => {
  it('passes budgets that allow one eviction', () => {
    const three = deployment();
    three.spec.replicas = 3;
    expect(messages(pdbAllowsDrain, [deployment(), pdb('a', { maxUnavailable: 1 })])).toEqual([]);
    expect(messages(pdbAllowsDrain, [three, pdb('b', { minAvailable: 2 }), pdb('c', { minAvailable: '50%' })])).toEqual([]);
  });

  it('flags minAvailable 1 and maxUnavailable 0 on a single replica', () => {
    expect(messages(pdbAllowsDrain, [deployment(), pdb('min', { minAvailable: 1 }), pdb('max', { maxUnavailable: 0 }), pdb('pct', { minAvailable: '100%' })])).toEqual([
      'PodDisruptionBudget/min: spec.minAvailable 1 allows no eviction of Deployment/web (1 replica): a node drain would never finish; use maxUnavailable: 1 or drop the PDB',
      'PodDisruptionBudget/max: spec.maxUnavailable 0 allows no eviction of Deployment/web (1 replica): a node drain would never finish; allow at least 1',
      'PodDisruptionBudget/pct: spec.minAvailable "100%" allows no eviction of Deployment/web (1 replica): a node drain would never finish; use maxUnavailable: 1 or drop the PDB',
    ]);
  });
});
