import { noPrivilegeEscalation } from '../../lib/checks/policies/no-privilege-escalation';
import { cronJob, deployment, firstContainer, messages } from './fixtures';

describe('no-privilege-escalation', () => {
  it('passes allowPrivilegeEscalation: false', () => {
    expect(messages(noPrivilegeEscalation, [deployment()])).toEqual([]);
  });

  it('flags an unset value (the default is true), also in a CronJob', () => {
    const c = cronJob();
    delete firstContainer(c).securityContext.allowPrivilegeEscalation;
    expect(messages(noPrivilegeEscalation, [c])).toEqual([
      'CronJob/nightly: spec.jobTemplate.spec.template.spec.containers[web].securityContext.allowPrivilegeEscalation is unset; set it to false',
    ]);
  });
});
