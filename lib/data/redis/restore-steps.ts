// The restore procedure of one SharedRedis as this installation's commands: hold the server, turn a
// snapshot (from the backups volume, or downloaded and decrypted from the bucket) into its data
// volume with a pod, start it again.
import { toYaml } from '../../core/yaml';
import { resourceRequirements, restrictedContainerSecurityContext } from '../../core/security';
import { downloadScript, remoteOf } from '../postgres/offsite';
import { shellQuote } from '../postgres/provisioning';
import { DEFAULT_ENCRYPT_IMAGE, DEFAULT_S3_UPLOAD_IMAGE } from '../postgres/props';
import {
  awsEnv, backupPodDefaults, backupVolumeName, encryptionSecretOf, RedisBackupParts, remotePrefixOf,
} from './backup-jobs';
import { BACKUP_DIR, restoreDataScript } from './backup';
import { RedisPaths } from './config';
import { syncControl } from '../../core/gitops-engine';

export interface RedisRestoreOptions {
  /** Take the snapshot from the bucket (after losing the cluster) instead of the backups volume. @default false */
  readonly offsite?: boolean;
  /** A snapshot's file name (`redis-20261201T191300Z.rdb`). @default - the newest */
  readonly snapshot?: string;
}

/** Where the restore pod puts a downloaded snapshot. */
const DOWNLOAD_DIR = '/restore';
const SCRATCH_DIR = '/tmp';

const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*\.rdb$/;

/** The download of one encrypted snapshot (`<name>.gpg`, or the newest) into DOWNLOAD_DIR. */
export function downloadSnapshotScript(o: { endpoint: string; bucket: string; prefix: string; server: string; snapshot?: string }): string {
  const remote = remoteOf(o);
  const aws = `aws --endpoint-url ${shellQuote(o.endpoint)} s3`;
  return [
    'set -eu',
    o.snapshot
      ? `name=${shellQuote(`${o.snapshot}.gpg`)}`
      // `aws s3 ls s3://bucket/prefix/` prints "<date> <time> <size> <name>" per object.
      : `name="$(${aws} ls ${shellQuote(`${remote}/`)} | awk '{ print $4 }' | grep -E '^${o.server}-[0-9]{8}T[0-9]{6}Z\\.rdb\\.gpg$' | sort | tail -n 1)"`,
    `[ -n "$name" ] || { echo "restore: no snapshot under ${remote}/" >&2; exit 1; }`,
    `${aws} cp ${shellQuote(`${remote}/`)}"$name" ${DOWNLOAD_DIR}/"$name" --no-progress --only-show-errors`,
    `echo "restore: downloaded ${remote}/$name"`,
    '',
  ].join('\n');
}

/** The restore pod's manifest. */
export function restorePodManifest(r: RedisBackupParts, o: RedisRestoreOptions = {}): object {
  const s3 = r.backup?.s3;
  if (o.offsite && !s3) throw new Error(`${r.namespace}/${r.name} has no off-site copies (backup.s3 is not set): restore from the backups volume`);
  if (o.snapshot !== undefined && !FILE_NAME.test(o.snapshot)) throw new Error(`"${o.snapshot}" is not a snapshot file name such as ${r.name}-20261201T191300Z.rdb`);
  const source = o.offsite ? DOWNLOAD_DIR : BACKUP_DIR;
  const tmp = { name: 'tmp', mountPath: SCRATCH_DIR };
  const small = resourceRequirements({}, { cpuRequest: '50m', memoryRequest: '128Mi', memoryLimit: '256Mi' });
  const securityContext = restrictedContainerSecurityContext();
  const init = o.offsite && s3 ? [
    {
      name: 'download', image: s3.image ?? DEFAULT_S3_UPLOAD_IMAGE,
      command: ['sh', '-c', downloadSnapshotScript({ endpoint: s3.endpoint, bucket: s3.bucket, prefix: remotePrefixOf(r, s3), server: r.name, snapshot: o.snapshot })],
      env: awsEnv(s3), resources: small, securityContext, volumeMounts: [tmp, { name: 'download', mountPath: DOWNLOAD_DIR }],
    },
    {
      // SharedPostgres' download script without its `aws s3 sync` line: it decrypts every *.gpg in place.
      name: 'decrypt', image: s3.encryptImage ?? DEFAULT_ENCRYPT_IMAGE,
      command: ['sh', '-c', downloadScript({ endpoint: s3.endpoint, bucket: s3.bucket, prefix: remotePrefixOf(r, s3), target: DOWNLOAD_DIR }).replace(/^aws .*\n/m, '')],
      env: [{ name: 'PASSPHRASE_FILE', value: '/encryption/passphrase' }, { name: 'HOME', value: SCRATCH_DIR }],
      resources: small, securityContext,
      volumeMounts: [tmp, { name: 'download', mountPath: DOWNLOAD_DIR }, { name: 'encryption', mountPath: '/encryption', readOnly: true }],
    },
  ] : undefined;
  const key = s3 ? encryptionSecretOf(r, s3) : undefined;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    // Downloading needs the upload pod's egress rule (the S3 endpoint only): it wears its labels.
    metadata: { name: `${r.name}-restore`, namespace: r.namespace, labels: r.labels(o.offsite ? 'backup-upload' : 'restore') },
    spec: {
      ...backupPodDefaults(),
      ...(init ? { initContainers: init } : {}),
      containers: [{
        name: 'restore',
        image: r.image.ref,
        command: ['sh', '-c', restoreDataScript({
          server: r.name,
          source: o.snapshot && !o.offsite ? `${source}/${o.snapshot}` : source,
          dataDir: RedisPaths.DATA,
          appendOnly: r.persistence.directives.includes('appendonly yes'),
          databases: r.databases,
          scratch: SCRATCH_DIR,
        })],
        // The temporary server holds the whole dataset, as the server does.
        resources: resourceRequirements(r.resources),
        securityContext,
        volumeMounts: [
          { name: 'data', mountPath: RedisPaths.DATA },
          o.offsite ? { name: 'download', mountPath: DOWNLOAD_DIR, readOnly: true } : { name: 'backups', mountPath: BACKUP_DIR, readOnly: true },
          tmp,
        ],
      }],
      volumes: [
        { name: 'data', persistentVolumeClaim: { claimName: `data-${r.name}-0` } },
        o.offsite
          ? { name: 'download', emptyDir: { sizeLimit: r.storageSize } }
          : { name: 'backups', persistentVolumeClaim: { claimName: backupVolumeName(r), readOnly: true } },
        { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
        ...(o.offsite && key ? [{ name: 'encryption', secret: { secretName: key.name, items: [{ key: key.key, path: 'passphrase' }] } }] : []),
      ],
    },
  };
}

