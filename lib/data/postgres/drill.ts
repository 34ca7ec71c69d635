// The nightly restore drill of SharedPostgres, as shell text: the latest dump of every database
// restored into a scratch database and checked against the live one.
import { IDENTIFIER_PATTERN, shellQuote } from './provisioning';

export interface DrillOptions {
  /** Databases that must have a dump, and whether each uses TimescaleDB. */
  readonly databases: ReadonlyArray<{ readonly name: string; readonly timescaledb: boolean }>;
  /** The dumps' folder: `<directory>/<database>/<database>-<UTC time>.dump`. */
  readonly directory: string;
  /** The scratch database: created, restored into, dropped. Never an app's. */
  readonly scratch: string;
  /** Allowed difference of a table's restored row count from the live one, as a share. */
  readonly rowTolerance: number;
  /** A dump smaller than this share of the previous one fails. */
  readonly minSizeRatio: number;
  /** The latest dump must be younger than this. */
  readonly maxDumpAgeHours: number;
}

/** Row counts of every user table of the connected database, `schema.table|count`, sorted. */
const COUNT_ROWS = [
  "SELECT n.nspname || '.' || c.relname || '|' ||",
  "(xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', n.nspname, c.relname), false, true, '')))[1]::text",
  'FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace',
  "WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition",
  "AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname NOT LIKE '\\_timescaledb%' AND n.nspname NOT LIKE 'timescaledb\\_%'",
  'ORDER BY 1',
].join(' ');

/**
 * For each database: the latest dump exists, is younger than `maxDumpAgeHours`, is readable
 * (`pg_restore --list`), is at least `minSizeRatio` of the previous dump's size, restores into
 * the scratch database without an error, and every table of the live database is there with a
 * row count within `rowTolerance` (plus 100 rows: writes since the dump) of the live count. The
 * scratch database is dropped at the end, also after a failure. Exits non-zero when any check of
 * any database failed, after checking all of them (the Job fails: kube-state-metrics reports it).
 * Connects as the superuser through the libpq environment; restores with --no-owner --no-acl, so
 * the scratch copy belongs to the superuser and no app role can reach it.
 */
export function drillScript(o: DrillOptions): string {
  for (const d of [...o.databases.map((x) => x.name), o.scratch]) {
    if (!IDENTIFIER_PATTERN.test(d)) throw new Error(`drill: ${JSON.stringify(d)} is not a plain PostgreSQL identifier`);
  }
  if (o.databases.some((d) => d.name === o.scratch)) throw new Error(`drill: the scratch database ${o.scratch} is a live one`);
  const pct = Math.round(o.minSizeRatio * 100);
  const scratch = shellQuote(o.scratch);
  const psql = 'psql -X -q -A -t -v ON_ERROR_STOP=1';
  return [
    'set -u',
    // Notices (DROP ... IF EXISTS) are not findings.
    "export PGOPTIONS='-c client_min_messages=warning'",
    `scratch=${scratch}`,
    'work="${TMPDIR:-/tmp}/drill"',
    'mkdir -p "$work"',
    'failed=0',
    'fail() { echo "drill: FAILED $1: $2" >&2; failed=1; }',
    `drop() { ${psql} -d postgres -c "DROP DATABASE IF EXISTS $scratch" >/dev/null; }`,
    'trap drop EXIT',
    'check() {',
    '  db="$1"; timescale="$2"',
    `  dumps="$(ls -1 ${shellQuote(o.directory)}/"$db"/"$db"-*.dump 2>/dev/null | sort)"`,
    '  latest="$(printf "%s\\n" "$dumps" | tail -n 1)"',
    '  previous="$(printf "%s\\n" "$dumps" | tail -n 2 | head -n 1)"',
    '  [ -n "$latest" ] || { fail "$db" "no dump"; return; }',
    `  [ -z "$(find "$latest" -mmin +${o.maxDumpAgeHours * 60})" ] || fail "$db" "latest dump $latest is older than ${o.maxDumpAgeHours} h"`,
    '  pg_restore --list "$latest" > "$work/list" || { fail "$db" "pg_restore --list cannot read $latest"; return; }',
    '  size="$(wc -c < "$latest")"',
    '  if [ "$previous" != "$latest" ]; then',
    '    before="$(wc -c < "$previous")"',
    `    [ $((size * 100)) -ge $((before * ${pct})) ] || fail "$db" "$latest is $size bytes, less than ${pct} % of the previous dump ($before bytes)"`,
    '  fi',
    '  drop',
    `  ${psql} -d postgres -c "CREATE DATABASE $scratch TEMPLATE template0" || { fail "$db" "cannot create the scratch database"; return; }`,
    '  restored=0',
    '  if [ "$timescale" = 1 ]; then',
    `    ${psql} -d "$scratch" -c 'CREATE EXTENSION IF NOT EXISTS timescaledb' -c 'SELECT timescaledb_pre_restore()' >/dev/null || { fail "$db" "cannot prepare TimescaleDB"; return; }`,
    '  fi',
    '  pg_restore --exit-on-error --no-owner --no-acl --dbname="$scratch" "$latest" && restored=1',
    `  [ "$timescale" = 1 ] && ${psql} -d "$scratch" -c 'SELECT timescaledb_post_restore()' >/dev/null`,
    '  [ "$restored" = 1 ] || { fail "$db" "pg_restore of $latest into $scratch failed"; return; }',
    `  ${psql} -d "$db" -c ${shellQuote(COUNT_ROWS)} > "$work/live" || { fail "$db" "cannot count the live rows"; return; }`,
    `  ${psql} -d "$scratch" -c ${shellQuote(COUNT_ROWS)} > "$work/restored" || { fail "$db" "cannot count the restored rows"; return; }`,
    `  problems="$(awk -F'|' -v tol=${o.rowTolerance} 'NR == FNR { live[$1] = $2; next } { got[$1] = $2 }`
      + ' END { for (t in live) { d = live[t] - got[t]; if (d < 0) d = -d;'
      + ' if (!(t in got)) print t " is missing"; else if (d > live[t] * tol + 100) print t " has " got[t] " rows, live " live[t] } }\' "$work/live" "$work/restored")"',
    '  [ -z "$problems" ] || { fail "$db" "$(printf "%s" "$problems" | tr "\\n" ";")"; return; }',
    '  echo "drill: ok $db: $latest ($size bytes, $(grep -c "TABLE DATA" "$work/list") tables of data, $(wc -l < "$work/restored") tables checked)"',
    '}',
    ...o.databases.map((d) => `check ${shellQuote(d.name)} ${d.timescaledb ? 1 : 0}`),
    'exit "$failed"',
    '',
  ].join('\n');
}
