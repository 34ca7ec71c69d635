import { noHostAccess } from '../../lib/checks/policies/no-host-access';
import { deployment, firstContainer, messages } from './fixtures';

describe('no-host-access', () => {
  it('passes a pod without host namespaces, ports or paths', () => {
    expect(messages(noHostAccess, [deployment()])).toEqual([]);
  });

  it('flags hostNetwork, hostPID, hostIPC, a hostPort and a hostPath volume', () => {
    const d = deployment();
    Object.assign(d.spec.template.spec, { hostNetwork: true, hostPID: true, hostIPC: true, volumes: [{ name: 'docker', hostPath: { path: '/var/run/docker.sock' } }] });
    firstContainer(d).ports[0].hostPort = 80;
    expect(messages(noHostAccess, [d])).toEqual([
      'Deployment/web: spec.template.spec.hostNetwork is true; remove it',
      'Deployment/web: spec.template.spec.hostPID is true; remove it',
      'Deployment/web: spec.template.spec.hostIPC is true; remove it',
      'Deployment/web: spec.template.spec.containers[web].ports[http].hostPort is 80; expose the port through a Service instead',
      'Deployment/web: spec.template.spec.volumes[docker] is a hostPath (/var/run/docker.sock); use a PVC or an emptyDir',
    ]);
  });
});
