/** A postgresql.conf setting value: numbers and booleans as written, strings quoted. */
export type PostgresSettingValue = string | number | boolean;

const SETTING_NAME = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;

/** Whether a name can be a postgresql.conf setting (`work_mem`, `timescaledb.max_background_workers`). */
export function isSettingName(name: string): boolean {
  return SETTING_NAME.test(name);
}

/** Renders settings as postgresql.conf text, one `name = value` per line, in the given order. */
export function postgresqlConf(settings: ReadonlyArray<readonly [string, PostgresSettingValue]>, header: string[] = []): string {
  const lines = header.map((h) => `# ${h}`);
  for (const [name, value] of settings) {
    if (!isSettingName(name)) throw new Error(`postgresql.conf: ${JSON.stringify(name)} is not a setting name`);
    lines.push(`${name} = ${renderValue(value)}`);
  }
  return lines.join('\n') + '\n';
}

function renderValue(value: PostgresSettingValue): string {
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`postgresql.conf: ${value} is not a finite number`);
    return String(value);
  }
  if (/[\0\r\n]/.test(value)) throw new Error('postgresql.conf: a value cannot contain a line break');
  // Quoted always: postgresql.conf reads '' as a quote and backslash escapes inside quotes.
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** The file name of {@link pgHbaConf}'s output beside postgresql.conf; `hba_file` points to it. */
export const PG_HBA_FILE = 'pg_hba.conf';

/** Who may connect to a SharedPostgres, as {@link pgHbaConf} renders it. */
export interface PgHbaOptions {
  /**
   * The superuser role. The only role allowed on the Unix socket, by peer authentication as the
   * OS user of the same name (the server container's user).
   */
  readonly superuser: string;
  /**
   * The metrics exporter's role, allowed to the `postgres` database only (its DSN names it).
   * @default - no exporter line
   */
  readonly monitorRole?: string;
  /**
   * The role that takes base backups: replication connections over TCP with a SCRAM password,
   * for this role only. @default - no replication line (replication connections are refused)
   */
  readonly replicationRole?: string;
}

const HBA_ROLE = /^[a-z_][a-z0-9_]*$/;

/**
 * The pg_hba.conf of a SharedPostgres, for the ConfigMap beside postgresql.conf (with
 * `hba_file` pointing to it). It replaces the file initdb writes into PGDATA, which trusts every
 * local and loopback connection: with it, any container of the pod (the exporter sidecar, a
 * debug container) could log in as the superuser over 127.0.0.1 without a password.
 *
 * The rules: a SCRAM password on every TCP connection, loopback included; the Unix socket only
 * for the OS user `superuser` as the role of the same name (the image's init scripts, `kubectl
 * exec ... psql` and the restore procedure); the exporter only to the `postgres` database; app
 * roles only to the database of their own name (`sameuser`: an app's role and database share one
 * name); replication connections (`all` never matches them) only for `replicationRole`, over
 * TCP with a password, and none without it. The text does not depend
 * on the apps, so adding one does not roll the server pod.
 */
export function pgHbaConf(options: PgHbaOptions): string {
  const { superuser, monitorRole, replicationRole } = options;
  for (const role of [superuser, ...[monitorRole, replicationRole].filter((r) => r !== undefined)]) {
    if (typeof role !== 'string' || !HBA_ROLE.test(role)) throw new Error(`pg_hba.conf: ${JSON.stringify(role)} is not a lower-case role name`);
  }
  if (monitorRole === superuser) throw new Error(`pg_hba.conf: the monitor role cannot be the superuser ${JSON.stringify(superuser)}`);
  if (replicationRole === superuser) throw new Error(`pg_hba.conf: the replication role cannot be the superuser ${JSON.stringify(superuser)}`);
  const row = (type: string, database: string, user: string, address: string, method: string) =>
    [type.padEnd(7), database.padEnd(11), user.padEnd(18), address.padEnd(8), method].join(' ').replace(/ +$/, '');
  return [
    '# Rendered by novahost-infra (SharedPostgres); edit the SharedPostgres construct, not this file.',
    '# Replaces the pg_hba.conf that initdb wrote into PGDATA (that one trusts every local and',
    '# loopback connection, so any container of the pod could log in as the superuser).',
    '# The first line that matches a connection decides; one that matches no line is refused.',
    row('# TYPE', 'DATABASE', 'USER', 'ADDRESS', 'METHOD'),
    `# Unix socket: only the OS user "${superuser}" (the server container's user: the image's init`,
    '# scripts, `kubectl exec ... psql`, the restore procedure), as the role of the same name.',
    row('local', 'all', superuser, '', 'peer'),
    '# TCP, loopback included: always a SCRAM password.',
    row('host', 'all', superuser, 'all', 'scram-sha-256'),
    ...(monitorRole === undefined ? [] : [row('host', 'postgres', monitorRole, 'all', 'scram-sha-256')]),
    "# App roles: only the database of the same name (each app's role and database share one).",
    row('host', 'sameuser', 'all', 'all', 'scram-sha-256'),
    ...(replicationRole === undefined ? [] : [
      '# Base backups (pg_basebackup): replication connections for this role only.',
      row('host', 'replication', replicationRole, 'all', 'scram-sha-256'),
    ]),
    '',
  ].join('\n');
}
