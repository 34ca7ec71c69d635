import * as fs from 'fs';
import * as path from 'path';
import { NovahostApp } from '../../lib';
import { downloadScript } from '../../lib/data/postgres/offsite';
import { prepareRecoveryScript, scratchDumpScript } from '../../lib/data/postgres/pitr';
import { SharedPostgres } from '../../lib/data/postgres/shared-postgres';
import { findObject, synthesize, testPlatform } from '../support/platform';
import { writeFakeAws } from '../support/fake-aws';
import { serverWritableDir, shAsServerUser, shellScriptOf, startPostgres, TestPostgres } from '../support/postgres-server';

/**
 * Continuous archiving and point-in-time recovery on a real PostgreSQL 15 (Debian's
 * pg_basebackup 15; see the environment notes), with the rendered postgresql.conf (its
 * archive_command and restore_command), pg_hba.conf (the replication line), provisioning (the
 * replication role), base backup CronJob and off-site upload CronJob: only paths move from the
 * pod's to a test folder. The upload's `aws` is a stand-in that copies into a folder (no
 * S3-compatible server runs offline here); gpg is the real one.
 */

function rendered() {
  const platform = testPlatform();
  const postgres = new SharedPostgres(platform, 'postgres', {
    sharedPreloadLibraries: [],
    backup: { s3: { endpoint: 'https://fra1.digitaloceanspaces.com', bucket: 'example-backups', credentialsSecret: 'postgres-backup-s3' } },
  });
  const web = { image: 'ghcr.io/example/web:1.0.0', port: 3000, database: true };
  new NovahostApp(platform, 'app-a', { services: { web }, database: { server: postgres } });
  new NovahostApp(platform, 'app-b', { services: { web }, database: { server: postgres } });
  const shared = synthesize(platform).shared;
  const config = findObject(shared, 'ConfigMap', 'postgres-config').data;
  const cron = (name: string) => findObject(shared, 'CronJob', name).spec.jobTemplate.spec.template.spec;
  const upload = cron('postgres-backup-upload');
  return {
    postgres,
    conf: config['postgresql.conf'] as string,
    hba: config['pg_hba.conf'] as string,
    sql: findObject(shared, 'ConfigMap', 'postgres-provisioning').data['provision.sql'] as string,
    provision: shellScriptOf(findObject(shared, 'Job', 'postgres-provision').spec.template.spec.containers[0]),
    dump: shellScriptOf(cron('postgres-backup').containers[0]),
    baseBackup: cron('postgres-basebackup'),
    encrypt: shellScriptOf(upload.initContainers[0]),
    upload: shellScriptOf(upload.containers[0]),
  };
}

const r = rendered();
const PASSWORDS = { PASSWORD_APP_A: 'pw-a', PASSWORD_APP_B: 'pw-b', REPLICATION_PASSWORD: 'pw-repl' };
const asA = { database: 'app_a', user: 'app_a', password: 'pw-a' };

/** A script with the pod's paths moved into the test folder. */
function local(script: string, root: string): string {
  return script.split('/backups').join(`${root}/backups`).split('/etc/postgresql').join(`${root}/etc`).split('/provisioning/').join(`${root}/etc/`);
}

