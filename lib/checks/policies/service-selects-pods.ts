// Policy: every Service selects pods and targets ports they have.
import { finding, Finding, Policy } from './types';
import { containersOf, matchesLabels, podTemplates } from './workloads';

/**
 * A Service whose selector matches no pod template, or whose targetPort no matching container
 * declares, has no endpoints: the route answers 503 and nothing in the sync says why.
 * Services without a selector (ExternalName, hand-made Endpoints) are not checked.
 */
export const serviceSelectsPods: Policy = {
  id: 'service-selects-pods',
  description: 'Every Service selector matches a pod template in its namespace, and every targetPort exists on a matching container.',
  check(objects) {
    const out: Finding[] = [];
    const templates = podTemplates(objects);
    for (const svc of objects) {
      if (svc.kind !== 'Service' || svc.spec?.type === 'ExternalName') continue;
      const selector = svc.spec?.selector;
      if (!selector || !Object.keys(selector).length) continue;
      const ns = svc.metadata.namespace;
      const matching = templates.filter((t) => t.object.metadata.namespace === ns && matchesLabels(selector, t.labels));
      if (!matching.length) {
        out.push(finding(this.id, svc, `spec.selector ${JSON.stringify(selector)} matches no pod template in namespace ${ns}; fix the selector or the pod labels`));
        continue;
      }
      const containers = matching.flatMap((t) => containersOf(t).filter((c) => !c.init).map((c) => c.container));
      for (const p of svc.spec?.ports ?? []) {
        const target = p.targetPort ?? p.port;
        const found = containers.some((c) => (c.ports ?? []).some((cp: any) => (typeof target === 'number' ? cp.containerPort === target : cp.name === target)));
        if (!found) {
          const names = matching.map((t) => `${t.object.kind}/${t.object.metadata.name}`).join(', ');
          out.push(finding(this.id, svc, `spec.ports[${p.name ?? p.port}].targetPort ${JSON.stringify(target)} is not a port declared by the selected containers (${names})`));
        }
      }
    }
    return out;
  },
};
