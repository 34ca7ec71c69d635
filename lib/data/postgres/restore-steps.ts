// The restore procedures of one SharedPostgres as this installation's commands: one database to a
// point in time, and the whole server from the off-site copies after losing the cluster.
import { syncControl } from '../../core/gitops-engine';
import { toYaml } from '../../core/yaml';
import { restoreScript } from './backup';
import { backupVolumeName, encryptionSecretOf, remotePrefixOf } from './backup-jobs';
import { downloadScript } from './offsite';
import { shellQuote } from './provisioning';
import { prepareRecoveryScript, recoveryTimeOf, scratchDumpScript, stampOf } from './pitr';
import {
  BACKUP_DIR, BASE_BACKUP_DIR, CONFIG_DIR, DATA_MOUNT, DEFAULT_ENCRYPT_IMAGE, DEFAULT_S3_UPLOAD_IMAGE, PGDATA, SUPERUSER, WAL_ARCHIVE_DIR,
} from './props';
import type { PostgresServerParts as SharedPostgres } from './parts';

/**
 * A pod as the server's user; `beside` the server when that runs (the backups volume is ReadWriteOnce).
 * `component` picks the NetworkPolicies that select it: a pod that downloads the off-site copy is
 * one of the upload's (`backup-upload`, allowed to the S3 endpoint only), so no rule exists for
 * restore pods alone; the others (`restore`) get no egress beyond DNS.
 */
function restorePod(pg: SharedPostgres, name: string, spec: { initContainers?: object[]; containers: object[]; volumes: object[] }, beside = true, component = 'restore'): string {
  const affinity = { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: pg.endpoint.podLabels }, topologyKey: 'kubernetes.io/hostname' }] } };
  return toYaml({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: pg.namespace, labels: pg.labels(component) },
    spec: {
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: pg.podSecurity(),
      ...(beside ? { affinity } : {}),
      ...spec,
    },
  });
}

const container = (name: string, image: string, script: string, mounts: object[], env: object[] = []) => ({
  name, image, command: ['sh', '-c', script], env: [{ name: 'HOME', value: '/tmp' }, ...env],
  securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
  resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1536Mi' } },
  volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }, ...mounts],
});

/** Parses an ISO 8601 time with a zone (`2026-11-23T14:05:00Z`, `2026-11-23 14:05+01:00`). */
export function parseRestoreTime(text: string): Date {
  if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(text.trim())) {
    throw new Error(`"${text}" is not a time with a zone: write e.g. '2026-11-23T14:05:00Z' or '2026-11-23 15:05+01:00'`);
  }
  const date = new Date(text.trim().replace(' ', 'T'));
  if (Number.isNaN(date.getTime())) throw new Error(`"${text}" is not a valid time`);
  return date;
}

