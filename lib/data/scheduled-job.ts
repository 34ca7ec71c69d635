// The CronJob every scheduled job of the data servers shares (backups, uploads, the restore drill,
// volume snapshots): UTC schedule, never two runs at once, one retry, bounded run time, the last
// three successful and failed Jobs kept for their logs. Each caller gives the pod.
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';

export interface ScheduledJobOptions {
  readonly name: string;
  /** On the CronJob, its Jobs and their pods (NetworkPolicies and alerts select by them). */
  readonly labels: Record<string, string>;
  readonly schedule: string;
  /** A run that could not start within this many seconds of its time is skipped. */
  readonly startingDeadlineSeconds: number;
  /** A run still going after this many seconds is stopped (and counts as failed). */
  readonly activeDeadlineSeconds: number;
  readonly pod: k8s.PodSpec;
}

export function scheduledJob(scope: Construct, id: string, o: ScheduledJobOptions): k8s.KubeCronJob {
  const labels = o.labels;
  return new k8s.KubeCronJob(scope, id, {
    metadata: { name: o.name, labels },
    spec: {
      schedule: o.schedule,
      timeZone: 'Etc/UTC',
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: o.startingDeadlineSeconds,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        metadata: { labels },
        spec: {
          backoffLimit: 1,
          activeDeadlineSeconds: o.activeDeadlineSeconds,
          template: { metadata: { labels }, spec: o.pod },
        },
      },
    },
  });
}
