// Policy: object names and labels follow Kubernetes' name rules.
import { NameRule, NameRules } from '../../core/names';
import { finding, Finding, KubeObject, Policy } from './types';
import { containersOf, podTemplates } from './workloads';

/** Label values: at most 63 characters, alphanumeric at both ends, `-_.` inside; empty is allowed. */
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
/** Label keys: optional DNS-1123 subdomain prefix and `/`, then a name like a label value (non-empty). */
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** The rule for an object's name; Services are DNS-1035 labels, most others DNS-1123 subdomains. */
function nameRule(kind: string): NameRule {
  switch (kind) {
    case 'Service': return NameRules.DNS1035_LABEL;
    case 'Namespace': return NameRules.DNS1123_LABEL;
    // Pods of a StatefulSet carry a controller-revision-hash label; CronJob names get an 11-char suffix too.
    case 'StatefulSet':
    case 'CronJob': return NameRules.STATEFULSET;
    default: return NameRules.DNS1123_SUBDOMAIN;
  }
}

function ok(rule: NameRule, value: unknown): boolean {
  return typeof value === 'string' && value.length > 0 && value.length <= rule.maxLength && rule.pattern.test(value);
}

export function labelProblem(key: string, value: unknown): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && !ok(NameRules.DNS1123_SUBDOMAIN, prefix)) return `label key "${key}" has an invalid prefix (a DNS-1123 subdomain)`;
  if (name.length > 63 || !LABEL_NAME.test(name)) return `label key "${key}" is invalid (name part: at most 63 characters, alphanumeric at both ends, "-_." inside)`;
  if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value)) return `label ${key}=${JSON.stringify(value)} has an invalid value (at most 63 characters, alphanumeric at both ends, "-_." inside)`;
  return undefined;
}

function labelProblems(where: string, labels: Record<string, unknown> | undefined): string[] {
  return Object.entries(labels ?? {}).flatMap(([k, v]) => {
    const p = labelProblem(k, v);
    return p ? [`${where}: ${p}`] : [];
  });
}

/**
 * Names Kubernetes would reject at apply time (half-synced Applications), caught in the tests:
 * object names (Services DNS-1035, Namespaces DNS-1123 labels, StatefulSets and CronJobs at most
 * 52 characters, the rest DNS-1123 subdomains), label keys and values, container names.
 */
export const validNames: Policy = {
  id: 'valid-names',
  description: 'Object names, container names, label keys and label values follow the Kubernetes name rules.',
  check(objects) {
    const out: Finding[] = [];
    const add = (o: KubeObject, m: string): void => void out.push(finding(this.id, o, m));
    for (const o of objects) {
      const rule = nameRule(o.kind);
      if (!ok(rule, o.metadata?.name)) add(o, `metadata.name ${JSON.stringify(o.metadata?.name)} is not ${rule.description}, at most ${rule.maxLength} characters`);
      if (o.metadata?.namespace !== undefined && !ok(NameRules.DNS1123_LABEL, o.metadata.namespace)) add(o, `metadata.namespace ${JSON.stringify(o.metadata.namespace)} is not ${NameRules.DNS1123_LABEL.description}`);
      for (const p of labelProblems('metadata.labels', o.metadata?.labels)) add(o, p);
    }
    for (const t of podTemplates(objects)) {
      if (t.object.kind !== 'Pod') {
        const where = t.path.replace(/\.spec$/, '.metadata.labels');
        for (const p of labelProblems(where, t.labels)) add(t.object, p);
      }
      for (const c of containersOf(t)) {
        if (!ok(NameRules.DNS1123_LABEL, c.container.name)) add(t.object, `${c.path}.name is not ${NameRules.DNS1123_LABEL.description}`);
      }
    }
    return out;
  },
};
