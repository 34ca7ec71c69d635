import { EXCEPTIONS_POLICY, formatFindings, runPolicies } from '../../lib/checks/policies';
import { readOnlyRootFilesystem } from '../../lib/checks/policies/read-only-root-filesystem';
import { deployment, firstContainer } from './fixtures';

describe('runPolicies and exceptions', () => {
  const writable = deployment();
  firstContainer(writable).securityContext.readOnlyRootFilesystem = false;
  const exception = { policy: 'read-only-root-filesystem', namespace: 'demo', kind: 'Deployment', name: 'web', reason: 'the image rewrites its config at start' };

  it('removes the findings an exception covers', () => {
    expect(runPolicies([writable], [exception], [readOnlyRootFilesystem])).toEqual([]);
  });

  it('reports a stale exception, an unknown policy and a missing reason', () => {
    const findings = runPolicies([deployment()], [exception, { ...exception, policy: 'no-such-rule' }, { ...exception, name: 'api', reason: ' ' }], [readOnlyRootFilesystem]);
    expect(findings.map((f) => `${f.policy}: ${f.message}`)).toEqual([
      `${EXCEPTIONS_POLICY}: stale exception for read-only-root-filesystem: demo/Deployment/web has no such finding any more; remove it from the exceptions you pass (policy-exceptions.ts for the reference installation)`,
      `${EXCEPTIONS_POLICY}: exception names unknown policy "no-such-rule" (known: read-only-root-filesystem)`,
      `${EXCEPTIONS_POLICY}: stale exception for read-only-root-filesystem: demo/Deployment/api has no such finding any more; remove it from the exceptions you pass (policy-exceptions.ts for the reference installation)`,
      `${EXCEPTIONS_POLICY}: exception for read-only-root-filesystem has no reason; say why the object cannot follow the rule`,
    ]);
  });

  it('formats findings as a table', () => {
    expect(formatFindings(runPolicies([writable], [], [readOnlyRootFilesystem]))).toBe([
      'POLICY                     OBJECT               MESSAGE',
      'read-only-root-filesystem  demo/Deployment/web  spec.template.spec.containers[web].securityContext.readOnlyRootFilesystem is not true; set it and mount an emptyDir on each path the process writes to',
    ].join('\n'));
  });
});
