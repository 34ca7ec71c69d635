import { labelProblem, validNames } from '../../lib/checks/policies/valid-names';
import { configMap, deployment, messages, namespace, service, statefulSet } from './fixtures';

describe('valid-names', () => {
  it('passes valid names: a dotted ConfigMap, a Service, a prefixed label', () => {
    expect(messages(validNames, [namespace(), deployment(), service(), configMap({}, 'app.config'), statefulSet()])).toEqual([]);
  });

  it('flags a Service starting with a digit, a long StatefulSet, a bad label value and container name', () => {
    const d = deployment();
    d.metadata.labels['app.kubernetes.io/version'] = 'v1.0+build';
    d.spec.template.spec.containers[0].name = 'Web';
    expect(messages(validNames, [service('1web'), statefulSet('s'.repeat(53)), d])).toEqual([
      'Service/1web: metadata.name "1web" is not a DNS-1035 label (lower-case letters, digits and "-", starting with a letter), at most 63 characters',
      `StatefulSet/${'s'.repeat(53)}: metadata.name "${'s'.repeat(53)}" is not a DNS-1123 label of at most 52 characters (StatefulSet pods append a revision hash), at most 52 characters`,
      'Deployment/web: metadata.labels: label app.kubernetes.io/version="v1.0+build" has an invalid value (at most 63 characters, alphanumeric at both ends, "-_." inside)',
      'Deployment/web: spec.template.spec.containers[Web].name is not a DNS-1123 label (lower-case letters, digits and "-", starting and ending with a letter or digit)',
    ]);
  });

  it('checks label keys', () => {
    expect(labelProblem('example.com/ok', '')).toBeUndefined();
    expect(labelProblem('Bad_Prefix/x', 'v')).toBe('label key "Bad_Prefix/x" has an invalid prefix (a DNS-1123 subdomain)');
  });
});
