// The server's Jobs: the provisioning hook that creates each app's role and database after every
// sync, and the nightly dump CronJob with its retained volume (the off-site upload of the dumps
// is backup-jobs.ts's, encrypted, with the base backups and WAL).
import { k8s } from 'cdk8s-plus-28';
import { dataProtection } from '../../core/annotations';
import { immutableJobAnnotations } from '../../core/job-annotations';
import { resourceRequirements, restrictedContainerSecurityContext, scratchVolume } from '../../core/security';
import { backupScript } from './backup';
import { backupCronJob, backupVolumeName, jobPodDefaults } from './backup-jobs';
import { PostgresDatabase } from './database';
import {
  ARGO_HOOK, ARGO_HOOK_DELETE_POLICY, BACKUP_DIR, MONITOR_PASSWORD_ENV, MONITOR_ROLE, REPLICATION_PASSWORD_ENV, REPLICATION_ROLE, SQL_DIR,
} from './props';
import { DatabaseGrant, provisioningScript, provisioningSql } from './provisioning';
import { storageOf } from './settings';
import type { PostgresServerParts as SharedPostgres } from './parts';

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
  const replication = pg.replicationPassword ? { role: REPLICATION_ROLE, passwordEnv: REPLICATION_PASSWORD_ENV } : undefined;
  const labels = pg.labels('provisioning');
  const configMap = new k8s.KubeConfigMap(pg, 'ProvisioningSql', {
    metadata: { name: `${pg.name}-provisioning`, labels },
    data: { 'provision.sql': provisioningSql(grants, monitor, replication) },
  });
  const script = provisioningScript(grants, {
    sqlFile: `${SQL_DIR}/provision.sql`,
    monitor,
    replication,
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
          ...jobPodDefaults(pg),
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
              ...(pg.replicationPassword
                ? [{ name: REPLICATION_PASSWORD_ENV, valueFrom: { secretKeyRef: { name: pg.replicationPassword.name, key: pg.replicationPassword.key } } }]
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
  const tmp = scratchVolume('tmp', '/tmp', '64Mi');
  backupCronJob(pg, {
    id: 'Backup',
    name: `${pg.name}-backup`,
    component: 'backup',
    schedule: pg.backup.schedule,
    activeDeadlineSeconds: 3 * 3600,
    containers: [{
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
      volumeMounts: [{ name: 'backups', mountPath: BACKUP_DIR }, tmp.mount],
    }],
    volumes: [tmp.volume],
  });
}

/** The provisioning Job's environment variable for one role's password. */
function passwordEnvOf(d: PostgresDatabase): string {
  return `PASSWORD_${d.role.toUpperCase()}`;
}
