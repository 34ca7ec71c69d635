// Policy: container and Service port names are valid and unique.
import { NameRules } from '../../core/names';
import { finding, Finding, Policy } from './types';
import { containersOf, podTemplates } from './workloads';

const IANA = NameRules.PORT_NAME;

function valid(name: string): boolean {
  return name.length <= IANA.maxLength && IANA.pattern.test(name);
}

/**
 * Named ports are how Services, probes and NetworkPolicies find a container's port; a name that is
 * not an IANA_SVC_NAME (at most 15 characters) is rejected by the API server.
 */
export const portNames: Policy = {
  id: 'port-names',
  description: 'Container port names, named targetPorts and probe ports are IANA service names (at most 15 characters); Service port names DNS-1123 labels.',
  check(objects) {
    const out: Finding[] = [];
    for (const t of podTemplates(objects)) {
      for (const c of containersOf(t)) {
        for (const p of c.container.ports ?? []) {
          if (p.name !== undefined && !valid(p.name)) out.push(finding(this.id, t.object, `${c.path}.ports name ${JSON.stringify(p.name)} is not ${IANA.description}`));
        }
        for (const kind of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
          const port = c.container[kind]?.httpGet?.port ?? c.container[kind]?.tcpSocket?.port;
          if (typeof port === 'string' && !valid(port)) out.push(finding(this.id, t.object, `${c.path}.${kind} port ${JSON.stringify(port)} is not ${IANA.description}`));
        }
      }
    }
    for (const svc of objects) {
      if (svc.kind !== 'Service') continue;
      for (const p of svc.spec?.ports ?? []) {
        if (p.name !== undefined && !(p.name.length <= 63 && NameRules.DNS1123_LABEL.pattern.test(p.name))) {
          out.push(finding(this.id, svc, `spec.ports name ${JSON.stringify(p.name)} is not ${NameRules.DNS1123_LABEL.description}`));
        }
        if (typeof p.targetPort === 'string' && !valid(p.targetPort)) {
          out.push(finding(this.id, svc, `spec.ports[${p.name ?? p.port}].targetPort ${JSON.stringify(p.targetPort)} is not ${IANA.description}`));
        }
      }
    }
    return out;
  },
};
