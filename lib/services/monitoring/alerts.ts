/**
 * The platform's alerts, as data: one PrometheusRule renders them, and the tests parse every
 * expression with Prometheus' own PromQL grammar and check each metric name against what the
 * exporters emit, and `promtool test rules` runs them over series labelled as the real scrape
 * labels them.
 */
import { EXPORTER_CONTAINER, METRICS_PORT_NAME } from './scrape';

/** One alerting rule. */
export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  /** How long the condition must hold (Prometheus duration). */
  readonly for: string;
  readonly severity: 'warning' | 'critical';
  readonly summary: string;
  readonly description: string;
}

export interface AlertOptions {
  /** CronJobs whose name matches count as backups (RE2, anchored by Prometheus). */
  readonly backupCronJobPattern: string;
  /** A backup older than this many hours alerts. */
  readonly backupMaxAgeHours: number;
  /** A certificate expiring within this many days alerts. */
  readonly certificateExpiryDays: number;
  /** A PVC fuller than this share alerts. */
  readonly volumeFullRatio: number;
  /**
   * WAL archiving is stale when the last segment is older than this while the server takes
   * writes: the recovery point objective (SharedPostgres' default 5 minutes) plus a margin.
   */
  readonly walArchiveMaxAgeSeconds: number;
  /** Off-site uploads older than this many hours alert. */
  readonly uploadMaxAgeHours: number;
  /** A backups volume whose used bytes fall below this share of the day's peak alerts. */
  readonly backupShrinkRatio: number;
}

export const DEFAULT_ALERT_OPTIONS: AlertOptions = {
  backupCronJobPattern: '.*backup.*',
  backupMaxAgeHours: 26,
  certificateExpiryDays: 14,
  volumeFullRatio: 0.8,
  walArchiveMaxAgeSeconds: 600,
  uploadMaxAgeHours: 1,
  backupShrinkRatio: 0.5,
};

