import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { Monitoring, NovahostApp } from '../../lib';
import { pgHbaConf } from '../../lib/data/postgres/config';
import { SharedPostgres } from '../../lib/data/postgres/shared-postgres';
import { findObject, routedPlatform, synthesize } from '../support/platform';
import { relocate, shellScriptOf, startPostgres, TestPostgres } from '../support/postgres-server';

/**
 * Client authentication of SharedPostgres on a real server: the rendered postgresql.conf with
 * pgHbaConf()'s file as hba_file, attacked from connections shaped like each container that
 * talks to it (the exporter sidecar, an app, the provisioning Job, the backup CronJob, the
 * restore procedure through `kubectl exec`) and like the ones that must fail.
 */

function rendered() {
  const platform = routedPlatform();
  new Monitoring(platform, 'monitoring');
  // No timescaledb preload: the test server has no TimescaleDB (see environment notes).
  const postgres = new SharedPostgres(platform, 'postgres', { sharedPreloadLibraries: [], metrics: true, backup: { retentionDays: 7 } });
  const web = { image: 'ghcr.io/example/web:1.0.0', port: 3000, database: true };
  new NovahostApp(platform, 'app-a', { services: { web }, database: { server: postgres } });
  new NovahostApp(platform, 'app-b', { services: { web }, database: { server: postgres } });
  const shared = synthesize(platform).shared;
  const env = (container: any) => Object.fromEntries((container.env as any[]).filter((e) => 'value' in e).map((e) => [e.name, e.value as string]));
  const pod = findObject(shared, 'StatefulSet', 'postgres').spec.template.spec;
  const server = pod.containers.find((c: any) => c.name === 'postgres');
  const exporter = pod.containers.find((c: any) => c.name !== 'postgres');
  const job = findObject(shared, 'Job', 'postgres-provision').spec.template.spec.containers[0];
  const dump = findObject(shared, 'CronJob', 'postgres-backup').spec.jobTemplate.spec.template.spec.containers[0];
  return {
    postgres,
    conf: findObject(shared, 'ConfigMap', 'postgres-config').data['postgresql.conf'] as string,
    hba: findObject(shared, 'ConfigMap', 'postgres-config').data['pg_hba.conf'] as string | undefined,
    sql: findObject(shared, 'ConfigMap', 'postgres-provisioning').data['provision.sql'] as string,
    provision: shellScriptOf(job),
    jobEnv: env(job),
    backup: shellScriptOf(dump),
    backupEnv: env(dump),
    backupDir: dump.volumeMounts.find((m: any) => m.name === 'backups').mountPath as string,
    exporterEnv: env(exporter),
    probe: server.readinessProbe.exec.command as string[],
  };
}

const PASSWORDS = { PASSWORD_APP_A: 'pw-a', PASSWORD_APP_B: 'pw-b', MONITOR_PASSWORD: 'pw-mon', REPLICATION_PASSWORD: 'pw-repl' };
/** An OS user that is not the server's: root when the tests run as root, else the current user. */
const OTHER_OS_USER = os.userInfo().username === 'postgres' ? 'nobody' : os.userInfo().username;

