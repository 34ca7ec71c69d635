// SharedRedis' snapshots and their restore as shell text: pull an RDB from the running server,
// check it, keep the newest; and turn a snapshot back into the data folder of a stopped server.
import { shellQuote } from '../postgres/provisioning';

/**
 * Both scripts run in the server image (busybox sh, `redis-cli` and `redis-check-rdb`, which the
 * Valkey images link to `valkey-cli` and `valkey-server`: `make install` in src/Makefile, with
 * USE_REDIS_SYMLINKS on by default) and, in the tests, with Debian's redis 7.0 tools and dash.
 */

/** Where the backups volume is mounted in the snapshot, upload and restore pods. */
export const BACKUP_DIR = '/backups';

/** `<server>-<UTC stamp>.rdb`: names sort by time, and a pattern finds them. */
export function snapshotPattern(server: string): string {
  return `^${server}-[0-9]{8}T[0-9]{6}Z\\.rdb$`;
}

export interface SnapshotScriptOptions {
  /** The server's name: snapshots are `<directory>/<server>-<stamp>.rdb`. */
  readonly server: string;
  readonly directory: string;
  /** ACL user that may replicate; its password comes from REDISCLI_AUTH. */
  readonly user: string;
  /** Newest snapshots kept. */
  readonly keep: number;
}

/**
 * Pulls a snapshot with `redis-cli --rdb` from REDIS_HOST:REDIS_PORT: the server forks and sends
 * an RDB of every database, consistent at one moment, over the replication protocol, so nothing
 * needs the server's ReadWriteOnce data volume. The file is written as `.partial`, checked with
 * `redis-check-rdb`, then renamed: a `.rdb` name is always a whole, readable snapshot. Only then
 * are snapshots beyond the newest `keep` deleted, so a failing backup never removes good ones.
 */
export function snapshotScript(o: SnapshotScriptOptions): string {
  if (!Number.isInteger(o.keep) || o.keep < 1) throw new Error(`redis backup: keep ${o.keep} is not a whole number >= 1`);
  const dir = shellQuote(o.directory);
  return [
    'set -eu',
    ': "${REDISCLI_AUTH:?the password of the backup user}" "${REDIS_HOST:?}" "${REDIS_PORT:?}"',
    // Newer valkey-cli releases read VALKEYCLI_AUTH; 8.x reads REDISCLI_AUTH (CLI_AUTH_ENV).
    'export VALKEYCLI_AUTH="$REDISCLI_AUTH"',
    'stamp="$(date -u +%Y%m%dT%H%M%SZ)"',
    `file=${dir}/${o.server}-"$stamp".rdb`,
    'partial="$file.partial"',
    'check="${TMPDIR:-/tmp}/check-rdb.log"',
    // A run killed by the deadline leaves its .partial; this run removes it.
    `rm -f ${dir}/*.rdb.partial`,
    "trap 'rm -f \"$partial\"' EXIT",
    `redis-cli --user ${shellQuote(o.user)} -h "$REDIS_HOST" -p "$REDIS_PORT" --rdb "$partial"`,
    'if ! redis-check-rdb "$partial" > "$check" 2>&1; then',
    '  cat "$check" >&2',
    '  echo "backup: the snapshot is not a valid RDB file; older snapshots kept" >&2',
    '  exit 1',
    'fi',
    'mv "$partial" "$file"',
    `echo "backup: $file, $(wc -c < "$file") bytes, $(sed -n 's/^\\[info\\] \\([0-9]*\\) keys read$/\\1/p' "$check") keys"`,
    `ls ${dir} | grep -E '${snapshotPattern(o.server)}' | sort -r | sed '1,${o.keep}d' | while IFS= read -r old; do`,
    `  rm -f ${dir}/"$old"`,
    `  echo "backup: removed $old (the newest ${o.keep} are kept)"`,
    'done',
    '',
  ].join('\n');
}

export interface RemoteRetentionOptions {
  readonly endpoint: string;
  readonly bucket: string;
  /** Key prefix without leading or trailing `/`. */
  readonly prefix: string;
  readonly server: string;
  /** Newest remote snapshots kept: the same count as on the volume. */
  readonly keep: number;
}

