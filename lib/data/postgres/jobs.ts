// The server's Jobs: the provisioning hook that creates each app's role and database after every
// sync, and the nightly backup CronJob with its retained volume.
import { k8s } from 'cdk8s-plus-28';
import { dataProtection } from '../../core/annotations';
import { immutableJobAnnotations } from '../../core/job-annotations';
import { AWS_CHECKSUM_ENV } from '../../core/pins';
import { resourceRequirements, restrictedContainerSecurityContext, scratchVolume } from '../../core/security';
import { backupScript, s3UploadScript } from './backup';
import { PostgresDatabase } from './database';
import { ARGO_HOOK, ARGO_HOOK_DELETE_POLICY, BACKUP_DIR, DEFAULT_S3_UPLOAD_IMAGE, MONITOR_PASSWORD_ENV, MONITOR_ROLE, SQL_DIR } from './props';
import { DatabaseGrant, provisioningScript, provisioningSql } from './provisioning';
import { storageOf } from './settings';
import type { PostgresServerParts as SharedPostgres } from './parts';

function backupVolumeName(pg: SharedPostgres): string {
  return `${pg.name}-backups`;
}

export function renderBackupVolume(pg: SharedPostgres): void {
  const storage = storageOf(pg, 'backup.storage', pg.backup.storage);
  new k8s.KubePersistentVolumeClaim(pg, 'BackupVolume', {
    metadata: { name: backupVolumeName(pg), labels: pg.labels('backup'), annotations: dataProtection() },
    spec: {
      accessModes: ['ReadWriteOnce'],
      storageClassName: storage.storageClassName,
      resources: { requests: { storage: k8s.Quantity.fromString(storage.size) } },
    },
  });
}

export function renderProvisioning(pg: SharedPostgres): void {
  const handles = pg.databaseHandles;
  const grants: DatabaseGrant[] = handles.map((d) => ({
    database: d.database,
    role: d.role,
    passwordEnv: passwordEnvOf(d),
    extensions: d.extensions,
  }));
  const monitor = pg.exporterPassword ? { role: MONITOR_ROLE, passwordEnv: MONITOR_PASSWORD_ENV } : undefined;
  const labels = pg.labels('provisioning');
  const configMap = new k8s.KubeConfigMap(pg, 'ProvisioningSql', {
    metadata: { name: `${pg.name}-provisioning`, labels },
    data: { 'provision.sql': provisioningSql(grants, monitor) },
  });
  const script = provisioningScript(grants, {
    sqlFile: `${SQL_DIR}/provision.sql`,
    monitor,
    describeSecret: (g) => {
      const ref = handles.find((d) => d.database === g.database)!.serverSidePassword;
      return `key ${ref.key} of Secret ${ref.name} in namespace ${ref.namespace}`;
    },
  });
  const tmp = scratchVolume('tmp', '/tmp', '16Mi');
  new k8s.KubeJob(pg, 'Provisioning', {
    metadata: {
      name: `${pg.name}-provision`,
      labels,
      // After every sync, once the StatefulSet is healthy; the previous run's Job is replaced.
      // A fixed name (no hash of the SQL) because the Job must also run when only a password
      // Secret changed: the SQL is idempotent, so running it on every sync is the simple rule.
      annotations: immutableJobAnnotations(pg, { [ARGO_HOOK]: 'PostSync', [ARGO_HOOK_DELETE_POLICY]: 'BeforeHookCreation' }),
    },
    spec: {
      backoffLimit: 3,
      activeDeadlineSeconds: 900,
      ttlSecondsAfterFinished: 86400,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: pg.podSecurity(),
          containers: [{
            name: 'provision',
            image: pg.image,
            command: ['sh', '-c', script],
            env: [
              ...pg.superuserEnv(),
              ...handles.map((d) => ({
                name: passwordEnvOf(d),
                valueFrom: { secretKeyRef: { name: d.serverSidePassword.name, key: d.serverSidePassword.key } },
              })),
              ...(pg.exporterPassword
                ? [{ name: MONITOR_PASSWORD_ENV, valueFrom: { secretKeyRef: { name: pg.exporterPassword.name, key: pg.exporterPassword.key } } }]
                : []),
            ],
            resources: resourceRequirements({}, { cpuRequest: '50m', memoryRequest: '64Mi', memoryLimit: '128Mi' }),
            securityContext: restrictedContainerSecurityContext(),
            volumeMounts: [{ name: 'sql', mountPath: SQL_DIR, readOnly: true }, tmp.mount],
          }],
          volumes: [{ name: 'sql', configMap: { name: configMap.name } }, tmp.volume],
        },
      },
    },
  });
}

export function renderBackupJob(pg: SharedPostgres): void {
  const labels = pg.labels('backup');
  const s3 = pg.backup.s3;
  const tmp = scratchVolume('tmp', '/tmp', '64Mi');
  const backups: k8s.VolumeMount = { name: 'backups', mountPath: BACKUP_DIR };
  const dump: k8s.Container = {
    name: 'dump',
    image: pg.image,
    command: ['sh', '-c', backupScript({
      databases: pg.databaseHandles.map((d) => d.database),
      directory: BACKUP_DIR,
      retentionDays: pg.backup.retentionDays,
    })],
    env: pg.superuserEnv(),
    resources: resourceRequirements(pg.backup.resources, { cpuRequest: '50m', memoryRequest: '64Mi', memoryLimit: '256Mi' }),
    securityContext: restrictedContainerSecurityContext(),
    volumeMounts: [backups, tmp.mount],
  };
  const upload: k8s.Container | undefined = s3 && {
    name: 'upload',
    image: s3.image ?? DEFAULT_S3_UPLOAD_IMAGE,
    command: ['sh', '-c', s3UploadScript({
      directory: BACKUP_DIR,
      endpoint: s3.endpoint,
      bucket: s3.bucket,
      prefix: s3.prefix ?? `${pg.namespace}/${pg.name}`,
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
    volumeMounts: [{ ...backups, readOnly: true }, tmp.mount],
  };
  new k8s.KubeCronJob(pg, 'Backup', {
    metadata: { name: `${pg.name}-backup`, labels },
    spec: {
      schedule: pg.backup.schedule,
      timeZone: 'Etc/UTC',
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 3600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        metadata: { labels },
        spec: {
          backoffLimit: 1,
          activeDeadlineSeconds: 3 * 3600,
          template: {
            metadata: { labels },
            spec: {
              restartPolicy: 'Never',
              automountServiceAccountToken: false,
              enableServiceLinks: false,
              securityContext: pg.podSecurity(),
              // With an upload, the dump runs first as an init container; the upload sees
              // only finished dumps.
              initContainers: upload ? [dump] : undefined,
              containers: [upload ?? dump],
              volumes: [
                { name: 'backups', persistentVolumeClaim: { claimName: backupVolumeName(pg) } },
                tmp.volume,
              ],
            },
          },
        },
      },
    },
  });
}

/** The provisioning Job's environment variable for one role's password. */
function passwordEnvOf(d: PostgresDatabase): string {
  return `PASSWORD_${d.role.toUpperCase()}`;
}