describe('pg_hba.conf of SharedPostgres on a real PostgreSQL', () => {
  const r = rendered();
  const superuser = r.jobEnv.PGUSER;
  const monitorRole = r.exporterEnv.DATA_SOURCE_USER;
  let pg: TestPostgres;

  /** psql over TCP to 127.0.0.1; `password` undefined sends none (-w: never prompt). */
  function tcp(user: string, database: string, password?: string): string {
    const env = { ...pg.env({ PGUSER: user, PGDATABASE: database }) };
    delete env.PGPASSWORD;
    if (password !== undefined) env.PGPASSWORD = password;
    const res = spawnSync('psql', ['-X', '-w', '-A', '-t', '-c', 'SELECT current_user || \'@\' || current_database()'], { env, encoding: 'utf8', timeout: 15000 });
    return res.status === 0 ? res.stdout.trim() : res.stderr.trim();
  }
  /** psql over the Unix socket as an OS user (what `kubectl exec` in the server container is). */
  function socket(osUser: string, role: string | undefined, database: string): string {
    const res = pg.shOverSocketAs(osUser, 'psql -X -w -A -t -c "SELECT current_user || \'@\' || current_database()"', {
      PGDATABASE: database, ...(role ? { PGUSER: role } : {}),
    });
    return res.status === 0 ? res.stdout.trim() : res.stderr.trim();
  }

  beforeAll(async () => {
    expect(superuser).toBe('postgres');
    expect(r.exporterEnv.DATA_SOURCE_URI).toMatch(/^127\.0\.0\.1:\d+\/postgres\?/);
    // The ConfigMap's file once SharedPostgres renders it beside postgresql.conf; the function's until then.
    const hba = r.hba ?? pgHbaConf({ superuser, monitorRole, replicationRole: 'backup_replication' });
    if (r.hba !== undefined) expect(r.hba).toBe(pgHbaConf({ superuser, monitorRole, replicationRole: 'backup_replication' }));
    pg = await startPostgres({ configText: r.conf, hbaText: hba });
    const sqlFile = path.join(pg.workDir, 'provision.sql');
    fs.writeFileSync(sqlFile, r.sql);
    // The provisioning Job: the superuser over TCP with its password.
    const res = pg.sh(relocate(r.provision, '/provisioning/provision.sql', sqlFile), PASSWORDS);
    if (res.status !== 0) throw new Error(`provisioning failed:\n${res.stderr}`);
  });
  afterAll(async () => {
    await pg?.stop();
  });

  it('is the file in use, and the server reads every line of it', () => {
    expect(pg.query('SHOW hba_file')).toBe(path.join(pg.workDir, 'pg_hba.conf'));
    expect(pg.query('SELECT count(*) FROM pg_hba_file_rules WHERE error IS NOT NULL')).toBe('0');
    expect(pg.query("SELECT string_agg(type || ' ' || array_to_string(database, ',') || ' ' || array_to_string(user_name, ',') || ' ' || auth_method, '; ' ORDER BY line_number) FROM pg_hba_file_rules"))
      .toBe('local all postgres peer; host all postgres scram-sha-256; host postgres postgres_exporter scram-sha-256; host sameuser all scram-sha-256; host replication backup_replication scram-sha-256');
  });

  it('asks the superuser for its password over loopback (a sidecar cannot log in without one)', () => {
    expect(tcp(superuser, 'postgres')).toMatch(/fe_sendauth: no password supplied/);
    expect(tcp(superuser, 'postgres', 'wrong-password')).toMatch(/password authentication failed for user "postgres"/);
    expect(tcp(superuser, 'postgres', pg.superuserPassword)).toBe('postgres@postgres');
    // The provisioning Job and the backups connect like this, to every database.
    expect(tcp(superuser, 'app_a', pg.superuserPassword)).toBe('postgres@app_a');
  });

  it("lets the exporter in only with its DSN's database", () => {
    const [, database] = /^[^/]+\/([^?]+)/.exec(r.exporterEnv.DATA_SOURCE_URI)!;
    expect(tcp(monitorRole, database, PASSWORDS.MONITOR_PASSWORD)).toBe('postgres_exporter@postgres');
    expect(pg.query("SELECT count(*) > 0 FROM pg_stat_activity WHERE query <> '<insufficient privilege>'", { database, user: monitorRole, password: PASSWORDS.MONITOR_PASSWORD })).toBe('t');
    expect(tcp(monitorRole, database)).toMatch(/no password supplied/);
    for (const other of ['app_a', 'template1']) {
      expect(tcp(monitorRole, other, PASSWORDS.MONITOR_PASSWORD)).toMatch(new RegExp(`no pg_hba.conf entry for host "127.0.0.1", user "postgres_exporter", database "${other}"`));
    }
  });

  it('lets an app in only to its own database, with its password', () => {
    expect(tcp('app_a', 'app_a', 'pw-a')).toBe('app_a@app_a');
    expect(tcp('app_a', 'app_a', 'pw-b')).toMatch(/password authentication failed for user "app_a"/);
    expect(tcp('app_a', 'app_a')).toMatch(/no password supplied/);
    for (const other of ['app_b', 'postgres', 'template1']) {
      expect(tcp('app_a', other, 'pw-a')).toMatch(new RegExp(`no pg_hba.conf entry for host "127.0.0.1", user "app_a", database "${other}"`));
    }
  });

  it('allows physical replication connections to the base backups\' role only, with its password', () => {
    const as = (user: string, password?: string) => spawnSync('psql', ['-X', '-w', '-d', 'replication=true', '-c', 'IDENTIFY_SYSTEM'], {
      env: { ...pg.env({ PGUSER: user }), ...(password === undefined ? { PGPASSWORD: '' } : { PGPASSWORD: password }) }, encoding: 'utf8',
    });
    expect(as('backup_replication', PASSWORDS.REPLICATION_PASSWORD).status).toBe(0);
    expect(as('backup_replication', 'wrong').stderr).toMatch(/password authentication failed for user "backup_replication"/);
    expect(as('app_a', PASSWORDS.PASSWORD_APP_A).stderr).toMatch(/no pg_hba.conf entry for replication connection/);
  });

  it('refuses physical replication connections, even for the superuser with its password', () => {
    // (Logical replication connections name a database and match the lines above: superuser only.)
    const res = spawnSync('psql', ['-X', '-w', '-d', 'replication=true', '-c', 'IDENTIFY_SYSTEM'], { env: pg.env(), encoding: 'utf8' });
    expect(res.status).not.toBe(0);
    expect(res.stderr).toMatch(/no pg_hba.conf entry for replication connection/);
  });

  it('allows the Unix socket only to the OS user postgres, as the role postgres', () => {
    // `kubectl exec postgres-0 -- psql`: the container's user, no PGUSER, no password.
    expect(socket('postgres', undefined, 'app_a')).toBe('postgres@app_a');
    expect(socket('postgres', 'app_a', 'app_a')).toMatch(/no pg_hba.conf entry for host "\[local\]", user "app_a"/);
    expect(socket('postgres', monitorRole, 'postgres')).toMatch(/no pg_hba.conf entry for host "\[local\]", user "postgres_exporter"/);
    expect(socket(OTHER_OS_USER, 'postgres', 'postgres')).toMatch(/Peer authentication failed for user "postgres"/);
    expect(socket('nobody', 'postgres', 'postgres')).toMatch(/Peer authentication failed for user "postgres"/);
  });

  it('backs up over TCP with the password and restores over the socket as the OS user postgres', () => {
    const asA = { database: 'app_a', user: 'app_a', password: 'pw-a' };
    pg.query("CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes VALUES (1, 'kept')", asA);
    const backups = path.join(pg.workDir, 'backups');
    fs.mkdirSync(backups, { mode: 0o755 });
    expect(r.backupEnv.PGUSER).toBe(superuser);
    const res = pg.sh(relocate(r.backup, `'${r.backupDir}'`, `'${backups}'`));
    if (res.status !== 0) throw new Error(`backup failed:\n${res.stderr}`);
    const dump = path.join(backups, 'app_a', fs.readdirSync(path.join(backups, 'app_a')).find((f) => /Z\.dump$/.test(f))!);
    fs.chmodSync(dump, 0o644);

    pg.query('DROP TABLE notes', asA);
    const restore = pg.shOverSocketAs('postgres', `exec < '${dump}'\n${r.postgres.restoreCommand('app_a')}`);
    if (restore.status !== 0) throw new Error(`restore failed:\n${restore.stderr}`);
    expect(pg.query('SELECT body FROM notes', asA)).toBe('kept');
  });

  it('answers the probes without a password', () => {
    const probe = r.probe.map((a) => a.replace(/^--port=\d+$/, `--port=${pg.port}`));
    expect(probe).toContain(`--port=${pg.port}`);
    const res = spawnSync(probe[0], probe.slice(1), { env: { PATH: process.env.PATH }, encoding: 'utf8' });
    expect(res.status).toBe(0);
  });
});