/** Shell steps that bring back one database as it was at `target`; the other databases are untouched. */
export function pointInTimeSteps(pg: SharedPostgres, database: string, target: Date): string {
  const sync = syncControl(pg);
  const d = pg.databaseHandles.find((h) => h.database === database);
  if (!d) throw new Error(`${database} is not a database of ${pg.namespace}/${pg.name}: use one of ${pg.databaseHandles.map((h) => h.database).join(', ')}`);
  const stamp = stampOf(target).toLowerCase();
  const pod = `${pg.name}-pitr-${d.database.replace(/_/g, '-')}-${stamp}`.slice(0, 63).replace(/-+$/, '');
  const outDir = `${BACKUP_DIR}/pitr`;
  const dump = `${outDir}/${d.database}-at-${stampOf(target)}.dump`;
  const aside = `${d.database}_before_${stampOf(target).toLowerCase()}`;
  const exec = `kubectl -n ${pg.namespace} exec ${pg.name}-0 -c postgres --`;
  const psql = (...sql: string[]) => `${exec} psql -X -v ON_ERROR_STOP=1 -U ${SUPERUSER} -d postgres ${sql.map((s) => `-c ${shellQuote(s)}`).join(' ')}`;
  const manifest = restorePod(pg, pod, {
    containers: [container('recover', pg.image, scratchDumpScript({
      walDir: WAL_ARCHIVE_DIR, baseDir: BASE_BACKUP_DIR, dataDir: '/scratch/pgdata', target, database: d.database,
      configFile: `${CONFIG_DIR}/postgresql.conf`, socketDir: '/tmp', outDir,
    }), [{ name: 'backups', mountPath: BACKUP_DIR }, { name: 'config', mountPath: CONFIG_DIR, readOnly: true }, { name: 'scratch', mountPath: '/scratch' }])],
    volumes: [
      { name: 'backups', persistentVolumeClaim: { claimName: backupVolumeName(pg) } },
      { name: 'config', configMap: { name: `${pg.name}-config` } },
      { name: 'scratch', emptyDir: {} },
      { name: 'tmp', emptyDir: { sizeLimit: '256Mi' } },
    ],
  });
  return [
    `# Database ${d.database} of ${pg.namespace}/${pg.name} as it was at ${recoveryTimeOf(target)} (UTC); the other databases stay as they are.`,
    '# 1. Recover a scratch copy of the server to that moment beside the server and dump the database from it',
    `#    (newest base backup finished before then + archived WAL; writes ${dump}).`,
    `kubectl apply -f - <<'MANIFEST'`,
    manifest.trimEnd(),
    'MANIFEST',
    `kubectl -n ${pg.namespace} wait pod/${pod} --for=jsonpath='{.status.phase}'=Succeeded --timeout=6h`,
    `kubectl -n ${pg.namespace} logs pod/${pod} && kubectl -n ${pg.namespace} delete pod/${pod}`,
    `# 2. Stop what writes to ${d.database}: hold the GitOps sync of ${d.password.namespace} (or it scales the apps back), then the apps.`,
    ...sync.hold(d.password.namespace),
    `kubectl -n ${d.password.namespace} scale deployment --all --replicas=0`,
    `# 3. Keep today's database as ${aside} and create an empty one with the same owner and extensions.`,
    psql(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${d.database}'`,
      `ALTER DATABASE "${d.database}" RENAME TO "${aside}"`,
      `CREATE DATABASE "${d.database}" OWNER "${d.role}" TEMPLATE template0`,
    ),
    ...d.extensions.map((e) => `${exec} psql -X -v ON_ERROR_STOP=1 -U ${SUPERUSER} -d ${d.database} -c ${shellQuote(`CREATE EXTENSION IF NOT EXISTS "${e}"`)}`),
    '# 4. Restore the dump into it.',
    `${exec} sh -c ${shellQuote(restoreScript({ database: d.database, file: dump, timescaledb: d.extensions.includes('timescaledb') }).trimEnd())}`,
    '# 5. Start the apps again: the resumed sync restores their replicas.',
    ...sync.resume(d.password.namespace),
    `# 6. Once the apps are fine: ${psql(`DROP DATABASE "${aside}"`)}`,
    '',
  ].join('\n');
}

/**
 * The way back for the whole server after losing its volumes or the cluster: the off-site copy
 * downloaded and decrypted onto the (new, empty) backups volume, the data folder recovered from
 * it to the end of the archived WAL (or `target`), then the server started on it.
 */