/**
 * After a successful upload, in the upload container (AWS CLI image): deletes the remote snapshots
 * beyond the newest `keep`, decided from the bucket's own listing (never from the volume, so a new
 * or wiped volume deletes nothing). A failed listing deletes nothing and fails the Job; keys that
 * are not this server's snapshots directly under the prefix are never touched. One DeleteObject
 * per key (`aws s3 rm`): see SharedPostgres' remote retention for why not the batch call. Not a
 * bucket lifecycle rule: one by age alone would delete the last snapshots when uploads stop.
 */
export function remoteRetentionScript(o: RemoteRetentionOptions): string {
  if (!Number.isInteger(o.keep) || o.keep < 1) throw new Error(`redis remote retention: keep ${o.keep} is not a whole number >= 1`);
  const remote = `s3://${o.bucket}/${o.prefix}`;
  return [
    'set -eu',
    'export AWS_PAGER="" LC_ALL=C',
    'work="${TMPDIR:-/tmp}/remote-retention"',
    'rm -rf "$work" && mkdir -p "$work"',
    `if ! aws --endpoint-url ${shellQuote(o.endpoint)} s3api list-objects-v2 --bucket ${shellQuote(o.bucket)} --prefix ${shellQuote(`${o.prefix}/`)} --query 'Contents[].[Key]' --output text > "$work/listing"; then`,
    `  echo "remote-retention: listing ${remote}/ failed; nothing deleted" >&2`,
    '  exit 1',
    'fi',
    `prefix=${shellQuote(`${o.prefix}/`)}`,
    // Names directly under the prefix that are this server's snapshots; an empty listing prints
    // "None", which matches neither.
    'while IFS= read -r key; do',
    '  name="${key#"$prefix"}"',
    `  if [ "$name" != "$key" ] && echo "$name" | grep -Eqx '${o.server}-[0-9]{8}T[0-9]{6}Z\\.rdb\\.gpg'; then echo "$name"; fi`,
    `done < "$work/listing" | sort -r | sed '1,${o.keep}d' > "$work/old"`,
    'while IFS= read -r name; do',
    `  aws --endpoint-url ${shellQuote(o.endpoint)} s3 rm ${shellQuote(`${remote}/`)}"$name" --only-show-errors`,
    '  echo "remote-retention: removed $name"',
    'done < "$work/old"',
    `echo "remote-retention: ${remote}/: $(wc -l < "$work/old") snapshots removed, the newest ${o.keep} kept"`,
    '',
  ].join('\n');
}

export interface RestoreDataOptions {
  /** The server's name, to find the newest snapshot in `source`. */
  readonly server: string;
  /** A snapshot file, or a folder whose newest `<server>-<stamp>.rdb` is taken. */
  readonly source: string;
  /** The data volume (the server's working directory). */
  readonly dataDir: string;
  /** Whether the server runs with `appendonly yes` (then the snapshot becomes the AOF's base). */
  readonly appendOnly: boolean;
  /** The server's `databases`: a snapshot with higher database numbers would not load. */
  readonly databases: number;
  /** A folder for the temporary server's socket and logs. */
  readonly scratch: string;
}

/**
 * Makes a stopped server's data folder hold exactly the snapshot. What is there (`appendonlydir/`,
 * `dump.rdb`) is moved into `before-restore-<stamp>/` on the same volume, never deleted.
 *
 * With `appendonly yes` a copied `dump.rdb` alone is not enough: measured on redis-server 7.0.15
 * (and so in Valkey 8's loadDataFromDisk(), src/server.c: with AOF on only the AOF is read), a
 * server that finds no `appendonlydir/` creates an empty AOF base and starts EMPTY, ignoring
 * `dump.rdb`. So a temporary server (unix socket only, no TCP, in this pod) loads the snapshot with
 * `appendonly no`, then `CONFIG SET appendonly yes` rewrites it into `appendonlydir/` (the
 * documented switch from RDB to AOF), and the copy of `dump.rdb` is removed again, so no stale
 * snapshot is loaded if the persistence mode ever changes. The real server then starts on the AOF.
 */