describe('the pg_hba.conf initdb writes (what the server used before hba_file)', () => {
  let pg: TestPostgres;

  beforeAll(async () => {
    pg = await startPostgres({ configText: rendered().conf, initdbAuth: 'image' });
  });
  afterAll(async () => {
    await pg?.stop();
  });

  it('lets anyone in the pod log in as the superuser over loopback without a password', () => {
    const env = { ...pg.env() };
    delete env.PGPASSWORD;
    const res = spawnSync('psql', ['-X', '-w', '-A', '-t', '-c', 'SELECT current_user'], { env, encoding: 'utf8' });
    expect(res.stdout.trim()).toBe('postgres');
  });
});

describe('pgHbaConf', () => {
  it('leaves out the exporter line without a monitor role', () => {
    const text = pgHbaConf({ superuser: 'postgres' });
    expect(text).not.toMatch(/^host +postgres /m);
    expect(text).toMatch(/^host +sameuser +all +all +scram-sha-256$/m);
  });

  it('fails when a role is not a plain lower-case name, or the monitor is the superuser', () => {
    expect(() => pgHbaConf({ superuser: 'post gres' })).toThrow('pg_hba.conf: "post gres" is not a lower-case role name');
    expect(() => pgHbaConf({ superuser: 'postgres', monitorRole: 'all\nlocal' })).toThrow(/is not a lower-case role name/);
    expect(() => pgHbaConf({ superuser: 'postgres', monitorRole: 'postgres' })).toThrow('pg_hba.conf: the monitor role cannot be the superuser "postgres"');
  });
});