/** The steps, as shell with this installation's names. */
export function redisRestoreSteps(r: RedisBackupParts, o: RedisRestoreOptions = {}): string {
  if (!r.backup) throw new Error(`${r.namespace}/${r.name} has no backups (backup.enabled: false)`);
  const manifest = restorePodManifest(r, o);
  const ns = r.namespace;
  const pod = `${r.name}-restore`;
  const cronJobs = [`${r.name}-backup`, ...(r.backup.s3 ? [`${r.name}-backup-upload`] : [])];
  const s3 = r.backup.s3;
  const from = o.offsite && s3
    ? `${o.snapshot ?? 'the newest snapshot'} in ${remoteOf({ bucket: s3.bucket, prefix: remotePrefixOf(r, s3) })}`
    : `${o.snapshot ?? 'the newest snapshot'} on volume ${backupVolumeName(r)}`;
  const sync = syncControl(r);
  const suspend = (on: boolean) => cronJobs.map((c) => `kubectl -n ${ns} patch cronjob ${c} -p '{"spec":{"suspend":${on}}}'`);
  return [
    `# Redis ${ns}/${r.name} as it was at ${from}; writes after it are lost.`,
    `# 1. Hold the server: no GitOps sync of ${ns} (it would scale the StatefulSet back), no backups, no pod.`,
    ...sync.hold(ns),
    ...suspend(true),
    `kubectl -n ${ns} scale statefulset ${r.name} --replicas=0`,
    `kubectl -n ${ns} wait pod/${r.name}-0 --for=delete --timeout=5m || true`,
    `# 2. Put the snapshot into the data volume (what was there is kept in before-restore-<time>/ on it)${o.offsite ? ', downloaded and decrypted first' : ''}.`,
    `kubectl apply -f - <<'MANIFEST'`,
    toYaml(manifest).trimEnd(),
    'MANIFEST',
    `kubectl -n ${ns} wait pod/${pod} --for=jsonpath='{.status.phase}'=Succeeded --timeout=1h`,
    `kubectl -n ${ns} logs pod/${pod} --all-containers && kubectl -n ${ns} delete pod/${pod}`,
    '# 3. Start the server on it (the ACL users come from the Secrets, as always), resume the backups and the GitOps sync.',
    `kubectl -n ${ns} scale statefulset ${r.name} --replicas=1`,
    `kubectl -n ${ns} rollout status statefulset/${r.name} --timeout=10m`,
    ...suspend(false),
    ...sync.resume(ns),
    `# 4. Once the apps are fine: kubectl -n ${ns} exec ${r.name}-0 -c redis -- sh -c 'rm -rf ${RedisPaths.DATA}/before-restore-*'`,
    '',
  ].join('\n');
}