export function restoreDataScript(o: RestoreDataOptions): string {
  const data = shellQuote(o.dataDir);
  const scratch = shellQuote(o.scratch);
  const lines = [
    'set -eu',
    'fail() { echo "restore: $*" >&2; exit 1; }',
    `src=${shellQuote(o.source)}`,
    `if [ -d "$src" ]; then src="$src/$(ls "$src" | grep -E '${snapshotPattern(o.server)}' | sort | tail -n 1)"; fi`,
    '[ -f "$src" ] || fail "no snapshot at $src"',
    `redis-check-rdb "$src" > ${scratch}/check-rdb.log 2>&1 || { cat ${scratch}/check-rdb.log >&2; fail "$src is not a valid RDB file"; }`,
    `echo "restore: $src is a valid snapshot ($(sed -n 's/^\\[info\\] \\([0-9]*\\) keys read$/\\1/p' ${scratch}/check-rdb.log) keys)"`,
    `cd ${data}`,
    'aside="before-restore-$(date -u +%Y%m%dT%H%M%SZ)"',
    'for f in appendonlydir dump.rdb; do',
    '  if [ -e "$f" ]; then mkdir -p "$aside" && mv "$f" "$aside/" && echo "restore: moved $f to $aside/"; fi',
    'done',
    'cp "$src" dump.rdb.partial',
    'mv dump.rdb.partial dump.rdb',
  ];
  if (!o.appendOnly) return [...lines, `echo "restore: ${o.dataDir}/dump.rdb is in place; start the server"`, ''].join('\n');
  const cli = `redis-cli -s ${scratch}/redis.sock`;
  return [
    ...lines,
    // No aclfile: the default user has every command, through a socket only this pod can open.
    `redis-server --port 0 --unixsocket ${scratch}/redis.sock --unixsocketperm 700 --dir ${data} --dbfilename dump.rdb --appendonly no --appenddirname appendonlydir --aof-use-rdb-preamble yes --save '' --databases ${o.databases} --logfile ${scratch}/redis-server.log &`,
    'pid=$!',
    // PING answers -LOADING while the snapshot loads.
    'i=0',
    `until [ "$(${cli} PING 2>/dev/null)" = PONG ]; do`,
    `  kill -0 "$pid" 2>/dev/null || { cat ${scratch}/redis-server.log >&2; fail "the temporary server stopped"; }`,
    '  i=$((i + 1)); [ "$i" -lt 600 ] || fail "the temporary server did not load the snapshot within 10 minutes"',
    '  sleep 1',
    'done',
    `echo "restore: loaded, $(${cli} INFO keyspace | grep -c '^db') databases: $(${cli} INFO keyspace | grep '^db' | tr -d '\\r' | tr '\\n' ' ')"`,
    `[ "$(${cli} CONFIG SET appendonly yes)" = OK ] || fail "CONFIG SET appendonly yes failed"`,
    'i=0',
    `while ${cli} INFO persistence | tr -d '\\r' | grep -Eq '^aof_rewrite_(in_progress|scheduled):1$'; do`,
    '  i=$((i + 1)); [ "$i" -lt 600 ] || fail "the AOF rewrite did not finish within 10 minutes"',
    '  sleep 1',
    'done',
    `${cli} INFO persistence | tr -d '\\r' | grep -q '^aof_last_bgrewrite_status:ok$' || { cat ${scratch}/redis-server.log >&2; fail "the AOF rewrite failed"; }`,
    // SHUTDOWN writes and fsyncs the AOF; an error reply means the server is still running.
    `out="$(${cli} SHUTDOWN 2>&1 || true)"`,
    '[ -z "$out" ] || { kill "$pid"; fail "SHUTDOWN: $out"; }',
    'wait "$pid" || true',
    'ls appendonlydir/*.manifest > /dev/null 2>&1 || fail "no AOF manifest was written"',
    'rm -f dump.rdb',
    `echo "restore: the snapshot is the AOF in ${o.dataDir}/appendonlydir; start the server"`,
    '',
  ].join('\n');
}
