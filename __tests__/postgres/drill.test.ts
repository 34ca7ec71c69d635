import * as fs from 'fs';
import * as path from 'path';
import { NovahostApp } from '../../lib';
import { drillScript } from '../../lib/data/postgres/drill';
import { SharedPostgres } from '../../lib/data/postgres/shared-postgres';
import { findObject, synthesize, testPlatform } from '../support/platform';
import { relocate, shellScriptOf, startPostgres, TestPostgres } from '../support/postgres-server';

/**
 * The nightly restore drill's checks on a real PostgreSQL 15: the rendered CronJob's script
 * passes on good dumps, fails (naming the database and the check) on a missing, unreadable,
 * shrunken or stale dump and on a copy whose row counts are off, and always drops its scratch
 * database. It never writes to an app's database.
 */
function rendered() {
  const platform = testPlatform();
  const postgres = new SharedPostgres(platform, 'postgres', { sharedPreloadLibraries: [] });
  const web = { image: 'ghcr.io/example/web:1.0.0', port: 3000, database: true };
  new NovahostApp(platform, 'app-a', { services: { web }, database: { server: postgres } });
  new NovahostApp(platform, 'app-b', { services: { web }, database: { server: postgres } });
  const shared = synthesize(platform).shared;
  const spec = (name: string) => findObject(shared, 'CronJob', name).spec.jobTemplate.spec.template.spec;
  return {
    sql: findObject(shared, 'ConfigMap', 'postgres-provisioning').data['provision.sql'] as string,
    provision: shellScriptOf(findObject(shared, 'Job', 'postgres-provision').spec.template.spec.containers[0]),
    dump: shellScriptOf(spec('postgres-backup').containers[0]),
    drill: shellScriptOf(spec('postgres-restore-drill').containers[0]),
    drillMounts: spec('postgres-restore-drill').containers[0].volumeMounts,
  };
}

const r = rendered();
const PASSWORDS = { PASSWORD_APP_A: 'pw-a', PASSWORD_APP_B: 'pw-b', REPLICATION_PASSWORD: 'pw-repl' };
const asA = { database: 'app_a', user: 'app_a', password: 'pw-a' };

describe('the restore drill on a real PostgreSQL', () => {
  let pg: TestPostgres;
  let backups: string;
  const drill = () => pg.sh(relocate(r.drill, "'/backups'", `'${backups}'`), { TMPDIR: pg.workDir });
  const latestOf = (db: string) => path.join(backups, db, fs.readdirSync(path.join(backups, db)).filter((f) => f.endsWith('.dump')).sort().pop()!);
  const dumpAgain = () => {
    // Dump names have one-second resolution.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1100);
    const res = pg.sh(relocate(r.dump, "'/backups'", `'${backups}'`));
    if (res.status !== 0) throw new Error(res.stderr);
  };

  beforeAll(async () => {
    pg = await startPostgres();
    backups = path.join(pg.workDir, 'backups');
    fs.mkdirSync(backups);
    const sqlFile = path.join(pg.workDir, 'provision.sql');
    fs.writeFileSync(sqlFile, r.sql);
    const res = pg.sh(relocate(r.provision, '/provisioning/provision.sql', sqlFile), PASSWORDS);
    if (res.status !== 0) throw new Error(res.stderr);
    pg.query("CREATE TABLE events (id bigserial PRIMARY KEY, body text); INSERT INTO events (body) SELECT repeat('x', 200) FROM generate_series(1, 2000)", asA);
    pg.query("CREATE TABLE t (x text); INSERT INTO t VALUES ('b')", { database: 'app_b', user: 'app_b', password: 'pw-b' });
    dumpAgain();
  }, 60000);
  afterAll(async () => pg?.stop());

  it('mounts the backups volume read-only', () => {
    expect(r.drillMounts).toContainEqual({ name: 'backups', mountPath: '/backups', readOnly: true });
  });

  it('passes on good dumps, checking every database, and drops its scratch database', () => {
    const res = drill();
    expect([res.status, res.stderr]).toEqual([0, '']);
    expect(res.stdout).toMatch(/drill: ok app_a: .*app_a-\d{8}T\d{6}Z\.dump \(\d+ bytes, 1 tables of data, 1 tables checked\)/);
    expect(res.stdout).toMatch(/drill: ok app_b: /);
    expect(pg.query("SELECT count(*) FROM pg_database WHERE datname = 'restore_drill'")).toBe('0');
  });

  it('fails when the live row counts are far from the restored ones', () => {
    pg.query('DELETE FROM events WHERE id > 500', asA);
    const res = drill();
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('drill: FAILED app_a: public.events has 2000 rows, live 500');
    expect(res.stdout).toMatch(/drill: ok app_b: /);
    expect(pg.query("SELECT count(*) FROM pg_database WHERE datname = 'restore_drill'")).toBe('0');
  });

  it('fails when the latest dump is much smaller than the one before', () => {
    dumpAgain();
    const res = drill();
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/drill: FAILED app_a: .* is \d+ bytes, less than 50 % of the previous dump \(\d+ bytes\)/);
  });

  it('fails on an unreadable dump, a stale one and a database without any', () => {
    dumpAgain();
    fs.writeFileSync(latestOf('app_b'), 'not a dump');
    const stale = latestOf('app_a');
    const old = new Date(Date.now() - 30 * 3600 * 1000);
    fs.utimesSync(stale, old, old);
    const missing = drillScript({ databases: [{ name: 'gone', timescaledb: false }], directory: backups, scratch: 'restore_drill', rowTolerance: 0.1, minSizeRatio: 0.5, maxDumpAgeHours: 26 });
    const res = drill();
    expect(res.status).toBe(1);
    expect(res.stderr).toContain(`drill: FAILED app_a: latest dump ${stale} is older than 26 h`);
    expect(res.stderr).toContain('drill: FAILED app_b: pg_restore --list cannot read');
    const none = pg.sh(missing, { TMPDIR: pg.workDir });
    expect([none.status, none.stderr]).toEqual([1, 'drill: FAILED gone: no dump\n']);
  });

  it('refuses a scratch database that is a live one', () => {
    expect(() => drillScript({ databases: [{ name: 'app_a', timescaledb: false }], directory: '/backups', scratch: 'app_a', rowTolerance: 0.1, minSizeRatio: 0.5, maxDumpAgeHours: 26 }))
      .toThrow('the scratch database app_a is a live one');
  });
});
