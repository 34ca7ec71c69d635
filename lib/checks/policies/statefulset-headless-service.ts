// Policy: every StatefulSet names an existing headless Service.
import { finding, Finding, Policy } from './types';

/**
 * A StatefulSet's pods get stable DNS names (`pod-0.<serviceName>`) only through a headless
 * Service of that name; without it clients and replicas cannot address one pod.
 */
export const statefulSetHeadlessService: Policy = {
  id: 'statefulset-headless-service',
  description: 'Every StatefulSet names, in spec.serviceName, a headless Service (clusterIP: None) of its namespace.',
  check(objects) {
    const out: Finding[] = [];
    for (const sts of objects) {
      if (sts.kind !== 'StatefulSet') continue;
      const name = sts.spec?.serviceName;
      if (!name) {
        out.push(finding(this.id, sts, 'spec.serviceName is unset; name a headless Service (clusterIP: None)'));
        continue;
      }
      const svc = objects.find((o) => o.kind === 'Service' && o.metadata.name === name && o.metadata.namespace === sts.metadata.namespace);
      if (!svc) out.push(finding(this.id, sts, `spec.serviceName "${name}": no such Service in namespace ${sts.metadata.namespace}`));
      else if (svc.spec?.clusterIP !== 'None') out.push(finding(this.id, sts, `spec.serviceName "${name}" is not headless (clusterIP ${svc.spec?.clusterIP ?? 'unset'}); set clusterIP: None`));
    }
    return out;
  },
};
