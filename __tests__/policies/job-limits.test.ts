import { jobLimits } from '../../lib/checks/policies/job-limits';
import { cronJob, job, messages } from './fixtures';

describe('job-limits', () => {
  it('passes a bounded Job, a CronJob without TTL, and an Argo CD hook Job with a delete policy but no TTL', () => {
    const hook = job('provision');
    delete hook.spec.ttlSecondsAfterFinished;
    hook.metadata.annotations = { 'argocd.argoproj.io/hook': 'PostSync', 'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation' };
    expect(messages(jobLimits, [job(), cronJob(), hook])).toEqual([]);
  });

  it('flags an unbounded Job and a CronJob whose runs may pile up', () => {
    const j = job();
    delete j.spec.activeDeadlineSeconds;
    delete j.spec.ttlSecondsAfterFinished;
    const c = cronJob();
    delete c.spec.concurrencyPolicy;
    delete c.spec.jobTemplate.spec.backoffLimit;
    expect(messages(jobLimits, [j, c])).toEqual([
      'Job/migrate: spec has no activeDeadlineSeconds, ttlSecondsAfterFinished; set them',
      'CronJob/nightly: spec.jobTemplate.spec.backoffLimit is unset; set it',
      'CronJob/nightly: spec.concurrencyPolicy is Allow (the default): runs may pile up; set Forbid or Replace',
    ]);
  });
});
