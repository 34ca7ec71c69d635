/**
 * The SQL and shell that create the apps' roles and databases on a shared PostgreSQL. Pure
 * functions: the provisioning Job runs exactly what they return, and the tests run the same text
 * against a real server.
 */

/** One app's database as provisioning sees it. */
export interface DatabaseGrant {
  /** Database name (any text: it is always quoted). */
  readonly database: string;
  /** Login role that owns the database. */
  readonly role: string;
  /** Environment variable of the Job that holds the role's password. */
  readonly passwordEnv: string;
  /** Extensions to create in the database, in this order. */
  readonly extensions: readonly string[];
}

/** PostgreSQL truncates identifiers to NAMEDATALEN - 1 bytes; a truncated name would collide silently. */
export const MAX_IDENTIFIER_BYTES = 63;

/**
 * Names that databases and roles of apps must follow: what PostgreSQL accepts without quoting,
 * so that every client, `psql \c` and ORM config works with the name as written.
 */
export const IDENTIFIER_PATTERN = /^[a-z_][a-z0-9_]*$/;
export const IDENTIFIER_DESCRIPTION = 'a lower-case PostgreSQL identifier (letters a-z, digits and "_", starting with a letter or "_", at most 63 bytes)';

/**
 * Names an app may not take: the server's own databases and roles, and role names PostgreSQL
 * reserves (`pg_*`, `public`, ...).
 */
export const RESERVED_IDENTIFIERS: ReadonlySet<string> = new Set([
  'postgres', 'template0', 'template1', 'public', 'none', 'current_user', 'session_user', 'current_role',
  // The metrics exporter's role (SharedPostgres metrics), the base backups' replication role and
  // the restore drill's scratch database.
  'postgres_exporter', 'backup_replication', 'restore_drill',
]);

/** `my-app` -> `my_app`: the one mapping from an app name to its database and role name. */
export function identifierFor(appName: string): string {
  return appName.toLowerCase().replace(/-/g, '_');
}

/** Why a name cannot be an app's database or role, or undefined when it can. */
export function identifierProblem(name: string): string | undefined {
  if (typeof name !== 'string' || !IDENTIFIER_PATTERN.test(name)) return `is not ${IDENTIFIER_DESCRIPTION}`;
  if (Buffer.byteLength(name) > MAX_IDENTIFIER_BYTES) return `is longer than ${MAX_IDENTIFIER_BYTES} bytes, PostgreSQL would truncate it`;
  if (name.startsWith('pg_')) return 'starts with "pg_", which PostgreSQL reserves for its own roles';
  if (RESERVED_IDENTIFIERS.has(name)) return 'is reserved (a built-in database or role)';
  return undefined;
}

/** A SQL string literal. standard_conforming_strings is on (the script sets it), so only `'` is special. */
export function sqlLiteral(value: string): string {
  if (value.includes('\0')) throw new Error('a SQL literal cannot contain a NUL character');
  return `'${value.replace(/'/g, "''")}'`;
}

