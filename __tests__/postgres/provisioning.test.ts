import * as fs from 'fs';
import * as path from 'path';
import { Monitoring, NovahostApp } from '../../lib';
import { SharedPostgres } from '../../lib/data/postgres/shared-postgres';
import { provisioningScript, provisioningSql } from '../../lib/data/postgres/provisioning';
import { findObject, routedPlatform, synthesize } from '../support/platform';
import { relocate, shellScriptOf, startPostgres, TestPostgres } from '../support/postgres-server';

/**
 * The provisioning SQL and the Job's command, as rendered into dist/, run by psql against a real
 * PostgreSQL that was started with the rendered postgresql.conf.
 */

function rendered() {
  const platform = routedPlatform();
  // No timescaledb preload: the test server has no TimescaleDB (see environment notes).
  const postgres = new SharedPostgres(platform, 'postgres', { sharedPreloadLibraries: [], metrics: true });
  // Grafana's database is asked for like an app's (Monitoring's grafana.database).
  new Monitoring(platform, 'monitoring', { grafana: { database: { server: postgres } } });
  const web = { image: 'ghcr.io/example/web:1.0.0', port: 3000, database: true };
  new NovahostApp(platform, 'app-a', { services: { web }, database: { server: postgres, extensions: ['pgcrypto'] } });
  new NovahostApp(platform, 'app-b', { services: { web }, database: { server: postgres } });
  const shared = synthesize(platform).shared;
  const job = findObject(shared, 'Job', 'postgres-provision');
  const container = job.spec.template.spec.containers[0];
  return {
    conf: findObject(shared, 'ConfigMap', 'postgres-config').data['postgresql.conf'] as string,
    sql: findObject(shared, 'ConfigMap', 'postgres-provisioning').data['provision.sql'] as string,
    sqlPath: `${job.spec.template.spec.containers[0].volumeMounts.find((m: any) => m.name === 'sql').mountPath}/provision.sql`,
    script: shellScriptOf(container),
    env: container.env as any[],
  };
}

