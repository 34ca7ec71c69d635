// Continuous archiving and point-in-time recovery for SharedPostgres, as shell text: the server's
// archive_command / restore_command, the base backup CronJob's script, and the restore scripts.
import { IDENTIFIER_PATTERN, shellQuote } from './provisioning';

/**
 * Why PostgreSQL's own tools and not pgBackRest or WAL-G: the server image (timescale/timescaledb,
 * Alpine) ships neither, and archive_command runs inside the server container; `gzip`, `cmp`,
 * `tar`, `pg_basebackup` and `pg_archivecleanup` are all in it, and the same commands run in the
 * tests against a real PostgreSQL.
 *
 * Layout of the backups volume (names with "-", which no database name has, so they never meet
 * a database's dump folder):
 *   wal-archive/<segment>.gz            every WAL segment (and timeline history file), gzipped
 *   base-backups/<UTC start>/           base.tar.gz, pg_wal.tar.gz, backup_manifest, finished_at
 */
export interface ArchiveLayout {
  /** Folder of the archived WAL segments. */
  readonly walDir: string;
  /** Folder of the base backups, one sub-folder each. */
  readonly baseDir: string;
}

/** A UTC time as the folder names write it: `20261123T031700Z`. */
export function stampOf(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
}

/** A UTC time as recovery_target_time reads it: `2026-11-23 03:17:00.000+00`. */
export function recoveryTimeOf(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', '+00');
}

function checkPath(p: string): void {
  // The paths are written inside postgresql.conf values and double-quoted shell words.
  if (!/^\/[A-Za-z0-9_./-]+$/.test(p)) throw new Error(`pitr: ${JSON.stringify(p)} is not an absolute path of letters, digits, "_", ".", "-" and "/"`);
}

/**
 * archive_command: gzip one segment into the archive under a temporary name, rename it, then
 * `sync` so that a node crash cannot lose a segment PostgreSQL already counts as archived. An
 * existing file with the same content succeeds (a retry after a crash between the rename and
 * PostgreSQL's bookkeeping); one with other content fails, so two servers can never interleave
 * their WAL in one archive unnoticed.
 */
export function archiveCommand(walDir: string): string {
  checkPath(walDir);
  return `d="${walDir}"; f="$d/%f.gz"; mkdir -p "$d" && if [ -f "$f" ]; then gzip -dc "$f" | cmp -s - "%p"; else gzip -c "%p" > "$f.partial" && mv "$f.partial" "$f" && sync; fi`;
}

/** restore_command: a missing segment exits non-zero, which ends recovery at the archive's end. */
export function restoreCommand(walDir: string): string {
  checkPath(walDir);
  return `gzip -dc "${walDir}/%f.gz" > "%p"`;
}

export interface BaseBackupOptions extends ArchiveLayout {
  /** Newest base backups always kept, whatever their age. */
  readonly keep: number;
  /** Base backups beyond `keep` older than this are deleted, with the WAL only they needed. */
  readonly retentionDays: number;
}

/**
 * The base backup CronJob's script: `pg_basebackup` over the network as the replication role
 * (libpq environment), tar format, gzipped, with the WAL it needs streamed in (so a base backup
 * restores on its own even if the archive is lost), into a `.partial` folder renamed when
 * complete. Then retention: keep the newest `keep`, delete older ones past `retentionDays`, and
 * remove archived WAL older than the oldest kept base backup's start (`pg_archivecleanup`).
 * Nothing is deleted when the backup failed.
 */
export function baseBackupScript(o: BaseBackupOptions): string {
  checkPath(o.walDir);
  checkPath(o.baseDir);
  if (!Number.isInteger(o.keep) || o.keep < 1) throw new Error(`pitr: keep ${o.keep} is not a whole number >= 1`);
  if (!Number.isInteger(o.retentionDays) || o.retentionDays < 1) throw new Error(`pitr: retentionDays ${o.retentionDays} is not a whole number >= 1`);
  const base = shellQuote(o.baseDir);
  const wal = shellQuote(o.walDir);
  return [
    'set -eu',
    'stamp="$(date -u +%Y%m%dT%H%M%SZ)"',
    `mkdir -p ${base} ${wal}`,
    `rm -rf ${base}/*.partial`,
    `pg_basebackup --pgdata=${base}/"$stamp.partial" --format=tar --gzip --wal-method=stream --checkpoint=fast --label="novahost $stamp" --no-password`,
    `date -u +%Y%m%dT%H%M%SZ > ${base}/"$stamp.partial/finished_at"`,
    `mv ${base}/"$stamp.partial" ${base}/"$stamp"`,
    `echo "basebackup: ${o.baseDir}/$stamp"`,
    'n=0',
    `for b in $(ls -1d ${base}/*Z | sort -r); do`,
    '  n=$((n + 1))',
    `  if [ "$n" -gt ${o.keep} ] && [ -n "$(find "$b" -maxdepth 0 -mmin +${o.retentionDays * 24 * 60})" ]; then echo "basebackup: removing $b"; rm -rf "$b"; fi`,
    'done',
    `oldest="$(ls -1d ${base}/*Z | sort | head -n 1)"`,
    'first="$(tar -xzOf "$oldest/base.tar.gz" backup_label | sed -n \'s/^START WAL LOCATION: .* (file \\([0-9A-F]*\\))$/\\1/p\')"',
    '[ -n "$first" ] || { echo "basebackup: no START WAL LOCATION in $oldest/base.tar.gz" >&2; exit 1; }',
    `pg_archivecleanup -x .gz ${wal} "$first"`,
    'echo "basebackup: WAL before $first removed"',
    '',
  ].join('\n');
}

