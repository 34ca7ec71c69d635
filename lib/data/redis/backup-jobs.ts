// SharedRedis' backups as objects: the retained backups volume, the snapshot CronJob (as the
// replication-only ACL user), the encrypted off-site upload (SharedPostgres' gpg and aws scripts,
// imported), their traffic rules, Secrets and the README's data-safety row.
import { k8s } from 'cdk8s-plus-28';
import { IConstruct } from 'constructs';
import { dataProtection } from '../../core/annotations';
import { BackupPlan } from '../../core/backups';
import { SecretKeyReference, ServerEndpoint } from '../../core/handles';
import { PinnedImage } from '../../core/image';
import { checkVolumeSize } from '../../core/volumes';
import { AWS_CHECKSUM_ENV } from '../../core/pins';
import {
  resourceRequirements, ResourceSpec, restrictedContainerSecurityContext, restrictedPodSecurityContext, scratchVolume,
} from '../../core/security';
import { NetworkPolicies, Peers, PodPeer } from '../../network/network-policies';
import { offsiteLayout, remoteOf, uploadScript } from '../postgres/offsite';
import { encryptContainer } from '../postgres/backup-jobs';
import { DEFAULT_ENCRYPT_IMAGE, DEFAULT_S3_UPLOAD_IMAGE } from '../postgres/props';
import { SystemUsers } from './acl';
import { BACKUP_DIR, remoteRetentionScript, snapshotScript } from './backup';
import { GENERATED_PASSWORD, PASSWORD_KEY } from './cache';
import { PersistenceMode, REDIS_PORT } from './config';
import { RedisS3Upload, SharedRedisBackup } from './props';
import { volumeSnapshotsNote } from '../volume-snapshots';
import { scheduledJob } from '../scheduled-job';

/** uid of the server's user in the official images (Alpine and Debian). */
export const REDIS_UID = 999;
/**
 * Its group: 1000 in the Alpine images ("alpine already has a gid 999, so we'll use the next id":
 * `addgroup -S -g 1000` in valkey-container's and docker-library/redis' alpine Dockerfiles), 999
 * in the Debian ones. The pods run with the Alpine image's group.
 */
export const REDIS_GID = 1000;

/** Backups with their defaults applied. */
export interface ResolvedRedisBackup {
  readonly schedule: string;
  readonly keep: number;
  readonly storageSize: string;
  readonly storageClass?: string;
  readonly resources?: ResourceSpec;
  readonly s3?: RedisS3Upload;
}

/** The backup settings, or undefined when backups are off. Types and ranges were checked by the prop schema. */
export function resolveRedisBackup(scope: IConstruct, b: SharedRedisBackup | undefined, dataStorageClass: string | undefined): ResolvedRedisBackup | undefined {
  if (b?.enabled === false) return undefined;
  const storageSize = checkVolumeSize(scope, 'backup.storageSize', b?.storageSize ?? '5Gi');
  return {
    schedule: b?.schedule?.trim() ?? '13 * * * *',
    keep: b?.keep ?? 24,
    storageSize,
    storageClass: b?.storageClass ?? dataStorageClass,
    resources: b?.resources,
    s3: b?.s3,
  };
}

/** What the backup files need of a SharedRedis, so they do not import the construct (which imports them). */
export interface RedisBackupParts extends IConstruct {
  readonly name: string;
  readonly namespace: string;
  readonly image: PinnedImage;
  readonly server: ServerEndpoint;
  readonly persistence: PersistenceMode;
  readonly databases: number;
  readonly resources: ResourceSpec;
  readonly storageSize: string;
  readonly backup?: ResolvedRedisBackup;
  /** Labels of the server's objects of one component. */
  labels(component: string): Record<string, string>;
  /** Selector labels of one component's pods. */
  podLabels(component: string): Record<string, string>;
}

