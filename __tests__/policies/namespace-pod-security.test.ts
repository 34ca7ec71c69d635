import { namespacePodSecurity } from '../../lib/checks/policies/namespace-pod-security';
import { messages, namespace } from './fixtures';

describe('namespace-pod-security', () => {
  it('passes a Namespace with an enforce level', () => {
    expect(messages(namespacePodSecurity, [namespace()])).toEqual([]);
  });

  it('flags a missing or unknown level', () => {
    const bad = namespace('bad');
    bad.metadata.labels['pod-security.kubernetes.io/enforce'] = 'strict';
    expect(messages(namespacePodSecurity, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bare' } }, bad])).toEqual([
      'Namespace/bare: label pod-security.kubernetes.io/enforce is unset; set it to one of restricted, baseline, privileged',
      'Namespace/bad: label pod-security.kubernetes.io/enforce is "strict"; set it to one of restricted, baseline, privileged',
    ]);
  });
});