export interface RecoveryOptions extends ArchiveLayout {
  /** The data folder to create; it must not exist. */
  readonly dataDir: string;
  /** Recover to this moment; undefined recovers every archived segment (a whole-server restore). */
  readonly target?: Date;
}

/**
 * Prepares a data folder for recovery: the newest base backup that finished before the target
 * (or the newest one), unpacked with its WAL, `restore_command` and the target in
 * postgresql.auto.conf (read after every other config file), and `recovery.signal`. When the
 * server then starts it replays archived WAL up to the target and promotes itself; a target past
 * the archive's end stops the server with "recovery ended before configured recovery target was
 * reached" rather than opening a database that lacks writes.
 */
export function prepareRecoveryScript(o: RecoveryOptions): string {
  [o.walDir, o.baseDir, o.dataDir].forEach(checkPath);
  const base = shellQuote(o.baseDir);
  const data = shellQuote(o.dataDir);
  const until = o.target ? stampOf(o.target) : '99999999T999999Z';
  const settings = [
    `restore_command = '${restoreCommand(o.walDir)}'`,
    ...(o.target ? [`recovery_target_time = '${recoveryTimeOf(o.target)}'`, "recovery_target_action = 'promote'"] : []),
  ];
  return [
    'set -eu',
    `[ ! -e ${data} ] || { echo "restore: ${o.dataDir} exists; move it aside first" >&2; exit 1; }`,
    `base="$(for b in ${base}/*Z; do [ -f "$b/finished_at" ] && echo "$(cat "$b/finished_at") $b"; done | sort | awk -v t=${until} '$1 <= t { b = $2 } END { print b }')"`,
    `[ -n "$base" ] || { echo "restore: no base backup in ${o.baseDir} finished before ${until}" >&2; exit 1; }`,
    'echo "restore: from base backup $base"',
    `mkdir -p ${data}`,
    `chmod 700 ${data}`,
    `tar -xzf "$base/base.tar.gz" -C ${data}`,
    `tar -xzf "$base/pg_wal.tar.gz" -C ${data}/pg_wal`,
    `cat >> ${data}/postgresql.auto.conf <<'EOF'`,
    '# added by the novahost restore procedure; ALTER SYSTEM RESET them once the server is up',
    ...settings,
    'EOF',
    `touch ${data}/recovery.signal`,
    '',
  ].join('\n');
}

export interface ScratchDumpOptions extends RecoveryOptions {
  readonly target: Date;
  /** Database to dump from the recovered copy. */
  readonly database: string;
  /** postgresql.conf the scratch server starts with (the live server's). */
  readonly configFile: string;
  /** Folder for the scratch server's socket; nothing listens on TCP. */
  readonly socketDir: string;
  /** Where the dump goes: `<outDir>/<database>-at-<target stamp>.dump`. */
  readonly outDir: string;
}

/**
 * One app's database as it was at a moment, without touching the live server: recover a copy of
 * the server in a scratch folder (socket only, archiving off so it never writes into the live
 * archive), wait until it has promoted, `pg_dump -Fc` the one database, stop, delete the copy.
 */
export function scratchDumpScript(o: ScratchDumpOptions): string {
  [o.configFile, o.socketDir, o.outDir].forEach(checkPath);
  if (!IDENTIFIER_PATTERN.test(o.database)) throw new Error(`pitr: ${JSON.stringify(o.database)} is not a plain PostgreSQL identifier`);
  const data = shellQuote(o.dataDir);
  const sock = shellQuote(o.socketDir);
  const out = `${o.outDir}/${o.database}-at-${stampOf(o.target)}.dump`;
  const opts = `-c config_file=${o.configFile} -c listen_addresses= -c unix_socket_directories=${o.socketDir} -c archive_mode=off -c port=5432`;
  return [
    prepareRecoveryScript(o).replace(/\n$/, ''),
    `trap "pg_ctl -D ${data} -m fast stop >/dev/null 2>&1 || true; rm -rf ${data}" EXIT`,
    `pg_ctl -D ${data} -l ${data}.log -w -t 3600 -o "${opts}" start || { cat ${data}.log >&2; exit 1; }`,
    `until [ "$(psql -X -A -t -h ${sock} -p 5432 -d postgres -c 'SELECT pg_is_in_recovery()')" = f ]; do`,
    `  pg_ctl -D ${data} status >/dev/null || { cat ${data}.log >&2; exit 1; }`,
    '  sleep 1',
    'done',
    `mkdir -p ${shellQuote(o.outDir)}`,
    `pg_dump -h ${sock} -p 5432 --format=custom --dbname=${shellQuote(o.database)} --file=${shellQuote(`${out}.partial`)}`,
    `mv ${shellQuote(`${out}.partial`)} ${shellQuote(out)}`,
    `echo "restore: ${out}"`,
    '',
  ].join('\n');
}