export function serverRestoreSteps(pg: SharedPostgres, target?: Date): string {
  const sync = syncControl(pg);
  const s3 = pg.backup.s3;
  const key = encryptionSecretOf(pg);
  const pod = `${pg.name}-restore-server`;
  const mounts = [{ name: 'backups', mountPath: BACKUP_DIR }];
  const init = s3 ? [
    container('download', s3.image ?? DEFAULT_S3_UPLOAD_IMAGE, `set -eu\naws --endpoint-url '${s3.endpoint}' s3 sync 's3://${s3.bucket}/${remotePrefixOf(pg)}' ${BACKUP_DIR}/restore-download --no-progress --only-show-errors\n`, mounts, [
      { name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: s3.credentialsSecret, key: s3.accessKeyIdKey ?? 'access-key-id' } } },
      { name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: s3.credentialsSecret, key: s3.secretAccessKeyKey ?? 'secret-access-key' } } },
      { name: 'AWS_DEFAULT_REGION', value: s3.region ?? 'us-east-1' },
      { name: 'AWS_REQUEST_CHECKSUM_CALCULATION', value: 'when_required' },
      { name: 'AWS_RESPONSE_CHECKSUM_VALIDATION', value: 'when_required' },
    ]),
    // The download above already ran: only decrypt, in place (the same layout as the volume).
    container('decrypt', s3.encryptImage ?? DEFAULT_ENCRYPT_IMAGE,
      `${downloadScript({ endpoint: s3.endpoint, bucket: s3.bucket, prefix: remotePrefixOf(pg), target: `${BACKUP_DIR}/restore-download` })
        .replace(/^aws .*\n/m, '')}cp -an ${BACKUP_DIR}/restore-download/. ${BACKUP_DIR}/ && rm -rf ${BACKUP_DIR}/restore-download\n`,
      [...mounts, { name: 'encryption', mountPath: '/encryption', readOnly: true }], [{ name: 'PASSPHRASE_FILE', value: '/encryption/passphrase' }]),
  ] : [];
  const aside = `${DATA_MOUNT}/pgdata-before-restore`;
  const prepare = `set -eu\n[ ! -e ${PGDATA} ] || mv ${PGDATA} ${aside}-$(date -u +%Y%m%dT%H%M%SZ)\n`
    + prepareRecoveryScript({ walDir: WAL_ARCHIVE_DIR, baseDir: BASE_BACKUP_DIR, dataDir: PGDATA, target }).replace(/^set -eu\n/, '');
  const manifest = restorePod(pg, pod, {
    initContainers: init,
    containers: [container('prepare', pg.image, prepare, [...mounts, { name: 'data', mountPath: DATA_MOUNT }])],
    volumes: [
      { name: 'backups', persistentVolumeClaim: { claimName: backupVolumeName(pg) } },
      { name: 'data', persistentVolumeClaim: { claimName: `data-${pg.name}-0` } },
      { name: 'tmp', emptyDir: { sizeLimit: '256Mi' } },
      ...(s3 ? [{ name: 'encryption', secret: { secretName: key.name, items: [{ key: key.key, path: 'passphrase' }] } }] : []),
    ],
  }, false, s3 ? 'backup-upload' : 'restore');
  return [
    `# The whole server ${pg.namespace}/${pg.name}${target ? ` as it was at ${recoveryTimeOf(target)}` : ', every archived write'}${s3 ? `, from s3://${s3.bucket}/${remotePrefixOf(pg)}` : ', from its backups volume'}.`,
    `# 1. The GitOps engine has created the namespace, the Secrets exist (${s3 ? `${s3.credentialsSecret} and ${key.name} from your off-cluster copy` : 'npm run secrets'}); hold the server:`,
    ...sync.hold(pg.namespace),
    `kubectl -n ${pg.namespace} scale statefulset ${pg.name} --replicas=0`,
    `kubectl -n ${pg.namespace} wait pod/${pg.name}-0 --for=delete --timeout=5m || true`,
    `# 2. ${s3 ? 'Download and decrypt the off-site copy onto the backups volume, then prepare' : 'Prepare'} the data folder (the old one is kept beside it).`,
    `kubectl apply -f - <<'MANIFEST'`,
    manifest.trimEnd(),
    'MANIFEST',
    `kubectl -n ${pg.namespace} wait pod/${pod} --for=jsonpath='{.status.phase}'=Succeeded --timeout=6h`,
    `kubectl -n ${pg.namespace} logs pod/${pod} --all-containers && kubectl -n ${pg.namespace} delete pod/${pod}`,
    '# 3. Start the server: it replays the WAL, promotes itself and archives again; then the GitOps sync resumes.',
    `kubectl -n ${pg.namespace} scale statefulset ${pg.name} --replicas=1`,
    `kubectl -n ${pg.namespace} logs -f ${pg.name}-0 -c postgres   # until "database system is ready to accept connections"`,
    `kubectl -n ${pg.namespace} exec ${pg.name}-0 -c postgres -- psql -U ${SUPERUSER} -c 'ALTER SYSTEM RESET restore_command'${target ? " -c 'ALTER SYSTEM RESET recovery_target_time' -c 'ALTER SYSTEM RESET recovery_target_action'" : ''}`,
    '# 4. The restored server has the old passwords: set the superuser\'s from its (new) Secret over the socket; the',
    '#    provisioning hook of the next sync then sets every other role\'s from theirs.',
    `kubectl -n ${pg.namespace} exec ${pg.name}-0 -c postgres -- sh -c ${shellQuote(`echo "ALTER ROLE ${SUPERUSER} PASSWORD :'pw'" | psql -X -q -v ON_ERROR_STOP=1 -U ${SUPERUSER} -d postgres -v pw="$POSTGRES_PASSWORD"`)}`,
    ...sync.resume(pg.namespace),
    '',
  ].join('\n');
}