/** The backups PVC. */
export const backupVolumeName = (r: RedisBackupParts) => `${r.name}-backups`;
/** The Secret with the backup user's password. */
export const backupSecretName = (r: RedisBackupParts) => `${r.name}-${SystemUsers.BACKUP}`;
/** The Secret with the passphrase of the off-site copies. */
export function encryptionSecretOf(r: RedisBackupParts, s3: RedisS3Upload): { name: string; key: string } {
  return { name: s3.encryptionSecret ?? `${r.name}-backup-encryption`, key: 'passphrase' };
}
/** Where the upload writes: `<namespace>/<name>` unless `s3.prefix` says otherwise. */
export const remotePrefixOf = (r: RedisBackupParts, s3: RedisS3Upload) => s3.prefix ?? `${r.namespace}/${r.name}`;
/** The off-site upload runs this often; the BackupUploadFailing alert expects one success an hour. */
export const UPLOAD_SCHEDULE = '*/30 * * * *';

/** The pod spec every backup and restore pod of the server shares: the server's user, no API token. */
export function backupPodDefaults(): Pick<k8s.PodSpec, 'restartPolicy' | 'automountServiceAccountToken' | 'enableServiceLinks' | 'securityContext'> {
  return { restartPolicy: 'Never', automountServiceAccountToken: false, enableServiceLinks: false, securityContext: restrictedPodSecurityContext(REDIS_UID, REDIS_GID) };
}

/** The S3 client's environment, as SharedPostgres' upload sets it. */
export function awsEnv(s3: RedisS3Upload): k8s.EnvVar[] {
  return [
    { name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: s3.credentialsSecret, key: s3.accessKeyIdKey ?? 'access-key-id' } } },
    { name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: s3.credentialsSecret, key: s3.secretAccessKeyKey ?? 'secret-access-key' } } },
    { name: 'AWS_DEFAULT_REGION', value: s3.region ?? 'us-east-1' },
    // The CLI writes its cache under HOME; the root filesystem is read-only.
    { name: 'HOME', value: '/tmp' },
    ...AWS_CHECKSUM_ENV,
  ];
}

const backupsMount = (readOnly = false): k8s.VolumeMount => ({ name: 'backups', mountPath: BACKUP_DIR, ...(readOnly ? { readOnly } : {}) });

function cronJob(r: RedisBackupParts, o: { id: string; name: string; component: string; schedule: string; initContainers?: k8s.Container[]; containers: k8s.Container[]; volumes: k8s.Volume[] }): void {
  const labels = r.labels(o.component);
  scheduledJob(r, o.id, {
    name: o.name,
    labels,
    schedule: o.schedule,
    startingDeadlineSeconds: 1800,
    activeDeadlineSeconds: 1800,
    pod: {
      ...backupPodDefaults(),
      initContainers: o.initContainers,
      containers: o.containers,
      volumes: [{ name: 'backups', persistentVolumeClaim: { claimName: backupVolumeName(r) } }, ...o.volumes],
    },
  });
}

/** The retained backups volume, the snapshot CronJob and (with s3) the upload CronJob. */
export function renderBackups(r: RedisBackupParts): void {
  const b = r.backup;
  if (!b) return;
  new k8s.KubePersistentVolumeClaim(r, 'BackupVolume', {
    metadata: { name: backupVolumeName(r), labels: r.labels('backup'), annotations: dataProtection() },
    spec: {
      accessModes: ['ReadWriteOnce'],
      storageClassName: b.storageClass,
      resources: { requests: { storage: k8s.Quantity.fromString(b.storageSize) } },
    },
  });
  const tmp = scratchVolume('tmp', '/tmp', '16Mi');
  const password = { secretKeyRef: { name: backupSecretName(r), key: PASSWORD_KEY } };
  cronJob(r, {
    id: 'Backup',
    name: `${r.name}-backup`,
    component: 'backup',
    schedule: b.schedule,
    containers: [{
      name: 'snapshot',
      image: r.image.ref,
      command: ['sh', '-c', snapshotScript({ server: r.name, directory: BACKUP_DIR, user: SystemUsers.BACKUP, keep: b.keep })],
      env: [
        { name: 'REDIS_HOST', value: r.server.host },
        { name: 'REDIS_PORT', value: String(REDIS_PORT) },
        { name: 'REDISCLI_AUTH', valueFrom: password },
      ],
      // redis-cli streams the snapshot to the file; redis-check-rdb reads one key at a time.
      resources: resourceRequirements(b.resources, { cpuRequest: '10m', memoryRequest: '32Mi', memoryLimit: '256Mi' }),
      securityContext: restrictedContainerSecurityContext(),
      volumeMounts: [backupsMount(), tmp.mount],
    }],
    volumes: [tmp.volume],
  });
  if (b.s3) renderUpload(r, b.s3);
}

