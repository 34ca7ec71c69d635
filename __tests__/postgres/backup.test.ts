import * as fs from 'fs';
import * as path from 'path';
import { NovahostApp } from '../../lib';
import { backupScript, restoreScript } from '../../lib/data/postgres/backup';
import { SharedPostgres } from '../../lib/data/postgres/shared-postgres';
import { findObject, synthesize, testPlatform } from '../support/platform';
import { relocate, shellScriptOf, startPostgres, TestPostgres } from '../support/postgres-server';

/**
 * The backup CronJob's command, as rendered into dist/, dumps real databases; the restore
 * procedure puts them into a fresh server with the data intact.
 */

function rendered() {
  const platform = testPlatform();
  const postgres = new SharedPostgres(platform, 'postgres', { sharedPreloadLibraries: [], backup: { retentionDays: 7 } });
  const web = { image: 'ghcr.io/example/web:1.0.0', port: 3000, database: true };
  new NovahostApp(platform, 'app-a', { services: { web }, database: { server: postgres, extensions: ['pgcrypto'] } });
  new NovahostApp(platform, 'app-b', { services: { web }, database: { server: postgres } });
  const shared = synthesize(platform).shared;
  const cron = findObject(shared, 'CronJob', 'postgres-backup');
  const dump = cron.spec.jobTemplate.spec.template.spec.containers[0];
  const job = findObject(shared, 'Job', 'postgres-provision').spec.template.spec.containers[0];
  return {
    postgres,
    sql: findObject(shared, 'ConfigMap', 'postgres-provisioning').data['provision.sql'] as string,
    provision: shellScriptOf(job),
    backup: shellScriptOf(dump),
    backupDir: dump.volumeMounts.find((m: any) => m.name === 'backups').mountPath as string,
  };
}

const PASSWORDS = { PASSWORD_APP_A: 'pw-a', PASSWORD_APP_B: 'pw-b', REPLICATION_PASSWORD: 'pw-repl' };
const DAY_MS = 24 * 3600 * 1000;

describe('backups against a real PostgreSQL', () => {
  const r = rendered();
  let source: TestPostgres;
  let target: TestPostgres;
  let backups: string;

  function provision(pg: TestPostgres) {
    const sqlFile = path.join(pg.workDir, 'provision.sql');
    fs.writeFileSync(sqlFile, r.sql);
    const res = pg.sh(relocate(r.provision, '/provisioning/provision.sql', sqlFile), PASSWORDS);
    if (res.status !== 0) throw new Error(`provisioning failed:\n${res.stderr}`);
  }
  const dumpsOf = (db: string) => fs.readdirSync(path.join(backups, db)).sort();
  const touchAged = (file: string, days: number) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, 'old');
    const t = new Date(Date.now() - days * DAY_MS);
    fs.utimesSync(file, t, t);
  };

  beforeAll(async () => {
    [source, target] = await Promise.all([startPostgres(), startPostgres()]);
    backups = path.join(source.workDir, 'backups');
    fs.mkdirSync(backups, { mode: 0o777 });
    provision(source);
    const asA = { database: 'app_a', user: 'app_a', password: 'pw-a' };
    source.query('CREATE TABLE events (id bigserial PRIMARY KEY, at timestamptz NOT NULL, hash text NOT NULL)', asA);
    source.query("INSERT INTO events (at, hash) SELECT now() - i * interval '1 minute', encode(digest(i::text, 'sha256'), 'hex') FROM generate_series(1, 500) i", asA);
    source.query("CREATE TABLE t (x text); INSERT INTO t VALUES ('b')", { database: 'app_b', user: 'app_b', password: 'pw-b' });
  });
  afterAll(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
  });

  it('dumps every database with the rendered command and applies retention per database', () => {
    touchAged(path.join(backups, 'app_a', 'app_a-old.dump'), 8);
    touchAged(path.join(backups, 'app_a', 'app_a-recent.dump'), 2);
    const res = source.sh(relocate(r.backup, `'${r.backupDir}'`, `'${backups}'`));
    if (res.status !== 0) throw new Error(`backup failed:\n${res.stderr}`);
    const a = dumpsOf('app_a');
    expect(a).not.toContain('app_a-old.dump');
    expect(a).toContain('app_a-recent.dump');
    expect(a.filter((f) => /^app_a-\d{8}T\d{6}Z\.dump$/.test(f))).toHaveLength(1);
    expect(dumpsOf('app_b').filter((f) => /^app_b-\d{8}T\d{6}Z\.dump$/.test(f))).toHaveLength(1);
    expect(a.some((f) => f.endsWith('.partial'))).toBe(false);
  });

  it('keeps old dumps of a database whose dump failed, and exits non-zero', () => {
    touchAged(path.join(backups, 'gone_db', 'gone_db-old.dump'), 30);
    const res = source.sh(backupScript({ databases: ['gone_db'], directory: backups, retentionDays: 7 }));
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('pg_dump of gone_db failed; older dumps kept');
    expect(dumpsOf('gone_db')).toEqual(['gone_db-old.dump']);
  });

  it('restores a dump into a freshly provisioned server with the data intact', () => {
    provision(target);
    const dump = path.join(backups, 'app_a', dumpsOf('app_a').find((f) => /Z\.dump$/.test(f))!);
    fs.chmodSync(dump, 0o644);
    const res = target.sh(r.postgres.restoreCommand('app_a', dump));
    if (res.status !== 0) throw new Error(`restore failed:\n${res.stderr}`);
    const query = "SELECT count(*) || ':' || md5(string_agg(id || at::text || hash, ',' ORDER BY id)) FROM events";
    const asA = { database: 'app_a', user: 'app_a', password: 'pw-a' };
    expect(target.query(query, asA)).toBe(source.query(query, asA));
    expect(target.query("SELECT tableowner FROM pg_tables WHERE tablename = 'events'", { database: 'app_a' })).toBe('app_a');
    // The sequence continues where it was.
    expect(target.query("INSERT INTO events (at, hash) VALUES (now(), 'x') RETURNING id", asA)).toBe('501');
  });

  it('restores from standard input (kubectl exec -i) too', () => {
    const dump = path.join(backups, 'app_b', dumpsOf('app_b').find((f) => /Z\.dump$/.test(f))!);
    fs.chmodSync(dump, 0o644);
    const res = target.sh(`${r.postgres.restoreCommand('app_b')}`.replace(/^/, `exec < '${dump}'\n`));
    if (res.status !== 0) throw new Error(`restore failed:\n${res.stderr}`);
    expect(target.query('SELECT x FROM t', { database: 'app_b', user: 'app_b', password: 'pw-b' })).toBe('b');
  });

  it('wraps pg_restore in timescaledb_pre_restore/post_restore for TimescaleDB databases', () => {
    // TimescaleDB is not available here: the branch is checked by its text.
    expect(restoreScript({ database: 'metrics', file: '/backups/metrics/m.dump', timescaledb: true })).toBe([
      'set -eu',
      "psql -X -v ON_ERROR_STOP=1 --dbname='metrics' -c 'SELECT timescaledb_pre_restore();'",
      'status=0',
      "pg_restore --exit-on-error --dbname='metrics' '/backups/metrics/m.dump' || status=$?",
      "psql -X -v ON_ERROR_STOP=1 --dbname='metrics' -c 'SELECT timescaledb_post_restore();'",
      'exit "$status"',
      '',
    ].join('\n'));
  });
});