describe('point-in-time recovery on a real PostgreSQL', () => {
  let root: string;
  let source: TestPostgres;
  let target: TestPostgres;
  let restored: TestPostgres | undefined;
  let T: Date;
  const backups = () => `${root}/backups`;

  function asServer(script: string, extra: Record<string, string> = {}) {
    const res = shAsServerUser(script, { ...(source.env() as Record<string, string>), TMPDIR: `${root}/tmp`, ...extra });
    if (res.status !== 0) throw new Error(`script failed (${res.status}):\n${res.stdout}\n${res.stderr}`);
    return res.stdout;
  }
  function waitArchived(pg: TestPostgres) {
    const segment = pg.query('SELECT pg_walfile_name(pg_switch_wal())');
    for (let i = 0; i < 200; i++) {
      const last = pg.query("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver");
      if (last >= segment) return;
      spawnSleep(0.1);
    }
    throw new Error(`segment ${segment} was not archived:\n${pg.log()}`);
  }

  beforeAll(async () => {
    root = serverWritableDir('novahost-pitr-');
    for (const d of ['backups', 'etc', 'tmp', 'bin', 'bucket']) {
      fs.mkdirSync(path.join(root, d));
      fs.chmodSync(path.join(root, d), 0o777);
    }
    fs.writeFileSync(path.join(root, 'etc', 'pg_hba.conf'), r.hba, { mode: 0o644 });
    fs.writeFileSync(path.join(root, 'etc', 'provision.sql'), r.sql, { mode: 0o644 });
    fs.writeFileSync(path.join(root, 'etc', 'passphrase'), 'test passphrase\n', { mode: 0o644 });
    // The stand-in for `aws`: s3://bucket/key is <root>/bucket/bucket/key.
    writeFakeAws(path.join(root, 'bin'), root);
    fs.writeFileSync(path.join(root, 'etc', 'postgresql.conf'), local(r.conf, root), { mode: 0o644 });
    [source, target] = await Promise.all([
      startPostgres({ configText: local(r.conf, root), hbaText: r.hba }),
      startPostgres(),
    ]);
    asServer(local(r.provision, root), PASSWORDS);
    source.query('CREATE TABLE events (id bigserial PRIMARY KEY, phase text NOT NULL)', asA);
    source.query("INSERT INTO events (phase) SELECT 'before-base' FROM generate_series(1, 100)", asA);
    source.query("CREATE TABLE t (x text); INSERT INTO t VALUES ('b')", { database: 'app_b', user: 'app_b', password: 'pw-b' });
  }, 60000);
  afterAll(async () => {
    await Promise.all([source?.stop(), target?.stop(), restored?.stop()]);
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it('renders archiving into postgresql.conf and the replication role into pg_hba.conf', () => {
    expect(r.conf).toContain("archive_mode = 'on'");
    expect(r.conf).toContain("archive_timeout = '5min'");
    expect(r.conf).toMatch(/^archive_command = '.*"\/backups\/wal-archive".*%f\.gz.*'$/m);
    expect(r.hba).toMatch(/^host +replication +backup_replication +all +scram-sha-256$/m);
    const env = Object.fromEntries(r.baseBackup.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    expect(env.PGUSER).toBe('backup_replication');
    expect(env.PGPASSWORD).toEqual({ secretKeyRef: { name: 'postgres-replication', key: 'password' } });
  });

  it('archives WAL and takes a base backup as the replication role only', () => {
    const out = asServer(local(shellScriptOf(r.baseBackup.containers[0]), root), { PGUSER: 'backup_replication', PGPASSWORD: 'pw-repl' });
    expect(out).toMatch(/basebackup: .*\/base-backups\/\d{8}T\d{6}Z/);
    const [base] = fs.readdirSync(path.join(backups(), 'base-backups'));
    expect(fs.readdirSync(path.join(backups(), 'base-backups', base)).sort()).toEqual(['backup_manifest', 'base.tar.gz', 'finished_at', 'pg_wal.tar.gz', expect.stringMatching(/^start-wal-[0-9A-F]{24}$/)]);
    // An app role cannot open a replication connection, nor can the superuser.
    for (const [user, pw] of [['app_a', 'pw-a'], ['postgres', source.superuserPassword]]) {
      const res = shAsServerUser(`pg_basebackup -D ${root}/tmp/x-${user} -Ft -X none -w`, { ...(source.env() as Record<string, string>), PGUSER: user, PGPASSWORD: pw });
      expect([user, res.status, res.stderr]).toEqual([user, 1, expect.stringContaining('no pg_hba.conf entry for replication connection')]);
    }
    source.query("INSERT INTO events (phase) SELECT 'before-T' FROM generate_series(1, 100)", asA);
    T = new Date(source.query("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"));
    spawnSleep(1.2);
    source.query("INSERT INTO events (phase) SELECT 'after-T' FROM generate_series(1, 100)", asA);
    waitArchived(source);
    expect(fs.readdirSync(path.join(backups(), 'wal-archive')).filter((f) => /^[0-9A-F]{24}\.gz$/.test(f)).length).toBeGreaterThan(1);
  });

  it('restores one database as it was at T: only the rows written before T are there', () => {
    const out = asServer(scratchDumpScript({
      walDir: `${backups()}/wal-archive`, baseDir: `${backups()}/base-backups`, dataDir: `${root}/tmp/scratch`, target: T,
      database: 'app_a', configFile: `${root}/etc/postgresql.conf`, socketDir: `${root}/tmp`, outDir: `${backups()}/pitr`,
    }));
    const dump = /restore: (\S+\.dump)/.exec(out)![1];
    expect(fs.existsSync(`${root}/tmp/scratch`)).toBe(false);
    target.query('CREATE DATABASE app_a');
    const res = target.sh(`pg_restore --exit-on-error --no-owner --dbname=app_a '${dump}'`);
    if (res.status !== 0) throw new Error(res.stderr);
    expect(target.query('SELECT phase || count(*) FROM events GROUP BY phase ORDER BY phase', { database: 'app_a' }).split('\n')).toEqual(['before-T100', 'before-base100']);
    // The live server is untouched.
    expect(source.query('SELECT count(*) FROM events', asA)).toBe('300');
  });

  it('fails instead of opening a copy that lacks writes when T is before every base backup', () => {
    const res = shAsServerUser(prepareRecoveryScript({
      walDir: `${backups()}/wal-archive`, baseDir: `${backups()}/base-backups`, dataDir: `${root}/tmp/early`, target: new Date('2020-01-01T00:00:00Z'),
    }), {});
    expect([res.status, res.stderr]).toEqual([1, expect.stringContaining('no base backup in')]);
  });

  it('encrypts and uploads every backup, and nothing twice', () => {
    asServer(local(r.dump, root));
    const env = { PATH: `${root}/bin:${process.env.PATH}`, PASSPHRASE_FILE: `${root}/etc/passphrase` };
    expect(asServer(local(r.encrypt, root), env)).toMatch(/offsite: [1-9]\d* files encrypted/);
    asServer(local(r.upload, root), env);
    const log = fs.readFileSync(`${root}/aws.log`, 'utf8');
    expect(log).toContain('--endpoint-url https://fra1.digitaloceanspaces.com s3 sync . s3://example-backups/shared/postgres');
    expect(log).not.toContain('--delete');
    const remote = `${root}/bucket/example-backups/shared/postgres`;
    const files = listFiles(remote);
    expect(files.every((f) => f.endsWith('.gpg'))).toBe(true);
    expect(files).toEqual(expect.arrayContaining([expect.stringMatching(/^wal-archive\/[0-9A-F]{24}\.gz\.gpg$/), expect.stringMatching(/^base-backups\/\d{8}T\d{6}Z\/base\.tar\.gz\.gpg$/), expect.stringMatching(/^app_a\/app_a-.*\.dump\.gpg$/)]));
    // Encrypted: no gzip or pg_dump header left.
    const head = fs.readFileSync(path.join(remote, files.find((f) => f.endsWith('.dump.gpg'))!)).subarray(0, 16).toString('latin1');
    expect(head).not.toContain('PGDMP');
    expect(listFiles(`${backups()}/offsite-pending`)).toEqual([]);
    expect(asServer(local(r.encrypt, root), env)).toContain('offsite: 0 files encrypted');
  });

  it('restores the whole server from the encrypted remote copy: base backup + WAL, every row', async () => {
    const copy = `${root}/tmp/download`;
    asServer(downloadScript({ endpoint: 'https://fra1.digitaloceanspaces.com', bucket: 'example-backups', prefix: 'shared/postgres', target: copy }), {
      PATH: `${root}/bin:${process.env.PATH}`, PASSPHRASE_FILE: `${root}/etc/passphrase`,
    });
    const dataDir = `${root}/tmp/restored`;
    const conf = r.conf.split('/backups').join(copy);
    asServer(prepareRecoveryScript({ walDir: `${copy}/wal-archive`, baseDir: `${copy}/base-backups`, dataDir }));
    restored = await startPostgres({ dataDir, configText: conf.replace(/^archive_mode = .*$/m, "archive_mode = 'off'"), hbaText: r.hba });
    expect(restored.query('SELECT count(*) FROM events', asA)).toBe('300');
    expect(restored.query('SELECT x FROM t', { database: 'app_b', user: 'app_b', password: 'pw-b' })).toBe('b');
    expect(restored.query('SELECT pg_is_in_recovery()')).toBe('f');
  });
});

function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
}

function spawnSleep(seconds: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, seconds * 1000);
}
