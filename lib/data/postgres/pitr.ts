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
  /** Newest complete base backups always kept, whatever their age. */
  readonly keep: number;
  /** Every moment of this many days stays restorable; older base backups are deleted, with the WAL only they needed. */
  readonly retentionDays: number;
}

/**
 * The base backup Job's deadline (activeDeadlineSeconds): a base backup that started this long
 * before a moment had finished by then (or was killed and never renamed into place).
 */
export const BASE_BACKUP_DEADLINE_SECONDS = 3 * 3600;

/** The name of the empty file in a base backup's folder that records its first WAL segment (a key name off-site, where contents are encrypted). */
export const START_WAL_MARKER = 'start-wal-';

const START_WAL_OF_LABEL = 'sed -n \'s/^START WAL LOCATION: .* (file \\([0-9A-F]*\\))$/\\1/p\'';

/**
 * Which base backups retention keeps, as a shell function shared by the volume's and the off-site
 * retention: `fate KEEP CUTOFF` reads `<start stamp> <complete 1|0> <name>` lines, newest first,
 * and prints `keep|remove|skip <name>`. Ages are the start stamp of the backup's name (what the
 * folder is called, and what orders it), never a file's mtime: a folder's mtime moves when an
 * entry inside is added (a copy, a restore from the off-site copy, a verify tool writing a file)
 * and can be older than the backup after `cp -a`, so it says nothing about the backup.
 * - The newest KEEP complete ones are kept whatever their age.
 * - Beyond those, a backup is kept until a newer kept one started at or before CUTOFF (now minus
 *   the retention and the Job's deadline, so that one had finished by the window's start): every
 *   moment of the window stays restorable, which deleting everything older than the window would
 *   not give (the oldest kept backup would start inside the window).
 * - An incomplete one (no finished_at, base.tar.gz or pg_wal.tar.gz) never counts and is never
 *   "oldest kept"; it is removed once it started before CUTOFF.
 */
export const BASE_BACKUP_FATE = [
  'fate() {',
  '  n=0; covered=0',
  '  while read -r s c name; do',
  '    t="${s%Z}"; t="${t%%T*}${t#*T}"',
  '    if [ "$c" != 1 ]; then',
  '      if [ "$t" -le "$2" ]; then echo "remove $name"; else echo "skip $name"; fi',
  '      continue',
  '    fi',
  '    n=$((n + 1))',
  '    if [ "$n" -gt "$1" ] && [ "$covered" = 1 ]; then echo "remove $name"; continue; fi',
  '    echo "keep $name"',
  '    if [ "$t" -le "$2" ]; then covered=1; fi',
  '  done',
  '}',
].join('\n');

/** A shell line setting `var` to now minus `seconds` as YYYYMMDDHHMMSS (UTC); GNU and BusyBox date both read `-d @<epoch>`. */
export function cutoffLine(variable: string, seconds: number): string {
  return `${variable}="$(date -u -d "@$(( $(date -u +%s) - ${seconds} ))" +%Y%m%d%H%M%S)"`;
}

/** Seconds back from now to the CUTOFF of {@link BASE_BACKUP_FATE}. */
export function baseBackupCutoffSeconds(retentionDays: number): number {
  return retentionDays * 86400 + BASE_BACKUP_DEADLINE_SECONDS;
}

/**
 * The base backup CronJob's script: `pg_basebackup` over the network as the replication role
 * (libpq environment), tar format, gzipped, with the WAL it needs streamed in (so a base backup
 * restores on its own even if the archive is lost), into a `.partial` folder renamed when
 * complete, with `finished_at` and the `start-wal-<segment>` marker. Then retention
 * ({@link BASE_BACKUP_FATE}) and removal of archived WAL older than the oldest kept base
 * backup's first segment (`pg_archivecleanup`, which compares segment numbers across timelines
 * and keeps history and `.backup` files). Nothing is deleted when the backup failed (only a
 * previous run's `.partial` leftovers, which never were backups).
 */
export function baseBackupScript(o: BaseBackupOptions): string {
  checkPath(o.walDir);
  checkPath(o.baseDir);
  if (!Number.isInteger(o.keep) || o.keep < 1) throw new Error(`pitr: keep ${o.keep} is not a whole number >= 1`);
  if (!Number.isInteger(o.retentionDays) || o.retentionDays < 1) throw new Error(`pitr: retentionDays ${o.retentionDays} is not a whole number >= 1`);
  const base = shellQuote(o.baseDir);
  const wal = shellQuote(o.walDir);
  const partial = `${base}/"$stamp.partial"`;
  return [
    'set -eu',
    'stamp="$(date -u +%Y%m%dT%H%M%SZ)"',
    `mkdir -p ${base} ${wal}`,
    `rm -rf ${base}/*.partial`,
    `pg_basebackup --pgdata=${partial} --format=tar --gzip --wal-method=stream --checkpoint=fast --label="novahost $stamp" --no-password`,
    `first="$(tar -xzOf ${partial}/base.tar.gz backup_label | ${START_WAL_OF_LABEL})"`,
    '[ -n "$first" ] || { echo "basebackup: no START WAL LOCATION in the new base backup\'s backup_label" >&2; exit 1; }',
    `: > ${partial}/"${START_WAL_MARKER}$first"`,
    `date -u +%Y%m%dT%H%M%SZ > ${partial}/finished_at`,
    `mv ${partial} ${base}/"$stamp"`,
    `echo "basebackup: ${o.baseDir}/$stamp"`,
    BASE_BACKUP_FATE,
    cutoffLine('cutoff', baseBackupCutoffSeconds(o.retentionDays)),
    'plan="${TMPDIR:-/tmp}/basebackup-retention"',
    `ls -1 ${base} | grep -x '[0-9]\\{8\\}T[0-9]\\{6\\}Z' | sort -r | while read -r s; do`,
    `  c=1; for f in finished_at base.tar.gz pg_wal.tar.gz; do [ -f ${base}/"$s/$f" ] || c=0; done`,
    '  echo "$s $c $s"',
    `done | fate ${o.keep} "$cutoff" > "$plan"`,
    'while read -r act s; do',
    '  case "$act" in',
    `    remove) echo "basebackup: removing ${o.baseDir}/$s"; rm -rf ${base}/"$s" ;;`,
    `    skip) echo "basebackup: ${o.baseDir}/$s is incomplete: not counted" ;;`,
    '  esac',
    'done < "$plan"',
    'oldest="$(sed -n \'s/^keep //p\' "$plan" | tail -n 1)"',
    '[ -n "$oldest" ] || { echo "basebackup: no complete base backup kept; WAL left alone" >&2; exit 1; }',
    `first="$(ls -1 ${base}/"$oldest" | sed -n 's/^${START_WAL_MARKER}\\([0-9A-F]\\{24\\}\\)$/\\1/p')"`,
    '# Base backups taken before the marker existed: their backup_label says it.',
    `[ -n "$first" ] || first="$(tar -xzOf ${base}/"$oldest/base.tar.gz" backup_label | ${START_WAL_OF_LABEL})"`,
    `[ -n "$first" ] || { echo "basebackup: no START WAL LOCATION in ${o.baseDir}/$oldest" >&2; exit 1; }`,
    `pg_archivecleanup -x .gz ${wal} "$first"`,
    'echo "basebackup: oldest kept $oldest; WAL before $first removed"',
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
