/**
 * The platform's alerts, proven with Prometheus' own rule engine: the PrometheusRule groups of
 * dist/monitoring go to `promtool check rules`, and `promtool test rules` runs each alert over
 * input series labelled as the real scrape labels them. For the platform's exporters the target
 * labels are derived from dist/ itself (ServiceMonitor -> Service -> pod template -> container
 * that owns the port), as the Prometheus operator does: job and service = the Service's name,
 * namespace, pod, container, endpoint = the port name, instance = pod IP:port. Every alert must
 * fire in one case and stay silent in another.
 *
 * promtool comes from Debian's prometheus package; scripts/test.sh unpacks it and sets PROMTOOL.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';
import { loadManifests } from '../../lib/checks/policies/load';

const ROOT = path.join(__dirname, '..', '..');
const PROMTOOL = process.env.PROMTOOL || 'promtool';
const objects = [...loadManifests(path.join(ROOT, 'dist')).values()] as any[];

type Labels = Record<string, string>;
interface Series { series: string; values: string }
interface AlertCase { eval_time: string; alertname: string; exp_alerts: Array<{ exp_labels: Labels; exp_annotations?: Labels }> }
interface UnitTest { name: string; interval: string; input_series: Series[]; alert_rule_test: AlertCase[]; evaluation?: string }

const series = (metric: string, labels: Labels, values: string): Series => ({
  series: `${metric}{${Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}}`,
  values,
});

/** Labels of the target the Prometheus operator builds for a platform ServiceMonitor (first pod). */
function targetLabels(namespace: string, serviceMonitor: string): Labels {
  const sm = objects.find((o) => o.kind === 'ServiceMonitor' && o.metadata.namespace === namespace && o.metadata.name === serviceMonitor);
  if (!sm) throw new Error(`dist/ has no ServiceMonitor ${namespace}/${serviceMonitor}`);
  const endpoint = sm.spec.endpoints[0].port;
  const svc = objects.find((o) => o.kind === 'Service' && o.metadata.namespace === namespace
    && Object.entries(sm.spec.selector.matchLabels).every(([k, v]) => o.metadata.labels?.[k] === v));
  const port = svc.spec.ports.find((p: any) => p.name === endpoint);
  const workload = objects.find((o) => ['StatefulSet', 'Deployment'].includes(o.kind) && o.metadata.namespace === namespace
    && Object.entries(svc.spec.selector).every(([k, v]) => o.spec.template.metadata.labels?.[k] === v));
  const container = workload.spec.template.spec.containers.find((c: any) => (c.ports ?? []).some((p: any) => p.name === port.targetPort || p.containerPort === port.targetPort));
  const containerPort = container.ports.find((p: any) => p.name === port.targetPort || p.containerPort === port.targetPort).containerPort;
  const pod = workload.kind === 'StatefulSet' ? `${workload.metadata.name}-0` : `${workload.metadata.name}-5d8f7c9b4-x2k8q`;
  return { job: svc.metadata.name, namespace, service: svc.metadata.name, pod, container: container.name, endpoint, instance: `10.42.0.17:${containerPort}` };
}

/** Chart-rendered scrape targets, as facts/charts/reference records their Services and ports. */
const KSM = { job: 'kube-state-metrics', service: 'kube-prometheus-stack-kube-state-metrics', endpoint: 'http', instance: '10.42.0.21:8080' };
const NODE_EXPORTER = {
  job: 'node-exporter', namespace: 'monitoring', service: 'kube-prometheus-stack-prometheus-node-exporter', pod: 'kube-prometheus-stack-prometheus-node-exporter-7xk2p',
  container: 'node-exporter', endpoint: 'http-metrics', instance: '10.0.0.5:9100',
};
const KUBELET = { job: 'kubelet', service: 'kube-prometheus-stack-kubelet', endpoint: 'https-metrics', metrics_path: '/metrics', node: 'node-1', instance: '10.0.0.5:10250' };

const rules = objects.filter((o) => o.kind === 'PrometheusRule');
const groups = rules.flatMap((r) => r.spec.groups);
const alerts = new Map<string, any>(groups.flatMap((g: any) => g.rules.filter((r: any) => r.alert).map((r: any) => [r.alert, r])));
const severity = (alert: string) => alerts.get(alert).labels.severity;
const description = (alert: string) => alerts.get(alert).annotations.description;