describe('provisioning against a real PostgreSQL', () => {
  let pg: TestPostgres;
  const job = rendered();
  let sqlFile: string;

  /** Runs the Job's script as the Job does, with these app passwords in its Secret-fed env. */
  function runJob(passwords: Record<string, string>) {
    const secretEnv = job.env.filter((e) => e.valueFrom?.secretKeyRef && e.name !== 'PGPASSWORD').map((e) => e.name).sort();
    expect(Object.keys(passwords).sort()).toEqual(secretEnv);
    return pg.sh(relocate(job.script, job.sqlPath, sqlFile), passwords);
  }
  function expectOk(res: ReturnType<typeof runJob>) {
    if (res.status !== 0) throw new Error(`provisioning failed (${res.status}):\n${res.stdout}\n${res.stderr}`);
  }
  const canConnect = (database: string, user: string, password: string) => {
    try {
      pg.query('SELECT 1', { database, user, password });
      return 'ok';
    } catch (e) {
      return (e as Error).message;
    }
  };
  /** Everything provisioning may change, except password hashes (salted anew on every run). */
  const catalog = () => pg.query(`
    SELECT json_agg(x ORDER BY x::text) FROM (
      SELECT json_build_object('db', datname, 'owner', pg_get_userbyid(datdba), 'acl', datacl::text) AS x FROM pg_database
      UNION ALL
      SELECT json_build_object('role', rolname, 'login', rolcanlogin, 'super', rolsuper, 'createdb', rolcreatedb,
                               'createrole', rolcreaterole, 'replication', rolreplication, 'bypassrls', rolbypassrls)
      FROM pg_roles WHERE rolname !~ '^pg_'
    ) s`);

  beforeAll(async () => {
    pg = await startPostgres({ configText: job.conf });
    sqlFile = path.join(pg.workDir, 'provision.sql');
    fs.writeFileSync(sqlFile, job.sql);
  });
  afterAll(async () => {
    await pg?.stop();
  });

  it('starts with the rendered postgresql.conf', () => {
    expect(pg.query('SHOW shared_buffers')).toBe('256MB');
    expect(pg.query('SHOW max_connections')).toBe('100');
    expect(pg.query('SHOW password_encryption')).toBe('scram-sha-256');
  });

  it('creates each role and database; each role reaches only its own database', () => {
    expectOk(runJob({ PASSWORD_APP_A: 'pw-a-1', PASSWORD_APP_B: 'pw-b-1', PASSWORD_GRAFANA: 'pw-g-1', MONITOR_PASSWORD: 'pw-mon-1', REPLICATION_PASSWORD: 'pw-repl-1' }));

    expect(pg.query("SELECT datname || ':' || pg_get_userbyid(datdba) FROM pg_database WHERE datname LIKE 'app_%' ORDER BY 1"))
      .toBe('app_a:app_a\napp_b:app_b');
    expect(pg.query("SELECT rolname, rolcanlogin, rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname LIKE 'app_%' ORDER BY 1"))
      .toBe('app_a|t|f|f|f\napp_b|t|f|f|f');

    // Own database: connect and create tables (PostgreSQL 15+ public schema belongs to the owner).
    pg.query('CREATE TABLE notes (id int PRIMARY KEY, body text)', { database: 'app_a', user: 'app_a', password: 'pw-a-1' });
    pg.query("INSERT INTO notes VALUES (1, 'hello')", { database: 'app_a', user: 'app_a', password: 'pw-a-1' });
    pg.query('CREATE TABLE t (x int)', { database: 'app_b', user: 'app_b', password: 'pw-b-1' });
    expect(pg.query("SELECT encode(digest('x', 'sha256'), 'hex')", { database: 'app_a', user: 'app_a', password: 'pw-a-1' }))
      .toMatch(/^[0-9a-f]{64}$/);
    expect(pg.query("SELECT count(*) FROM pg_extension WHERE extname = 'pgcrypto'", { database: 'app_b' })).toBe('0');

    // Another app's database, and PUBLIC (a role with no grants), are refused.
    expect(canConnect('app_b', 'app_a', 'pw-a-1')).toMatch(/permission denied for database "app_b"/);
    expect(canConnect('app_a', 'app_b', 'pw-b-1')).toMatch(/permission denied for database "app_a"/);
    pg.query("CREATE ROLE outsider LOGIN PASSWORD 'outsider-pw'");
    expect(canConnect('app_a', 'outsider', 'outsider-pw')).toMatch(/permission denied for database "app_a"/);
  });

  it("gives Grafana's role what its migrations do on an empty database, in its own database only", () => {
    // Grafana's migrator (sqlstore/migrator) takes an advisory lock (migration_locking), creates
    // its log table and every other table with serial keys and indexes, some with names that need
    // quoting ("user"), and the admin user; all as the configured role.
    const grafana = { database: 'grafana', user: 'grafana', password: 'pw-g-1' };
    expect(pg.query("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'grafana'")).toBe('grafana');
    expect(pg.query(`SELECT pg_try_advisory_lock(1); CREATE TABLE IF NOT EXISTS migration_log (id SERIAL PRIMARY KEY NOT NULL, migration_id VARCHAR(255) NOT NULL, sql TEXT NOT NULL, success BOOL NOT NULL, error TEXT NOT NULL, timestamp TIMESTAMP NOT NULL);
      CREATE TABLE "user" (id SERIAL PRIMARY KEY NOT NULL, login VARCHAR(190) NOT NULL, email VARCHAR(190) NOT NULL);
      CREATE UNIQUE INDEX "UQE_user_login" ON "user" (login);
      INSERT INTO "user" (login, email) VALUES ('admin', 'admin@localhost');
      ALTER TABLE "user" ADD COLUMN is_admin BOOL NOT NULL DEFAULT false;
      SELECT pg_advisory_unlock(1); SELECT count(*) FROM "user"`, grafana)).toMatch(/1$/);
    expect(canConnect('app_a', 'grafana', 'pw-g-1')).toMatch(/permission denied for database "app_a"/);
    expect(canConnect('grafana', 'app_a', 'pw-a-1')).toMatch(/permission denied for database "grafana"/);
  });

  it("keeps app roles (and PUBLIC) out of the server's own databases; the superuser keeps them", () => {
    // This server's pg_hba.conf lets every role try every database: the grants alone refuse.
    for (const database of ['postgres', 'template1']) {
      expect(canConnect(database, 'app_a', 'pw-a-1')).toMatch(new RegExp(`permission denied for database "${database}"`));
      expect(canConnect(database, 'outsider', 'outsider-pw')).toMatch(new RegExp(`permission denied for database "${database}"`));
      expect(canConnect(database, pg.superuser, pg.superuserPassword)).toBe('ok');
    }
    expect(pg.query("SELECT datname || ' ' || has_database_privilege('public', oid, 'CONNECT') || ' ' || has_database_privilege('public', oid, 'TEMPORARY') FROM pg_database WHERE datname IN ('postgres', 'template1') ORDER BY 1"))
      .toBe('postgres false false\ntemplate1 false false');
  });

  it("creates the metrics exporter's role: statistics through pg_monitor, no app data", () => {
    const mon = { user: 'postgres_exporter', password: 'pw-mon-1' };
    expect(pg.query("SELECT rolcanlogin, rolsuper, pg_has_role('postgres_exporter', 'pg_monitor', 'MEMBER') FROM pg_roles WHERE rolname = 'postgres_exporter'")).toBe('t|f|t');
    // What postgres_exporter reads: server-wide statistics, including other sessions' activity.
    expect(Number(pg.query("SELECT count(*) FROM pg_stat_database WHERE datname = 'app_a'", { database: 'postgres', ...mon }))).toBe(1);
    expect(pg.query("SELECT count(*) > 0 FROM pg_stat_activity WHERE query IS NOT NULL AND query <> '<insufficient privilege>'", { database: 'postgres', ...mon })).toBe('t');
    // Its DSN's database only: no app database, not template1, no writes.
    expect(canConnect('postgres', mon.user, mon.password)).toBe('ok');
    expect(canConnect('template1', mon.user, mon.password)).toMatch(/permission denied for database "template1"/);
    expect(canConnect('app_a', mon.user, mon.password)).toMatch(/permission denied for database "app_a"/);
    expect(() => pg.query('CREATE TABLE x (y int)', { database: 'postgres', ...mon })).toThrow(/permission denied for schema public/);
  });

  it('runs again without error and changes nothing', () => {
    const before = catalog();
    const res = runJob({ PASSWORD_APP_A: 'pw-a-1', PASSWORD_APP_B: 'pw-b-1', PASSWORD_GRAFANA: 'pw-g-1', MONITOR_PASSWORD: 'pw-mon-1', REPLICATION_PASSWORD: 'pw-repl-1' });
    expectOk(res);
    expect(catalog()).toBe(before);
    expect(pg.query('SELECT body FROM notes', { database: 'app_a', user: 'app_a', password: 'pw-a-1' })).toBe('hello');
    expect(res.stdout).not.toMatch(/CREATE (ROLE|DATABASE)/);
    expect(res.stderr).not.toMatch(/WARNING|ERROR/);
    expect(canConnect('postgres', 'postgres_exporter', 'pw-mon-1')).toBe('ok');
    expect(canConnect('postgres', 'app_a', 'pw-a-1')).toMatch(/permission denied for database "postgres"/);
  });

  it('applies a changed password on the next run: the old one fails, the new one works', () => {
    expectOk(runJob({ PASSWORD_APP_A: 'pw-a-2', PASSWORD_APP_B: 'pw-b-1', PASSWORD_GRAFANA: 'pw-g-1', MONITOR_PASSWORD: 'pw-mon-1', REPLICATION_PASSWORD: 'pw-repl-1' }));
    expect(canConnect('app_a', 'app_a', 'pw-a-1')).toMatch(/password authentication failed for user "app_a"/);
    expect(canConnect('app_a', 'app_a', 'pw-a-2')).toBe('ok');
    expect(canConnect('app_b', 'app_b', 'pw-b-1')).toBe('ok');
  });

  it('fails before running any SQL when a password Secret is empty, naming the Secret', () => {
    const before = catalog();
    const res = runJob({ PASSWORD_APP_A: '', PASSWORD_APP_B: 'pw-b-1', PASSWORD_GRAFANA: 'pw-g-1', MONITOR_PASSWORD: 'pw-mon-1', REPLICATION_PASSWORD: 'pw-repl-1' });
    expect(res.status).not.toBe(0);
    expect(res.stderr).toContain('key password of Secret postgres-app-app-a in namespace shared');
    expect(catalog()).toBe(before);
  });

  it('quotes names that need it and passwords with quotes; nothing injects SQL', () => {
    pg.query('CREATE TABLE canary (x int)');
    const hostile = [
      { database: 'Mixed-Case DB', role: 'Mixed-Case Role', passwordEnv: 'PW_MIXED', extensions: ['pgcrypto'] },
      {
        database: `evil"; DROP TABLE canary; --`,
        role: `o'brien'); DROP TABLE canary; --`,
        passwordEnv: 'PW_EVIL',
        extensions: [],
      },
    ];
    const passwords = {
      PW_MIXED: `it's "quoted" \\ $HOME \`id\` $(id) :'pw_0'`,
      PW_EVIL: `'; DROP TABLE canary; --`,
    };
    const file = path.join(pg.workDir, 'hostile.sql');
    fs.writeFileSync(file, provisioningSql(hostile));
    const script = provisioningScript(hostile, { sqlFile: file });
    expectOk(pg.sh(script, passwords));
    expectOk(pg.sh(script, passwords)); // and idempotent

    expect(pg.query('SELECT count(*) FROM canary')).toBe('0');
    expect(canConnect('Mixed-Case DB', 'Mixed-Case Role', passwords.PW_MIXED)).toBe('ok');
    expect(canConnect(hostile[1].database, hostile[1].role, passwords.PW_EVIL)).toBe('ok');
    expect(canConnect('Mixed-Case DB', hostile[1].role, passwords.PW_EVIL)).toMatch(/permission denied/);
    expect(pg.query("SELECT count(*) FROM pg_extension WHERE extname = 'pgcrypto'", { database: 'Mixed-Case DB' })).toBe('1');
    expect(pg.query(`SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'evil"; DROP TABLE canary; --'`))
      .toBe(hostile[1].role);
  });
});
