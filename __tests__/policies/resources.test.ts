import { resources } from '../../lib/checks/policies/resources';
import { container, deployment, firstContainer, messages } from './fixtures';

describe('resources', () => {
  it('passes CPU and memory requests with a memory limit and no CPU limit', () => {
    expect(messages(resources, [deployment()])).toEqual([]);
  });

  it('flags a container without a memory limit and an init container without requests', () => {
    const d = deployment();
    delete firstContainer(d).resources.limits;
    d.spec.template.spec.initContainers = [{ ...container('init'), resources: {} }];
    expect(messages(resources, [d])).toEqual([
      'Deployment/web: spec.template.spec.containers[web].resources has no limits.memory; set them',
      'Deployment/web: spec.template.spec.initContainers[init].resources has no requests.cpu, requests.memory, limits.memory; set them',
    ]);
  });
});
