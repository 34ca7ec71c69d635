// The CronJobs around the backups volume: base backups, the encrypted off-site upload and the
// nightly restore drill, and the one CronJob shape (with the volume's co-location) they share
// with the nightly dumps.
import { k8s } from 'cdk8s-plus-28';
import { AWS_CHECKSUM_ENV } from '../../core/pins';
import { resourceRequirements, restrictedContainerSecurityContext, scratchVolume } from '../../core/security';
import { drillScript } from './drill';
import { encryptScript, OffsiteLayout, offsiteLayout, uploadScript } from './offsite';
import { BASE_BACKUP_DEADLINE_SECONDS, baseBackupScript } from './pitr';
import { remoteRetentionScript } from './remote-retention';
import {
  BACKUP_DIR, BASE_BACKUP_DIR, DEFAULT_ENCRYPT_IMAGE, DEFAULT_S3_UPLOAD_IMAGE, DRILL_DATABASE, PORT, REPLICATION_ROLE, WAL_ARCHIVE_DIR,
} from './props';
import type { PostgresServerParts as SharedPostgres } from './parts';
import { scheduledJob } from '../scheduled-job';


/** What every pod of the server's Jobs sets alike: run once, no API token or service links, the server's user. */
export function jobPodDefaults(pg: SharedPostgres): Pick<k8s.PodSpec, 'restartPolicy' | 'automountServiceAccountToken' | 'enableServiceLinks' | 'securityContext'> {
  return { restartPolicy: 'Never', automountServiceAccountToken: false, enableServiceLinks: false, securityContext: pg.podSecurity() };
}

/** The backups PVC. */
export function backupVolumeName(pg: SharedPostgres): string {
  return `${pg.name}-backups`;
}

/** The Secret with the passphrase of the off-site copies. */
export function encryptionSecretOf(pg: SharedPostgres): { name: string; key: string } {
  return { name: pg.backup.s3?.encryptionSecret ?? `${pg.name}-backup-encryption`, key: 'passphrase' };
}

/** Where the upload writes, for the restore procedure. */
export function remotePrefixOf(pg: SharedPostgres): string {
  return pg.backup.s3?.prefix ?? `${pg.namespace}/${pg.name}`;
}

export interface BackupCronJobOptions {
  readonly id: string;
  readonly name: string;
  readonly component: string;
  readonly schedule: string;
  readonly containers: k8s.Container[];
  readonly initContainers?: k8s.Container[];
  readonly volumes?: k8s.Volume[];
  readonly activeDeadlineSeconds: number;
}

/**
 * A CronJob that mounts the backups volume. With archiving on, the server pod mounts that
 * ReadWriteOnce volume too, and a second pod can only mount it on the same node: so these pods
 * must run beside the server (required pod affinity), or they would hang in ContainerCreating
 * with a Multi-Attach error.
 */
export function backupCronJob(pg: SharedPostgres, o: BackupCronJobOptions): k8s.KubeCronJob {
  const labels = pg.labels(o.component);
  const affinity: k8s.Affinity | undefined = pg.backup.pitr ? {
    podAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: pg.endpoint.podLabels }, topologyKey: 'kubernetes.io/hostname' }],
    },
  } : undefined;
  return scheduledJob(pg, o.id, {
    name: o.name,
    labels,
    schedule: o.schedule,
    startingDeadlineSeconds: 3600,
    activeDeadlineSeconds: o.activeDeadlineSeconds,
    pod: {
      ...jobPodDefaults(pg),
      affinity,
      initContainers: o.initContainers,
      containers: o.containers,
      volumes: [{ name: 'backups', persistentVolumeClaim: { claimName: backupVolumeName(pg) } }, ...(o.volumes ?? [])],
    },
  });
}

const backups = (readOnly = false): k8s.VolumeMount => ({ name: 'backups', mountPath: BACKUP_DIR, ...(readOnly ? { readOnly } : {}) });

/**
 * The init container of an upload CronJob that gpg-encrypts what is new on the backups volume
 * (encryptScript), with the passphrase from the Secret volume `encryption`. Shared by SharedRedis.
 */
export function encryptContainer(o: { readonly image: string; readonly layout: OffsiteLayout; readonly mounts: k8s.VolumeMount[]; readonly cpuRequest: string }): k8s.Container {
  return {
    name: 'encrypt',
    image: o.image,
    // The image's entrypoint is git.
    command: ['sh', '-c', encryptScript(o.layout)],
    env: [{ name: 'PASSPHRASE_FILE', value: '/encryption/passphrase' }, { name: 'HOME', value: '/tmp' }],
    resources: resourceRequirements({}, { cpuRequest: o.cpuRequest, memoryRequest: '32Mi', memoryLimit: '128Mi' }),
    securityContext: restrictedContainerSecurityContext(),
    volumeMounts: [...o.mounts, { name: 'encryption', mountPath: '/encryption', readOnly: true }],
  };
}