/** Each alert: input series, when it must fire (with what), and a case where it must not. */
function unitTests(): UnitTest[] {
  const postgres = targetLabels('shared', 'postgres');
  const redis = targetLabels('shared', 'redis');
  // Traefik's pod is the chart's (facts/charts/reference/traefik.json: container traefik, port metrics).
  const traefik = { job: 'traefik-metrics', namespace: 'shared', service: 'traefik-metrics', pod: 'traefik-6d5f8b7c9-m4n5p', container: 'traefik', endpoint: 'metrics', instance: '10.42.0.8:9100' };
  const certManager = { job: 'cert-manager', namespace: 'shared', service: 'cert-manager', pod: 'cert-manager-6b9c8d7f5-q8z2m', container: 'cert-manager-controller', endpoint: 'http-metrics', instance: '10.42.0.9:9402' };
  const t = (name: string, input: Series[], cases: AlertCase[], interval = '1m'): UnitTest => ({ name, interval, input_series: input, alert_rule_test: cases, evaluation: interval });
  const fires = (alertname: string, at: string, labels: Labels, summary: string): AlertCase => ({
    eval_time: at, alertname, exp_alerts: [{ exp_labels: { ...labels, severity: severity(alertname) }, exp_annotations: { summary, description: description(alertname) } }],
  });
  const silent = (alertname: string, at: string): AlertCase => ({ eval_time: at, alertname, exp_alerts: [] });
  const day = 86400;

  return [
    t('RedisDown', [series('redis_up', redis, '0x10'), series('redis_up', { ...redis, pod: 'redis-1' }, '1x10')], [
      silent('RedisDown', '1m'),
      fires('RedisDown', '5m', redis, `Redis shared/${redis.pod} is down`),
    ]),
    t('PostgresDown', [series('pg_up', postgres, '0x10'), series('pg_up', { ...postgres, pod: 'postgres-1' }, '1x10')], [
      silent('PostgresDown', '1m'),
      fires('PostgresDown', '5m', postgres, `PostgreSQL shared/${postgres.pod} is down`),
    ]),
    // The exporter of PostgreSQL is gone: no pg_up at all, only the scrape's own `up`.
    t('MetricsExporterDown', [series('up', postgres, '0x10'), series('up', redis, '1x10'), series('up', traefik, '0x10')], [
      silent('MetricsExporterDown', '1m'),
      fires('MetricsExporterDown', '5m', postgres, `Exporter of shared/${postgres.service} (${postgres.pod}) cannot be scraped`),
      silent('PostgresDown', '5m'),
    ]),
    t('PersistentVolumeFillingUp', [
      series('kubelet_volume_stats_used_bytes', { ...KUBELET, namespace: 'shared', persistentvolumeclaim: 'data-postgres-0' }, '9x30'),
      series('kubelet_volume_stats_capacity_bytes', { ...KUBELET, namespace: 'shared', persistentvolumeclaim: 'data-postgres-0' }, '10x30'),
      series('kubelet_volume_stats_used_bytes', { ...KUBELET, namespace: 'shared', persistentvolumeclaim: 'data-redis-0' }, '5x30'),
      series('kubelet_volume_stats_capacity_bytes', { ...KUBELET, namespace: 'shared', persistentvolumeclaim: 'data-redis-0' }, '10x30'),
    ], [
      silent('PersistentVolumeFillingUp', '5m'),
      fires('PersistentVolumeFillingUp', '15m', { namespace: 'shared', persistentvolumeclaim: 'data-postgres-0' }, 'PVC shared/data-postgres-0 is 90% full'),
    ]),
    t('BackupJobFailed', [
      series('kube_job_owner', { ...KSM, namespace: 'shared', pod: 'ksm-pod', container: 'kube-state-metrics', job_name: 'postgres-backup-29100000', owner_kind: 'CronJob', owner_name: 'postgres-backup', owner_is_controller: 'true' }, '1x10'),
      series('kube_job_status_failed', { ...KSM, namespace: 'shared', pod: 'ksm-pod', container: 'kube-state-metrics', job_name: 'postgres-backup-29100000' }, '0 0 1x8'),
      series('kube_job_owner', { ...KSM, namespace: 'novahost', pod: 'ksm-pod', container: 'kube-state-metrics', job_name: 'report-29100000', owner_kind: 'CronJob', owner_name: 'report', owner_is_controller: 'true' }, '1x10'),
      series('kube_job_status_failed', { ...KSM, namespace: 'novahost', pod: 'ksm-pod', container: 'kube-state-metrics', job_name: 'report-29100000' }, '1x10'),
    ], [
      silent('BackupJobFailed', '1m'),
      fires('BackupJobFailed', '3m', { namespace: 'shared', owner_name: 'postgres-backup' }, 'Backup CronJob shared/postgres-backup has a failed Job'),
    ]),
    // promtool starts at the epoch: time() at `27h` is 97200.
    t('BackupTooOld', [
      series('kube_cronjob_status_last_successful_time', { ...KSM, namespace: 'shared', pod: 'ksm-pod', container: 'kube-state-metrics', cronjob: 'postgres-backup' }, '0x180'),
      series('kube_cronjob_status_last_successful_time', { ...KSM, namespace: 'shared', pod: 'ksm-pod', container: 'kube-state-metrics', cronjob: 'redis-backup' }, '0+600x180'),
    ], [
      silent('BackupTooOld', '25h'),
      fires('BackupTooOld', '27h', { namespace: 'shared', cronjob: 'postgres-backup' }, 'No successful backup of shared/postgres-backup in 26 hours'),
    ], '10m'),
    t('BackupNeverSucceeded', [
      series('kube_cronjob_info', { ...KSM, namespace: 'shared', pod: 'ksm-pod', container: 'kube-state-metrics', cronjob: 'postgres-backup', schedule: '0 3 * * *', concurrency_policy: 'Forbid' }, '1x180'),
      series('kube_cronjob_created', { ...KSM, namespace: 'shared', pod: 'ksm-pod', container: 'kube-state-metrics', cronjob: 'postgres-backup' }, '0x180'),
      series('kube_cronjob_info', { ...KSM, namespace: 'shared', pod: 'ksm-pod', container: 'kube-state-metrics', cronjob: 'redis-backup', schedule: '0 4 * * *', concurrency_policy: 'Forbid' }, '1x180'),
      series('kube_cronjob_created', { ...KSM, namespace: 'shared', pod: 'ksm-pod', container: 'kube-state-metrics', cronjob: 'redis-backup' }, '0x180'),
      series('kube_cronjob_status_last_successful_time', { ...KSM, namespace: 'shared', pod: 'ksm-pod', container: 'kube-state-metrics', cronjob: 'redis-backup' }, '0+600x180'),
    ], [
      silent('BackupNeverSucceeded', '25h'),
      fires('BackupNeverSucceeded', '27h', {
        ...KSM, namespace: 'shared', pod: 'ksm-pod', container: 'kube-state-metrics', cronjob: 'postgres-backup', schedule: '0 3 * * *', concurrency_policy: 'Forbid',
      }, 'Backup CronJob shared/postgres-backup has never succeeded'),
    ], '10m'),
    t('RestoreDrillFailed', [
      series('kube_job_owner', { ...KSM, namespace: 'shared', pod: 'ksm-pod', container: 'kube-state-metrics', job_name: 'postgres-restore-drill-29100000', owner_kind: 'CronJob', owner_name: 'postgres-restore-drill', owner_is_controller: 'true' }, '1x10'),
      series('kube_job_status_failed', { ...KSM, namespace: 'shared', pod: 'ksm-pod', container: 'kube-state-metrics', job_name: 'postgres-restore-drill-29100000' }, '0 0 1x8'),
      series('kube_job_owner', { ...KSM, namespace: 'shared', pod: 'ksm-pod', container: 'kube-state-metrics', job_name: 'postgres-backup-29100000', owner_kind: 'CronJob', owner_name: 'postgres-backup', owner_is_controller: 'true' }, '1x10'),
      series('kube_job_status_failed', { ...KSM, namespace: 'shared', pod: 'ksm-pod', container: 'kube-state-metrics', job_name: 'postgres-backup-29100000' }, '0x10'),
    ], [
      silent('RestoreDrillFailed', '1m'),
      fires('RestoreDrillFailed', '3m', { namespace: 'shared', owner_name: 'postgres-restore-drill' }, 'Restore drill shared/postgres-restore-drill failed'),
    ]),
    t('RestoreDrillNotRun', [
      series('kube_cronjob_status_last_successful_time', { ...KSM, namespace: 'shared', pod: 'ksm-pod', container: 'kube-state-metrics', cronjob: 'postgres-restore-drill' }, '0x180'),
      series('kube_cronjob_status_last_successful_time', { ...KSM, namespace: 'shared', pod: 'ksm-pod', container: 'kube-state-metrics', cronjob: 'other-restore-drill' }, '0+600x180'),
    ], [
      silent('RestoreDrillNotRun', '25h'),
      fires('RestoreDrillNotRun', '27h', { namespace: 'shared', cronjob: 'postgres-restore-drill' }, 'Restore drill shared/postgres-restore-drill has not succeeded in 26 hours'),
    ], '10m'),
    t('PostgresWalArchivingFailing', [
      series('pg_stat_archiver_failed_count', postgres, '0x5 1+1x30'),
      series('pg_stat_archiver_failed_count', { ...postgres, pod: 'postgres-1' }, '3x35'),
    ], [
      silent('PostgresWalArchivingFailing', '5m'),
      fires('PostgresWalArchivingFailing', '25m', postgres, `PostgreSQL shared/${postgres.pod} fails to archive WAL`),
    ]),
    // The server takes writes from 0 on; its last segment ages from 0 (archiving stopped), the
    // idle one's too (no writes, nothing to archive).
    t('PostgresWalArchiveStale', [
      series('pg_stat_archiver_last_archive_age', postgres, '0+60x40'),
      series('pg_stat_database_tup_inserted', { ...postgres, datid: '16384', datname: 'novahost' }, '0+100x40'),
      series('pg_stat_database_tup_updated', { ...postgres, datid: '16384', datname: 'novahost' }, '0x40'),
      series('pg_stat_database_tup_deleted', { ...postgres, datid: '16384', datname: 'novahost' }, '0x40'),
      series('pg_stat_archiver_last_archive_age', { ...postgres, pod: 'postgres-1' }, '0+60x40'),
      series('pg_stat_database_tup_inserted', { ...postgres, pod: 'postgres-1', datid: '16384', datname: 'novahost' }, '5x40'),
      series('pg_stat_database_tup_updated', { ...postgres, pod: 'postgres-1', datid: '16384', datname: 'novahost' }, '0x40'),
      series('pg_stat_database_tup_deleted', { ...postgres, pod: 'postgres-1', datid: '16384', datname: 'novahost' }, '0x40'),
    ], [
      silent('PostgresWalArchiveStale', '8m'),
      { eval_time: '20m', alertname: 'PostgresWalArchiveStale', exp_alerts: [{ exp_labels: { ...postgres, severity: severity('PostgresWalArchiveStale') }, exp_annotations: { summary: `PostgreSQL shared/${postgres.pod} has archived no WAL for 20m 0s`, description: description('PostgresWalArchiveStale') } }] },
    ]),
    t('BackupVolumeShrankSharply', [
      series('kubelet_volume_stats_used_bytes', { ...KUBELET, namespace: 'shared', persistentvolumeclaim: 'postgres-backups' }, '1000x60 400x60'),
      series('kubelet_volume_stats_used_bytes', { ...KUBELET, namespace: 'shared', persistentvolumeclaim: 'data-postgres-0' }, '1000x60 400x60'),
    ], [
      silent('BackupVolumeShrankSharply', '50m'),
      fires('BackupVolumeShrankSharply', '100m', { ...KUBELET, namespace: 'shared', persistentvolumeclaim: 'postgres-backups' }, 'Backups volume shared/postgres-backups lost more than half its data within a day'),
    ]),
    t('BackupUploadFailing', [
      series('kube_cronjob_status_last_successful_time', { ...KSM, namespace: 'shared', pod: 'ksm-pod', container: 'kube-state-metrics', cronjob: 'postgres-backup-upload' }, '0x30'),
      series('kube_cronjob_status_last_successful_time', { ...KSM, namespace: 'shared', pod: 'ksm-pod', container: 'kube-state-metrics', cronjob: 'other-backup-upload' }, '0+300x30'),
    ], [
      silent('BackupUploadFailing', '50m'),
      fires('BackupUploadFailing', '80m', { namespace: 'shared', cronjob: 'postgres-backup-upload' }, 'Off-site upload shared/postgres-backup-upload has not succeeded in 1 h'),
    ], '5m'),
    // SharedRedis' snapshot and upload CronJobs (names as dist/ has them) are watched by the same rules.
    t('BackupJobFailed (Redis snapshots)', [
      series('kube_job_owner', { ...KSM, namespace: 'shared', pod: 'ksm-pod', container: 'kube-state-metrics', job_name: 'redis-backup-29100013', owner_kind: 'CronJob', owner_name: 'redis-backup', owner_is_controller: 'true' }, '1x10'),
      series('kube_job_status_failed', { ...KSM, namespace: 'shared', pod: 'ksm-pod', container: 'kube-state-metrics', job_name: 'redis-backup-29100013' }, '0 0 1x8'),
    ], [
      silent('BackupJobFailed', '1m'),
      fires('BackupJobFailed', '3m', { namespace: 'shared', owner_name: 'redis-backup' }, 'Backup CronJob shared/redis-backup has a failed Job'),
    ]),
    t('BackupTooOld (Redis snapshots)', [
      series('kube_cronjob_status_last_successful_time', { ...KSM, namespace: 'shared', pod: 'ksm-pod', container: 'kube-state-metrics', cronjob: 'redis-backup' }, '0x180'),
    ], [
      silent('BackupTooOld', '25h'),
      fires('BackupTooOld', '27h', { namespace: 'shared', cronjob: 'redis-backup' }, 'No successful backup of shared/redis-backup in 26 hours'),
    ], '10m'),
    t('BackupRunsMissed', [
      // An hourly job that stopped succeeding; an hourly one that succeeds; a daily one (BackupTooOld's).
      ...[['redis-backup', '0x180'], ['other-backup', '0+600x180']].flatMap(([cronjob, successful]) => [
        series('kube_cronjob_status_last_successful_time', { ...KSM, namespace: 'shared', pod: 'ksm-pod', container: 'kube-state-metrics', cronjob }, successful),
        series('kube_cronjob_status_last_schedule_time', { ...KSM, namespace: 'shared', pod: 'ksm-pod', container: 'kube-state-metrics', cronjob }, '0+600x180'),
        series('kube_cronjob_next_schedule_time', { ...KSM, namespace: 'shared', pod: 'ksm-pod', container: 'kube-state-metrics', cronjob }, '3600+600x180'),
      ]),
      series('kube_cronjob_status_last_successful_time', { ...KSM, namespace: 'shared', pod: 'ksm-pod', container: 'kube-state-metrics', cronjob: 'postgres-backup' }, '0x180'),
      series('kube_cronjob_status_last_schedule_time', { ...KSM, namespace: 'shared', pod: 'ksm-pod', container: 'kube-state-metrics', cronjob: 'postgres-backup' }, '0x180'),
      series('kube_cronjob_next_schedule_time', { ...KSM, namespace: 'shared', pod: 'ksm-pod', container: 'kube-state-metrics', cronjob: 'postgres-backup' }, '86400x180'),
    ], [
      silent('BackupRunsMissed', '2h50m'),
      fires('BackupRunsMissed', '4h', { namespace: 'shared', cronjob: 'redis-backup' }, 'Backup CronJob shared/redis-backup has not succeeded in three of its intervals'),
      fires('BackupRunsMissed', '29h', { namespace: 'shared', cronjob: 'redis-backup' }, 'Backup CronJob shared/redis-backup has not succeeded in three of its intervals'),
    ], '10m'),
    t('BackupNeverSucceeded (Redis upload)', [
      series('kube_cronjob_info', { ...KSM, namespace: 'shared', pod: 'ksm-pod', container: 'kube-state-metrics', cronjob: 'redis-backup-upload', schedule: '*/30 * * * *', concurrency_policy: 'Forbid' }, '1x180'),
      series('kube_cronjob_created', { ...KSM, namespace: 'shared', pod: 'ksm-pod', container: 'kube-state-metrics', cronjob: 'redis-backup-upload' }, '0x180'),
    ], [
      silent('BackupNeverSucceeded', '25h'),
      fires('BackupNeverSucceeded', '27h', {
        ...KSM, namespace: 'shared', pod: 'ksm-pod', container: 'kube-state-metrics', cronjob: 'redis-backup-upload', schedule: '*/30 * * * *', concurrency_policy: 'Forbid',
      }, 'Backup CronJob shared/redis-backup-upload has never succeeded'),
    ], '10m'),
    t('BackupUploadFailing (Redis upload)', [
      series('kube_cronjob_status_last_successful_time', { ...KSM, namespace: 'shared', pod: 'ksm-pod', container: 'kube-state-metrics', cronjob: 'redis-backup-upload' }, '0x30'),
    ], [
      silent('BackupUploadFailing', '50m'),
      fires('BackupUploadFailing', '80m', { namespace: 'shared', cronjob: 'redis-backup-upload' }, 'Off-site upload shared/redis-backup-upload has not succeeded in 1 h'),
    ], '5m'),
    // cert-manager's metric carries the Certificate's namespace; the scrape's own `namespace`
    // (cert-manager's) wins and the metric's becomes exported_namespace (no honorLabels).
    t('CertificateExpiringSoon', [
      series('certmanager_certificate_expiration_timestamp_seconds', { ...certManager, exported_namespace: 'novahost', name: 'novahost-tls', issuer_name: 'letsencrypt-prod', issuer_kind: 'ClusterIssuer', issuer_group: 'cert-manager.io' }, `${10 * day}x180`),
      series('certmanager_certificate_expiration_timestamp_seconds', { ...certManager, exported_namespace: 'excalidraw', name: 'excalidraw-tls', issuer_name: 'letsencrypt-prod', issuer_kind: 'ClusterIssuer', issuer_group: 'cert-manager.io' }, `${60 * day}x180`),
    ], [
      silent('CertificateExpiringSoon', '30m'),
      fires('CertificateExpiringSoon', '2h', {
        ...certManager, exported_namespace: 'novahost', name: 'novahost-tls', issuer_name: 'letsencrypt-prod', issuer_kind: 'ClusterIssuer', issuer_group: 'cert-manager.io',
      }, 'Certificate novahost/novahost-tls expires in less than 14 days'),
    ]),
    t('PodCrashLooping', [
      series('kube_pod_container_status_waiting_reason', { ...KSM, namespace: 'novahost', pod: 'web-7c9d8-abcde', container: 'web', uid: 'u1', reason: 'CrashLoopBackOff' }, '1x30'),
      series('kube_pod_container_status_restarts_total', { ...KSM, namespace: 'novahost', pod: 'api-7c9d8-fghij', container: 'api', uid: 'u2' }, '0x30'),
    ], [
      silent('PodCrashLooping', '5m'),
      fires('PodCrashLooping', '15m', { ...KSM, namespace: 'novahost', pod: 'web-7c9d8-abcde', container: 'web', uid: 'u1', reason: 'CrashLoopBackOff' }, 'Container novahost/web-7c9d8-abcde/web is crash-looping'),
    ]),
    // kube-state-metrics exports one series per status, the current one at 1.
    t('NodeMemoryPressure', [
      series('kube_node_status_condition', { ...KSM, namespace: 'monitoring', pod: 'ksm-pod', container: 'kube-state-metrics', node: 'node-1', condition: 'MemoryPressure', status: 'true' }, '0 0 1x8'),
      series('kube_node_status_condition', { ...KSM, namespace: 'monitoring', pod: 'ksm-pod', container: 'kube-state-metrics', node: 'node-1', condition: 'MemoryPressure', status: 'false' }, '1 1 0x8'),
      series('kube_node_status_condition', { ...KSM, namespace: 'monitoring', pod: 'ksm-pod', container: 'kube-state-metrics', node: 'node-1', condition: 'DiskPressure', status: 'true' }, '1x10'),
    ], [
      silent('NodeMemoryPressure', '2m'),
      fires('NodeMemoryPressure', '6m', { ...KSM, namespace: 'monitoring', pod: 'ksm-pod', container: 'kube-state-metrics', node: 'node-1', condition: 'MemoryPressure', status: 'true' }, 'Node node-1 reports memory pressure'),
    ]),
    t('NodeMemoryLow', [
      series('node_memory_MemAvailable_bytes', NODE_EXPORTER, '500 500 50x20'),
      series('node_memory_MemTotal_bytes', NODE_EXPORTER, '1000x22'),
    ], [
      silent('NodeMemoryLow', '4m'),
      fires('NodeMemoryLow', '10m', NODE_EXPORTER, `Node ${NODE_EXPORTER.instance} has less than 10% memory available`),
    ]),
  ];
}