/** Every 30 minutes: encrypt the new snapshots (gpg) and upload them (aws s3 sync), as SharedPostgres does. */
function renderUpload(r: RedisBackupParts, s3: RedisS3Upload): void {
  const tmp = scratchVolume('tmp', '/tmp', '64Mi');
  const key = encryptionSecretOf(r, s3);
  const layout = offsiteLayout(BACKUP_DIR);
  cronJob(r, {
    id: 'OffsiteUpload',
    name: `${r.name}-backup-upload`,
    component: 'backup-upload',
    schedule: UPLOAD_SCHEDULE,
    initContainers: [encryptContainer({ image: s3.encryptImage ?? DEFAULT_ENCRYPT_IMAGE, layout, mounts: [backupsMount(), tmp.mount], cpuRequest: '20m' })],
    containers: [{
      name: 'upload',
      image: s3.image ?? DEFAULT_S3_UPLOAD_IMAGE,
      // Then the remote copies beyond the newest `keep`, from the bucket's listing (./backup.ts).
      command: ['sh', '-c', uploadScript({ ...layout, endpoint: s3.endpoint, bucket: s3.bucket, prefix: remotePrefixOf(r, s3) })
        + remoteRetentionScript({ endpoint: s3.endpoint, bucket: s3.bucket, prefix: remotePrefixOf(r, s3), server: r.name, keep: r.backup!.keep })],
      env: awsEnv(s3),
      resources: resourceRequirements({}, { cpuRequest: '20m', memoryRequest: '128Mi', memoryLimit: '256Mi' }),
      securityContext: restrictedContainerSecurityContext(),
      volumeMounts: [backupsMount(), tmp.mount],
    }],
    volumes: [tmp.volume, { name: 'encryption', secret: { secretName: key.name, items: [{ key: key.key, path: 'passphrase' }] } }],
  });
}

/**
 * The snapshot pod reaches the server; the upload pod reaches the S3 endpoint outside the cluster,
 * and nothing else. The restore pod that downloads from the bucket wears the upload pod's labels
 * (restore-steps.ts), so no standing rule opens the internet to pods that exist only in a restore.
 */
export function allowBackupTraffic(r: RedisBackupParts): void {
  const b = r.backup;
  if (!b) return;
  const network = NetworkPolicies.of(r);
  const peer = (component: string): PodPeer => ({ namespace: r.namespace, podLabels: r.podLabels(component), name: `${r.name}-${component}` });
  const server: PodPeer = { namespace: r.namespace, podLabels: r.server.podLabels, name: r.name };
  network.allow(r, { from: peer('backup'), to: server, ports: [{ port: REDIS_PORT }], reason: `${r.name} backups pull snapshots over the replication protocol` });
  if (b.s3) {
    const url = new URL(b.s3.endpoint);
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    network.allow(r, { from: peer('backup-upload'), to: Peers.INTERNET, ports: [{ port }], reason: `${r.name} backup uploads to ${url.host}` });
  }
}