/** Daily `pg_basebackup` as the replication role, with retention of base backups and WAL. */
export function renderBaseBackupJob(pg: SharedPostgres): void {
  const pitr = pg.backup.pitr;
  if (!pitr || !pg.replicationPassword) return;
  const tmp = scratchVolume('tmp', '/tmp', '64Mi');
  backupCronJob(pg, {
    id: 'BaseBackup',
    name: `${pg.name}-basebackup`,
    component: 'backup',
    schedule: pitr.baseBackupSchedule,
    // Retention reasons with it: a base backup that started this long ago has finished.
    activeDeadlineSeconds: BASE_BACKUP_DEADLINE_SECONDS,
    containers: [{
      name: 'basebackup',
      image: pg.image,
      command: ['sh', '-c', baseBackupScript({ walDir: WAL_ARCHIVE_DIR, baseDir: BASE_BACKUP_DIR, keep: pitr.keepBaseBackups, retentionDays: pitr.retentionDays })],
      env: [
        { name: 'PGHOST', value: pg.endpoint.host },
        { name: 'PGPORT', value: String(PORT) },
        { name: 'PGUSER', value: REPLICATION_ROLE },
        { name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: pg.replicationPassword.name, key: pg.replicationPassword.key } } },
        { name: 'PGCONNECT_TIMEOUT', value: '10' },
      ],
      resources: resourceRequirements(pg.backup.resources, { cpuRequest: '50m', memoryRequest: '64Mi', memoryLimit: '256Mi' }),
      securityContext: restrictedContainerSecurityContext(),
      volumeMounts: [backups(), tmp.mount],
    }],
    volumes: [tmp.volume],
  });
}

/** Every RPO interval: encrypt what is new on the volume (gpg), upload it (aws s3 sync), then apply retention to the remote copy. */
export function renderOffsiteJob(pg: SharedPostgres): void {
  const s3 = pg.backup.s3;
  if (!s3) return;
  const tmp = scratchVolume('tmp', '/tmp', '64Mi');
  const key = encryptionSecretOf(pg);
  const layout = offsiteLayout(BACKUP_DIR);
  const rpo = pg.backup.pitr?.rpoMinutes;
  backupCronJob(pg, {
    id: 'OffsiteUpload',
    name: `${pg.name}-backup-upload`,
    component: 'backup-upload',
    // Without archiving only the nightly dumps change: hourly is soon enough.
    schedule: rpo === undefined ? '7 * * * *' : rpo < 60 ? `*/${rpo} * * * *` : '0 * * * *',
    activeDeadlineSeconds: 3 * 3600,
    initContainers: [encryptContainer({ image: s3.encryptImage ?? DEFAULT_ENCRYPT_IMAGE, layout, mounts: [backups(), tmp.mount], cpuRequest: '50m' })],
    containers: [{
      name: 'upload',
      image: s3.image ?? DEFAULT_S3_UPLOAD_IMAGE,
      // Remote retention runs only after an upload that succeeded (set -e), with the volume's rules.
      command: ['sh', '-c', uploadScript({ ...layout, endpoint: s3.endpoint, bucket: s3.bucket, prefix: remotePrefixOf(pg) }) + remoteRetentionScript({
        endpoint: s3.endpoint,
        bucket: s3.bucket,
        prefix: remotePrefixOf(pg),
        baseBackups: pg.backup.pitr ? { keep: pg.backup.pitr.keepBaseBackups, retentionDays: pg.backup.pitr.retentionDays } : undefined,
        dumpRetentionDays: pg.backup.retentionDays,
      })],
      env: [
        { name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: s3.credentialsSecret, key: s3.accessKeyIdKey ?? 'access-key-id' } } },
        { name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: s3.credentialsSecret, key: s3.secretAccessKeyKey ?? 'secret-access-key' } } },
        { name: 'AWS_DEFAULT_REGION', value: s3.region ?? 'us-east-1' },
        // The CLI writes its cache under HOME; the root filesystem is read-only.
        { name: 'HOME', value: '/tmp' },
        ...AWS_CHECKSUM_ENV,
      ],
      resources: resourceRequirements({}, { cpuRequest: '50m', memoryRequest: '128Mi', memoryLimit: '256Mi' }),
      securityContext: restrictedContainerSecurityContext(),
      volumeMounts: [backups(), tmp.mount],
    }],
    volumes: [tmp.volume, { name: 'encryption', secret: { secretName: key.name, items: [{ key: key.key, path: 'passphrase' }] } }],
  });
}

/** Nightly: the latest dumps restored into a scratch database on the server and checked. */
export function renderDrillJob(pg: SharedPostgres): void {
  const drill = pg.backup.drill;
  if (!drill || !pg.databaseHandles.length) return;
  const tmp = scratchVolume('tmp', '/tmp', '64Mi');
  backupCronJob(pg, {
    id: 'RestoreDrill',
    name: `${pg.name}-restore-drill`,
    component: 'backup',
    schedule: drill.schedule,
    activeDeadlineSeconds: 3 * 3600,
    containers: [{
      name: 'drill',
      image: pg.image,
      command: ['sh', '-c', drillScript({
        databases: pg.databaseHandles.map((d) => ({ name: d.database, timescaledb: d.extensions.includes('timescaledb') })),
        directory: BACKUP_DIR,
        scratch: DRILL_DATABASE,
        rowTolerance: drill.rowTolerance,
        minSizeRatio: drill.minSizeRatio,
        maxDumpAgeHours: drill.maxDumpAgeHours,
      })],
      env: pg.superuserEnv(),
      resources: resourceRequirements(pg.backup.resources, { cpuRequest: '50m', memoryRequest: '64Mi', memoryLimit: '256Mi' }),
      securityContext: restrictedContainerSecurityContext(),
      volumeMounts: [backups(true), tmp.mount],
    }],
    volumes: [tmp.volume],
  });
}