/** The platform's alert groups by name. */
export function platformAlerts(o: AlertOptions = DEFAULT_ALERT_OPTIONS): Record<string, AlertRule[]> {
  const backup = `cronjob=~"${o.backupCronJobPattern}"`;
  const maxAge = o.backupMaxAgeHours * 3600;
  return {
    'novahost.data-services': [
      {
        alert: 'RedisDown',
        expr: 'redis_up == 0',
        for: '2m',
        severity: 'critical',
        summary: 'Redis {{ $labels.namespace }}/{{ $labels.pod }} is down',
        description: 'The exporter beside Redis cannot reach it (redis_up is 0). Apps lose their caches and queues.',
      },
      {
        alert: 'PostgresDown',
        expr: 'pg_up == 0',
        for: '2m',
        severity: 'critical',
        summary: 'PostgreSQL {{ $labels.namespace }}/{{ $labels.pod }} is down',
        description: 'The exporter beside PostgreSQL cannot connect to it (pg_up is 0).',
      },
      {
        // One rule for every exporter sidecar (PostgreSQL's and Redis's are both the container
        // `exporter`, port `metrics`); the labels name which. While it is down, the server's own
        // alert above cannot fire, so this is as critical.
        alert: 'MetricsExporterDown',
        expr: `up{container="${EXPORTER_CONTAINER}", endpoint="${METRICS_PORT_NAME}"} == 0`,
        for: '2m',
        severity: 'critical',
        summary: 'Exporter of {{ $labels.namespace }}/{{ $labels.service }} ({{ $labels.pod }}) cannot be scraped',
        description: 'Prometheus cannot reach the metrics exporter beside the server, so RedisDown and PostgresDown cannot fire for it. kubectl logs <pod> -c exporter shows why.',
      },
      {
        alert: 'PersistentVolumeFillingUp',
        expr: `max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_used_bytes / kubelet_volume_stats_capacity_bytes) > ${o.volumeFullRatio}`,
        for: '10m',
        severity: 'warning',
        summary: 'PVC {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} is {{ $value | humanizePercentage }} full',
        description: `The volume is more than ${Math.round(o.volumeFullRatio * 100)}% full. Grow the PVC (storageSize) or lower the retention before writes fail.`,
      },
    ],
    'novahost.backups': [
      {
        alert: 'BackupJobFailed',
        expr: `max by (namespace, owner_name) (kube_job_owner{owner_kind="CronJob", owner_name=~"${o.backupCronJobPattern}"} * on (namespace, job_name) group_left kube_job_status_failed) > 0`,
        for: '0m',
        severity: 'critical',
        summary: 'Backup CronJob {{ $labels.namespace }}/{{ $labels.owner_name }} has a failed Job',
        description: 'A backup run failed. Read its logs (kubectl logs job/<name>) and run one by hand once fixed.',
      },
      {
        alert: 'BackupTooOld',
        expr: `time() - max by (namespace, cronjob) (kube_cronjob_status_last_successful_time{${backup}}) > ${maxAge}`,
        for: '10m',
        severity: 'critical',
        summary: `No successful backup of {{ $labels.namespace }}/{{ $labels.cronjob }} in ${o.backupMaxAgeHours} hours`,
        description: `The last successful run is older than ${o.backupMaxAgeHours} h.`,
      },
      {
        // For the frequent ones (hourly Redis snapshots, 30-minute uploads), whose RPO a day-long
        // threshold would not hold: the interval is kube-state-metrics' next schedule time minus the
        // last (next is computed from the last, so it stays the interval when runs stop succeeding).
        // Jobs that run less often than a third of the maximum age are BackupTooOld's.
        alert: 'BackupRunsMissed',
        expr: `(time() - max by (namespace, cronjob) (kube_cronjob_status_last_successful_time{${backup}})) > on (namespace, cronjob) (3 * max by (namespace, cronjob) (kube_cronjob_next_schedule_time{${backup}} - kube_cronjob_status_last_schedule_time{${backup}}) < ${maxAge})`,
        for: '10m',
        severity: 'critical',
        summary: 'Backup CronJob {{ $labels.namespace }}/{{ $labels.cronjob }} has not succeeded in three of its intervals',
        description: 'Its last successful run is older than three times its schedule interval: the data written since is not backed up. Look for a suspended CronJob, failing Jobs or pods that cannot start.',
      },
      {
        alert: 'BackupNeverSucceeded',
        expr: `(kube_cronjob_info{${backup}} unless on (namespace, cronjob) kube_cronjob_status_last_successful_time) and on (namespace, cronjob) (time() - kube_cronjob_created > ${maxAge})`,
        for: '10m',
        severity: 'critical',
        summary: 'Backup CronJob {{ $labels.namespace }}/{{ $labels.cronjob }} has never succeeded',
        description: `The CronJob exists for more than ${o.backupMaxAgeHours} h without a successful run.`,
      },
      {
        // The drill's checks (dump present, recent, readable, not much smaller than the one
        // before, restorable, row counts) end in the Job's status; its log says which failed.
        alert: 'RestoreDrillFailed',
        expr: 'max by (namespace, owner_name) (kube_job_owner{owner_kind="CronJob", owner_name=~".*restore-drill"} * on (namespace, job_name) group_left kube_job_status_failed) > 0',
        for: '0m',
        severity: 'critical',
        summary: 'Restore drill {{ $labels.namespace }}/{{ $labels.owner_name }} failed',
        description: 'Last night\'s backup did not restore cleanly, or a dump is missing, old, unreadable or much smaller than the one before. kubectl logs job/<name> names the database and the check.',
      },
      {
        alert: 'RestoreDrillNotRun',
        expr: `time() - max by (namespace, cronjob) (kube_cronjob_status_last_successful_time{cronjob=~".*restore-drill"}) > ${maxAge}`,
        for: '10m',
        severity: 'critical',
        summary: `Restore drill {{ $labels.namespace }}/{{ $labels.cronjob }} has not succeeded in ${o.backupMaxAgeHours} hours`,
        description: 'Nothing has proven the backups restore since. Check that the CronJob is scheduled (not suspended) and its last Job.',
      },
      {
        alert: 'PostgresWalArchivingFailing',
        expr: 'increase(pg_stat_archiver_failed_count[10m]) > 0',
        for: '15m',
        severity: 'critical',
        summary: 'PostgreSQL {{ $labels.namespace }}/{{ $labels.pod }} fails to archive WAL',
        description: 'archive_command keeps failing: point-in-time recovery stops at the last archived segment, and pg_wal grows until the data volume is full. The server log says why (often a full backups volume).',
      },
      {
        // Idle servers switch no segment (archive_timeout only forces one after writes), so
        // only a server that is taking writes can be stale.
        alert: 'PostgresWalArchiveStale',
        expr: `pg_stat_archiver_last_archive_age > ${o.walArchiveMaxAgeSeconds} and on (namespace, pod) sum by (namespace, pod) (`
          + 'increase(pg_stat_database_tup_inserted[10m]) + increase(pg_stat_database_tup_updated[10m]) + increase(pg_stat_database_tup_deleted[10m])) > 0',
        for: '5m',
        severity: 'critical',
        summary: 'PostgreSQL {{ $labels.namespace }}/{{ $labels.pod }} has archived no WAL for {{ $value | humanizeDuration }}',
        description: `The server takes writes but its last archived segment is older than ${o.walArchiveMaxAgeSeconds} s, beyond the recovery point objective: writes since then would be lost with the volume.`,
      },
      {
        alert: 'BackupVolumeShrankSharply',
        expr: `kubelet_volume_stats_used_bytes{persistentvolumeclaim=~".*-backups"} < ${o.backupShrinkRatio} * max_over_time(kubelet_volume_stats_used_bytes{persistentvolumeclaim=~".*-backups"}[1d])`,
        for: '30m',
        severity: 'warning',
        summary: 'Backups volume {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} lost more than half its data within a day',
        description: 'Retention removes one day of backups at a time; a sharp drop means backups were deleted or new ones are far smaller. The restore drill also fails on a dump much smaller than the one before.',
      },
      {
        alert: 'BackupUploadFailing',
        expr: `time() - max by (namespace, cronjob) (kube_cronjob_status_last_successful_time{cronjob=~".*-backup-upload"}) > ${o.uploadMaxAgeHours * 3600}`,
        for: '10m',
        severity: 'critical',
        summary: `Off-site upload {{ $labels.namespace }}/{{ $labels.cronjob }} has not succeeded in ${o.uploadMaxAgeHours} h`,
        description: 'The encrypted copies in the bucket are falling behind: losing the cluster now loses more than the recovery point objective. kubectl logs job/<name> -c encrypt (or -c upload) says why.',
      },
    ],
    'novahost.certificates': [
      {
        // The metric's own `namespace` (the Certificate's) clashes with the target label
        // `namespace` (cert-manager's own), so Prometheus keeps it as exported_namespace.
        alert: 'CertificateExpiringSoon',
        expr: `certmanager_certificate_expiration_timestamp_seconds - time() < ${o.certificateExpiryDays} * 86400`,
        for: '1h',
        severity: 'warning',
        summary: `Certificate {{ $labels.exported_namespace }}/{{ $labels.name }} expires in less than ${o.certificateExpiryDays} days`,
        description: 'cert-manager renews 30 days ahead, so renewal is failing: kubectl describe certificate, then the Order and Challenge.',
      },
    ],
    'novahost.workloads': [
      {
        alert: 'PodCrashLooping',
        expr: 'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"}[5m]) >= 1 or increase(kube_pod_container_status_restarts_total[15m]) > 3',
        for: '10m',
        severity: 'warning',
        summary: 'Container {{ $labels.namespace }}/{{ $labels.pod }}/{{ $labels.container }} is crash-looping',
        description: 'The container keeps restarting. kubectl logs --previous shows why it exited.',
      },
    ],
    'novahost.node': [
      {
        alert: 'NodeMemoryPressure',
        expr: 'kube_node_status_condition{condition="MemoryPressure", status="true"} == 1',
        for: '2m',
        severity: 'critical',
        summary: 'Node {{ $labels.node }} reports memory pressure',
        description: 'The kubelet is about to evict pods. Lower requests and limits, remove an app, or grow the node.',
      },
      {
        alert: 'NodeMemoryLow',
        expr: 'node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes < 0.1',
        for: '5m',
        severity: 'warning',
        summary: 'Node {{ $labels.instance }} has less than 10% memory available',
        description: 'Memory is nearly exhausted; the kernel or the kubelet will kill pods soon.',
      },
    ],
  };
}
