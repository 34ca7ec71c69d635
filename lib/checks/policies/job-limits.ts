// Policy: Jobs and CronJobs are bounded (deadlines, history, concurrency).
import { finding, Finding, KubeObject, Policy } from './types';

/** Argo CD deletes a hook Job itself when it has a hook-delete-policy. */
function isArgoHookWithDeletePolicy(o: KubeObject): boolean {
  const a = o.metadata.annotations ?? {};
  return !!(a['argocd.argoproj.io/hook'] || a['helm.sh/hook']) && !!(a['argocd.argoproj.io/hook-delete-policy'] || a['helm.sh/hook-delete-policy']);
}

/**
 * Every Job ends and is cleaned up: backoffLimit bounds retries, activeDeadlineSeconds bounds the
 * run (a hung build must not hold the node's capacity), ttlSecondsAfterFinished removes it.
 *
 * Decisions:
 * - A CronJob's jobTemplate needs backoffLimit and activeDeadlineSeconds but no TTL: the CronJob
 *   controller keeps successfulJobsHistoryLimit/failedJobsHistoryLimit runs (3/1 by default) for
 *   reading their logs, and a TTL would delete them first. It must set concurrencyPolicy Forbid or
 *   Replace, since the capacity check counts one concurrent run (the default Allow may stack).
 * - An Argo CD (or Helm) hook Job with a hook-delete-policy needs no TTL: Argo CD deletes it.
 *   Note for plain Jobs: Argo CD with selfHeal re-creates a Job that its TTL deleted, so a one-off
 *   Job is better written as a hook.
 */
export const jobLimits: Policy = {
  id: 'job-limits',
  description: 'Jobs set backoffLimit, activeDeadlineSeconds and ttlSecondsAfterFinished; CronJobs the first two and concurrencyPolicy Forbid or Replace.',
  check(objects) {
    const out: Finding[] = [];
    for (const o of objects) {
      if (o.kind === 'Job') {
        const missing = ['backoffLimit', 'activeDeadlineSeconds'].filter((f) => o.spec?.[f] === undefined);
        if (o.spec?.ttlSecondsAfterFinished === undefined && !isArgoHookWithDeletePolicy(o)) missing.push('ttlSecondsAfterFinished');
        if (missing.length) out.push(finding(this.id, o, `spec has no ${missing.join(', ')}; set ${missing.length > 1 ? 'them' : 'it'}`));
      } else if (o.kind === 'CronJob') {
        const job = o.spec?.jobTemplate?.spec ?? {};
        const missing = ['backoffLimit', 'activeDeadlineSeconds'].filter((f) => job[f] === undefined).map((f) => `spec.jobTemplate.spec.${f}`);
        if (missing.length) out.push(finding(this.id, o, `${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} unset; set ${missing.length > 1 ? 'them' : 'it'}`));
        const policy = o.spec?.concurrencyPolicy ?? 'Allow';
        if (policy === 'Allow') out.push(finding(this.id, o, 'spec.concurrencyPolicy is Allow (the default): runs may pile up; set Forbid or Replace'));
      }
    }
    return out;
  },
};
