import { seccompProfile } from '../../lib/checks/policies/seccomp-profile';
import { deployment, firstContainer, messages } from './fixtures';

describe('seccomp-profile', () => {
  it('passes RuntimeDefault on the pod and Localhost on the container', () => {
    const d = deployment();
    delete d.spec.template.spec.securityContext.seccompProfile;
    firstContainer(d).securityContext.seccompProfile = { type: 'Localhost', localhostProfile: 'profiles/web.json' };
    expect(messages(seccompProfile, [deployment(), d])).toEqual([]);
  });

  it('flags a container that overrides the pod with Unconfined', () => {
    const d = deployment();
    firstContainer(d).securityContext.seccompProfile = { type: 'Unconfined' };
    expect(messages(seccompProfile, [d])).toEqual([
      'Deployment/web: spec.template.spec.containers[web]: seccompProfile.type is "Unconfined" (container, else pod); set spec.template.spec.securityContext.seccompProfile.type: RuntimeDefault',
    ]);
  });
});
