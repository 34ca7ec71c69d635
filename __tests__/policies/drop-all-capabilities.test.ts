import { dropAllCapabilities } from '../../lib/checks/policies/drop-all-capabilities';
import { deployment, firstContainer, messages } from './fixtures';

describe('drop-all-capabilities', () => {
  it('passes drop ALL without adds', () => {
    expect(messages(dropAllCapabilities, [deployment()])).toEqual([]);
  });

  it('flags a missing drop and any add, NET_BIND_SERVICE included', () => {
    const a = deployment('a');
    delete firstContainer(a).securityContext.capabilities;
    const b = deployment('b');
    firstContainer(b).securityContext.capabilities.add = ['NET_BIND_SERVICE'];
    expect(messages(dropAllCapabilities, [a, b])).toEqual([
      'Deployment/a: spec.template.spec.containers[web].securityContext.capabilities.drop is []; drop ["ALL"]',
      'Deployment/b: spec.template.spec.containers[web].securityContext.capabilities.add is ["NET_BIND_SERVICE"]; add none (for ports below 1024 use the sysctl net.ipv4.ip_unprivileged_port_start)',
    ]);
  });
});
