import { noPrivileged } from '../../lib/checks/policies/no-privileged';
import { cronJob, deployment, messages } from './fixtures';

describe('no-privileged', () => {
  it('passes unprivileged containers', () => {
    expect(messages(noPrivileged, [deployment(), cronJob()])).toEqual([]);
  });

  it('flags a privileged init container', () => {
    const d = deployment();
    d.spec.template.spec.initContainers = [{ ...d.spec.template.spec.containers[0], name: 'setup', securityContext: { privileged: true } }];
    expect(messages(noPrivileged, [d])).toEqual([
      'Deployment/web: spec.template.spec.initContainers[setup].securityContext.privileged is true; remove it (restricted Pod Security forbids it)',
    ]);
  });
});
