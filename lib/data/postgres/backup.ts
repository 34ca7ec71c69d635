// Dump and restore commands for SharedPostgres, as shell text (uploads: offsite.ts).
import { IDENTIFIER_PATTERN, shellQuote } from './provisioning';

/**
 * Backup and restore commands as shell text. The backup CronJob runs {@link backupScript}; the
 * restore procedure runs {@link restoreScript}; the tests run both against a real server.
 * Connection settings come from the libpq environment (PGHOST, PGPORT, PGUSER, PGPASSWORD).
 */

export interface BackupScriptOptions {
  /** Databases to dump, one custom-format file each. */
  readonly databases: readonly string[];
  /** Folder of the dumps: `<directory>/<database>/<database>-<UTC time>.dump`. */
  readonly directory: string;
  /** Dumps older than this many days are deleted, per database, after a good dump of it. */
  readonly retentionDays: number;
}

function checkDatabase(name: string): void {
  // Names go into paths and pg_dump's --dbname (which would read "a=b" as a connection string).
  if (!IDENTIFIER_PATTERN.test(name)) throw new Error(`backup: ${JSON.stringify(name)} is not a plain PostgreSQL identifier`);
}

/**
 * Dumps each database with `pg_dump -Fc` to a temporary name and renames it when complete, so a
 * file named `.dump` is always a whole dump. Retention runs per database and only after that
 * database's dump succeeded: a failing backup never deletes the last good ones. Exits non-zero
 * when any dump failed (the Job shows as failed), after trying all of them.
 */
export function backupScript(options: BackupScriptOptions): string {
  const days = options.retentionDays;
  if (!Number.isInteger(days) || days < 1) throw new Error(`backup: retentionDays ${days} is not a whole number of days >= 1`);
  options.databases.forEach(checkDatabase);
  const dir = shellQuote(options.directory);
  return [
    'set -u',
    'stamp="$(date -u +%Y%m%dT%H%M%SZ)"',
    'failed=0',
    'backup() {',
    `  out=${dir}/"$1"`,
    '  mkdir -p "$out"',
    '  partial="$out/$1-$stamp.dump.partial"',
    '  if pg_dump --format=custom --compress=6 --dbname="$1" --file="$partial"; then',
    '    mv "$partial" "$out/$1-$stamp.dump"',
    '    echo "backup: $1 -> $out/$1-$stamp.dump"',
    `    find "$out" -type f \\( -name '*.dump' -o -name '*.dump.partial' \\) -mmin +${days * 24 * 60} -print -exec rm -f {} +`,
    '  else',
    '    rm -f "$partial"',
    '    echo "backup: pg_dump of $1 failed; older dumps kept" >&2',
    '    failed=1',
    '  fi',
    '}',
    ...options.databases.map((d) => `backup ${shellQuote(d)}`),
    'exit "$failed"',
    '',
  ].join('\n');
}

export interface RestoreScriptOptions {
  /** Database to restore into; it must exist and be empty (the provisioning Job creates it). */
  readonly database: string;
  /** A `pg_dump -Fc` file, or `-` to read it from standard input (`kubectl exec -i`). */
  readonly file: string;
  /** The database uses TimescaleDB: wrap pg_restore in timescaledb_pre_restore()/post_restore(). */
  readonly timescaledb: boolean;
}

/**
 * Restores one dump. For TimescaleDB the documented order is: the extension exists (provisioning
 * creates it), `SELECT timescaledb_pre_restore();`, pg_restore, `SELECT timescaledb_post_restore();`
 * — post_restore runs even when pg_restore failed, so the database never stays in restore mode.
 */
export function restoreScript(options: RestoreScriptOptions): string {
  checkDatabase(options.database);
  const db = shellQuote(options.database);
  const psql = (sql: string) => `psql -X -v ON_ERROR_STOP=1 --dbname=${db} -c ${shellQuote(sql)}`;
  const restore = `pg_restore --exit-on-error --dbname=${db}${options.file === '-' ? '' : ` ${shellQuote(options.file)}`}`;
  if (!options.timescaledb) return ['set -eu', restore, ''].join('\n');
  return [
    'set -eu',
    psql('SELECT timescaledb_pre_restore();'),
    'status=0',
    `${restore} || status=$?`,
    psql('SELECT timescaledb_post_restore();'),
    'exit "$status"',
    '',
  ].join('\n');
}