/** The backup user's password and, with s3, the access keys and the passphrase. */
export function backupSecretReferences(r: RedisBackupParts): SecretKeyReference[] {
  const b = r.backup;
  if (!b) return [];
  const refs: SecretKeyReference[] = [{
    namespace: r.namespace, name: backupSecretName(r), key: PASSWORD_KEY, value: GENERATED_PASSWORD,
    description: 'password of the Redis user "backup" (the snapshot CronJob: REPLCONF and SYNC only); random, URL-safe and at least 16 characters, e.g. `openssl rand -hex 24`',
  }];
  const s3 = b.s3;
  if (s3) {
    // No value: the same Secret as SharedPostgres' (one bucket, one key) merges with its declaration.
    refs.push(
      { namespace: r.namespace, name: s3.credentialsSecret, key: s3.accessKeyIdKey ?? 'access-key-id', description: 'S3 access key id for backup uploads' },
      { namespace: r.namespace, name: s3.credentialsSecret, key: s3.secretAccessKeyKey ?? 'secret-access-key', description: 'S3 secret access key for backup uploads' },
      {
        namespace: r.namespace, ...encryptionSecretOf(r, s3), value: { kind: 'provided', env: 'REDIS_BACKUP_ENCRYPTION_PASSPHRASE' },
        description: 'passphrase the off-site Redis snapshots are encrypted with (gpg); keep a copy outside the cluster, the remote snapshots cannot be read without it',
      },
    );
  }
  return refs;
}

/** What the README's data-safety block says of this server (`npm run backups`). */
export function redisBackupPlan(r: RedisBackupParts, doks: boolean): BackupPlan {
  const state = `Redis \`${r.namespace}/${r.name}\``;
  const own = `its own persistence (${r.persistence.name}) on \`data-${r.name}-0\`${doks ? ' (a DigitalOcean volume: survives the node)' : ''}`;
  const b = r.backup;
  if (!b) {
    return {
      rows: [{ state, what: `${own}; no snapshots (\`backup.enabled: false\`)`, where: `the data volume${volumeSnapshotsNote(r) || ' only'}`, schedule: '-', restore: 'none: after losing the volume Redis starts empty' }],
      recovery: [{ order: 20, lines: [`# Redis ${r.namespace}/${r.name} has no backups (backup.enabled: false): it starts empty; the apps refill their caches.`] }],
    };
  }
  const s3 = b.s3;
  const remote = s3 ? `\`${remoteOf({ bucket: s3.bucket, prefix: remotePrefixOf(r, s3) })}\` (${s3.endpoint}), gpg-encrypted` : 'nowhere off the volume (set `backup.s3`)';
  return {
    rows: [{
      state,
      what: `an RDB snapshot of every database, pulled over the network and checked (\`redis-check-rdb\`); besides, ${own}`,
      where: `volume \`${backupVolumeName(r)}\`; ${remote}${volumeSnapshotsNote(r)}`,
      schedule: `snapshots \`${b.schedule}\`, the newest ${b.keep} kept${s3 ? `; off-site \`${UPLOAD_SCHEDULE}\`, the newest ${b.keep} kept there too (deleted from the bucket's listing)` : ''}`,
      restore: `\`npm run -s redis-restore\` (newest snapshot on the volume)${s3 ? ', `-- --offsite` (newest in the bucket)' : ''}, \`-- --snapshot <file>\``,
    }],
    objectives: [
      `**Recovery point objective** of Redis \`${r.namespace}/${r.name}\`: ${r.persistence.name === 'rdb' ? 'the writes since its last RDB save point' : 'about a second (AOF, fsync every second)'} when its pod or node fails (the data volume stays); the writes since the last snapshot (\`${b.schedule}\`) when the volume is lost${s3 ? `, and since the last upload (\`${UPLOAD_SCHEDULE}\`) when the cluster is lost` : ', and everything when the cluster is lost (no off-site copy)'}. Recovery time: minutes (\`npm run -s redis-restore\`).`,
    ],
    oldSecrets: s3 ? [`${s3.credentialsSecret} (${s3.accessKeyIdKey ?? 'access-key-id'}, ${s3.secretAccessKeyKey ?? 'secret-access-key'})`, `${encryptionSecretOf(r, s3).name} (passphrase)`] : [],
    recovery: [{
      order: 20,
      lines: s3
        ? [`# Redis ${r.namespace}/${r.name} from its newest off-site snapshot (the writes after it are lost):`, 'npm run -s redis-restore -- --offsite | bash -x   # or read it first']
        : [`# Redis ${r.namespace}/${r.name}: its snapshots were on the lost cluster's volume; it starts empty and the apps refill their caches.`],
    }],
  };
}