/** A POSIX shell word that the shell passes on unchanged. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A name for a comment line; anything psql's lexer might read as more than text becomes "?". */
function printable(name: string): string {
  return name.replace(/[^A-Za-z0-9_. -]/g, '?');
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SAFE_TEXT = /^[^\0\r\n]*$/;

function checkGrants(databases: readonly DatabaseGrant[]): void {
  const seen = new Set<string>();
  for (const d of databases) {
    // Newlines would end a psql meta-command early; names never need them.
    for (const v of [d.database, d.role, ...d.extensions]) {
      if (!v || !SAFE_TEXT.test(v)) throw new Error(`provisioning: ${JSON.stringify(v)} is empty or contains a line break or NUL`);
    }
    if (!ENV_NAME.test(d.passwordEnv)) throw new Error(`provisioning: ${JSON.stringify(d.passwordEnv)} is not an environment variable name`);
    if (seen.has(d.database)) throw new Error(`provisioning: database ${JSON.stringify(d.database)} is listed twice`);
    seen.add(d.database);
  }
}

/**
 * The provisioning script for psql. Idempotent and additive: it creates what is missing, sets
 * each role's password from the psql variable `pw_<n>` on every run (so a changed Secret rotates
 * it), locks each database to its owner, keeps PUBLIC out of `postgres` and `template1` (only the
 * exporter's role may connect to `postgres`), creates requested extensions, and never drops anything.
 *
 * Names enter the SQL text only as literals quoted by {@link sqlLiteral} and become identifiers
 * through `format('%I')`; passwords never enter the text at all: psql substitutes `:'pw_<n>'` as
 * a quoted literal at run time. CREATE DATABASE cannot run in a transaction or DO block, so each
 * conditional statement is a SELECT that returns it (or nothing), executed by `\gexec`.
 */
export function provisioningSql(databases: readonly DatabaseGrant[], monitor?: MonitorGrant, replication?: MonitorGrant): string {
  checkGrants(databases);
  checkMonitor(monitor);
  checkMonitor(replication);
  const lines: string[] = [
    '-- Generated by novahost-infra (SharedPostgres); do not edit. Creates, alters, never drops.',
    '\\set ON_ERROR_STOP on',
    "SET standard_conforming_strings = on;",
    // The session sends passwords in ALTER ROLE: keep its statements out of the server log
    // whatever the server's logging settings (superuser-only settings; this session is one).
    "SET log_statement = 'none';",
    "SET log_min_error_statement = 'panic';",
    'SET log_min_duration_statement = -1;',
  ];
  databases.forEach((d, i) => {
    const db = `db_${i}`;
    const role = `role_${i}`;
    const pw = `pw_${i}`;
    lines.push(
      '',
      `-- ${printable(d.database)}`,
      `SELECT ${sqlLiteral(d.database)} AS ${db}, ${sqlLiteral(d.role)} AS ${role} \\gset`,
      `SELECT format('CREATE ROLE %I LOGIN', :'${role}') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = :'${role}') \\gexec`,
      // Every run: least privilege and the current password (rotation is a changed Secret).
      `SELECT format('ALTER ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT PASSWORD %L', :'${role}', :'${pw}') \\gexec`,
      // template0: a database gets only the extensions it asks for (the TimescaleDB image
      // installs timescaledb into template1).
      `SELECT format('CREATE DATABASE %I OWNER %I TEMPLATE template0', :'${db}', :'${role}') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = :'${db}') \\gexec`,
      `SELECT format('ALTER DATABASE %I OWNER TO %I', :'${db}', :'${role}') \\gexec`,
      `SELECT format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', :'${db}') \\gexec`,
      `SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', :'${db}', :'${role}') \\gexec`,
    );
  });
  if (monitor) {
    // The metrics exporter's role: read-only statistics through pg_monitor, nothing else. App
    // databases revoke CONNECT from PUBLIC, so it reaches none of their tables.
    lines.push(
      '',
      '-- metrics exporter',
      `SELECT ${sqlLiteral(monitor.role)} AS monitor_role \\gset`,
      "SELECT format('CREATE ROLE %I LOGIN', :'monitor_role') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = :'monitor_role') \\gexec",
      "SELECT format('ALTER ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT PASSWORD %L', :'monitor_role', :'pw_monitor') \\gexec",
      "SELECT format('GRANT pg_monitor TO %I', :'monitor_role') \\gexec",
      // The exporter's DSN names the postgres database, which PUBLIC may no longer connect to.
      "SELECT format('GRANT CONNECT ON DATABASE postgres TO %I', :'monitor_role') \\gexec",
    );
  }
  if (replication) {
    // Base backups: REPLICATION and LOGIN, nothing else; pg_hba.conf lets it open replication
    // connections only, so it reads no table through SQL.
    lines.push(
      '',
      '-- base backups',
      `SELECT ${sqlLiteral(replication.role)} AS replication_role \\gset`,
      "SELECT format('CREATE ROLE %I LOGIN REPLICATION', :'replication_role') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = :'replication_role') \\gexec",
      "SELECT format('ALTER ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE REPLICATION NOBYPASSRLS NOINHERIT PASSWORD %L', :'replication_role', :'pw_replication') \\gexec",
    );
  }
  // The server's own databases: PUBLIC (every app role) may neither connect to them nor create
  // temporary tables there. Superusers (this Job, the backups, TimescaleDB's background workers)
  // are not subject to CONNECT. After the monitor's GRANT, so the exporter never loses access.
  lines.push(
    '',
    "-- the server's own databases: no app connects to them or creates temporary tables there",
    'REVOKE CONNECT, TEMPORARY ON DATABASE postgres FROM PUBLIC;',
    'REVOKE CONNECT, TEMPORARY ON DATABASE template1 FROM PUBLIC;',
  );
  // Extensions live inside a database: connect to each one, after every password is set (the
  // session that carries passwords is the first one, with its logging switched off). Created by
  // the superuser, because most extensions (timescaledb among them) are not trusted.
  databases.forEach((d, i) => {
    if (!d.extensions.length) return;
    lines.push('', `-- extensions of ${printable(d.database)}`, `\\connect :"db_${i}"`);
    for (const ext of d.extensions) {
      lines.push(`SELECT format('CREATE EXTENSION IF NOT EXISTS %I', ${sqlLiteral(ext)}) \\gexec`);
    }
  });
  lines.push('');
  return lines.join('\n');
}

/** The role of the metrics exporter, when metrics are on. */
export interface MonitorGrant {
  readonly role: string;
  /** Environment variable of the provisioning Job that holds its password. */
  readonly passwordEnv: string;
}

function checkMonitor(monitor: MonitorGrant | undefined): void {
  if (!monitor) return;
  if (!monitor.role || !SAFE_TEXT.test(monitor.role)) throw new Error(`provisioning: monitor role ${JSON.stringify(monitor.role)} is empty or contains a line break`);
  if (!ENV_NAME.test(monitor.passwordEnv)) throw new Error(`provisioning: ${JSON.stringify(monitor.passwordEnv)} is not an environment variable name`);
}

/** Where the provisioning Job finds things. */
export interface ProvisioningScriptOptions {
  /** The metrics exporter's role and the env var of its password. @default - none */
  readonly monitor?: MonitorGrant;
  /** The base backups' replication role and the env var of its password. @default - none */
  readonly replication?: MonitorGrant;
  /** Path of the file that holds {@link provisioningSql}'s output. */
  readonly sqlFile: string;
  /** Secret each password env var comes from, for the error message when it is empty. */
  readonly describeSecret?: (d: DatabaseGrant) => string;
}

/**
 * The Job's command (for `sh -c`): waits for the server, checks that every password is present,
 * and runs psql with the passwords as psql variables. Connection settings come from the libpq
 * environment (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE).
 */
export function provisioningScript(databases: readonly DatabaseGrant[], options: ProvisioningScriptOptions): string {
  checkGrants(databases);
  checkMonitor(options.monitor);
  checkMonitor(options.replication);
  const describe = options.describeSecret ?? ((d: DatabaseGrant) => `the password of role ${d.role}`);
  const lines = [
    'set -eu',
    'until pg_isready -q -t 5; do echo "waiting for PostgreSQL at ${PGHOST}:${PGPORT}"; sleep 2; done',
  ];
  for (const d of databases) {
    lines.push(`: "\${${d.passwordEnv}:?is empty or unset: set ${describe(d).replace(/["`$\\{}]/g, '')}}"`);
  }
  const monitor = options.monitor;
  for (const grant of [monitor, options.replication]) {
    if (grant) lines.push(`: "\${${grant.passwordEnv}:?is empty or unset: set the password of role ${grant.role.replace(/["`$\\{}]/g, '')}}"`);
  }
  const vars = databases.map((d, i) => `-v pw_${i}="$${d.passwordEnv}"`);
  if (monitor) vars.push(`-v pw_monitor="$${monitor.passwordEnv}"`);
  if (options.replication) vars.push(`-v pw_replication="$${options.replication.passwordEnv}"`);
  lines.push(['exec psql -X -v ON_ERROR_STOP=1', ...vars, '-f', shellQuote(options.sqlFile)].join(' '));
  return lines.join('\n') + '\n';
}
