// Policy: every Namespace enforces a Pod Security level.
import { finding, Policy } from './types';

const LEVELS = ['restricted', 'baseline', 'privileged'];
const ENFORCE = 'pod-security.kubernetes.io/enforce';

/** Without the enforce label, Pod Security Admission applies the cluster default (privileged on k3s). */
export const namespacePodSecurity: Policy = {
  id: 'namespace-pod-security',
  description: `Every Namespace carries the ${ENFORCE} label with a valid level.`,
  check(objects) {
    return objects
      .filter((o) => o.kind === 'Namespace' && !LEVELS.includes(o.metadata.labels?.[ENFORCE] as string))
      .map((o) => finding(this.id, o, `label ${ENFORCE} is ${JSON.stringify(o.metadata.labels?.[ENFORCE]) ?? 'unset'}; set it to one of ${LEVELS.join(', ')}`));
  },
};