function promtool(args: string[], cwd: string): { status: number | null; output: string } {
  const r = spawnSync(PROMTOOL, args, { cwd, encoding: 'utf8' });
  if (r.error) throw new Error(`${PROMTOOL}: ${r.error.message}. Run the tests with \`npm test\` (scripts/test.sh unpacks promtool from Debian's prometheus package), or set PROMTOOL`);
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('alert rules under promtool', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'novahost-rules-'));
    fs.writeFileSync(path.join(dir, 'rules.yaml'), stringify({ groups }));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('dist/monitoring holds the platform rules', () => {
    expect(rules.map((r) => `${r.metadata.namespace}/${r.metadata.name}`)).toEqual(['monitoring/novahost-platform-alerts']);
    expect(alerts.size).toBeGreaterThan(0);
  });

  it('promtool check rules accepts every group', () => {
    const r = promtool(['check', 'rules', 'rules.yaml'], dir);
    expect([r.status, r.output]).toEqual([0, expect.stringContaining(`SUCCESS: ${alerts.size} rules found`)]);
  });

  it('has a unit test for every alert, each with a firing and a silent case', () => {
    const tests = unitTests();
    for (const alert of alerts.keys()) {
      const cases = tests.flatMap((u) => u.alert_rule_test).filter((c) => c.alertname === alert);
      expect([alert, cases.some((c) => c.exp_alerts.length > 0), cases.some((c) => c.exp_alerts.length === 0)]).toEqual([alert, true, true]);
    }
  });

  it("selects SharedRedis' backup CronJobs of dist/ with the backup alerts' patterns", () => {
    const pattern = (alert: string) => new RegExp(`^(?:${/cronjob=~"([^"]+)"/.exec(alerts.get(alert).expr)![1]})$`);
    const redisJobs = objects.filter((o) => o.kind === 'CronJob' && o.metadata.labels?.['app.kubernetes.io/name'] === 'redis');
    expect(redisJobs.map((o) => o.metadata.name).sort()).toEqual(['redis-backup', 'redis-backup-upload']);
    for (const job of redisJobs) {
      for (const alert of ['BackupTooOld', 'BackupNeverSucceeded']) expect([alert, job.metadata.name, pattern(alert).test(job.metadata.name)]).toEqual([alert, job.metadata.name, true]);
      expect(/owner_name=~"([^"]+)"/.exec(alerts.get('BackupJobFailed').expr)![1]).toBe(/cronjob=~"([^"]+)"/.exec(alerts.get('BackupTooOld').expr)![1]);
    }
    expect(pattern('BackupUploadFailing').test('redis-backup-upload')).toBe(true);
  });

  it.each(unitTests().map((u) => [u.name, u] as const))('%s fires when it should and stays silent otherwise (promtool test rules)', (name, unit) => {
    const file = `test-${name}.yaml`;
    const { evaluation, ...test } = unit;
    // One rule evaluation per sample: a day-long series at 1m would take seconds.
    fs.writeFileSync(path.join(dir, file), stringify({ rule_files: ['rules.yaml'], evaluation_interval: evaluation ?? '1m', tests: [test] }));
    const r = promtool(['test', 'rules', file], dir);
    if (r.status !== 0) throw new Error(`promtool test rules ${name}:\n${r.output}`);
  });
});
