import * as fs from 'fs';
import * as path from 'path';
import { NovahostApp } from '../../lib';
import { downloadScript } from '../../lib/data/postgres/offsite';
import { prepareRecoveryScript, stampOf } from '../../lib/data/postgres/pitr';
import { SharedPostgres } from '../../lib/data/postgres/shared-postgres';
import { writeFakeAws } from '../support/fake-aws';
import { findObject, synthesize, testPlatform } from '../support/platform';
import { serverWritableDir, shAsServerUser, shellScriptOf, startPostgres, TestPostgres } from '../support/postgres-server';

/**
 * Retention of base backups and WAL, on the volume and off-site, on a real PostgreSQL 15 with the
 * rendered base backup, dump and upload CronJobs' scripts (only paths move into a test folder;
 * gpg and pg_archivecleanup are the real ones, `aws` is the stand-in of support/fake-aws.ts).
 * Defaults: keep 2 base backups, 7 days. A backup is aged by renaming its folder to an older
 * start stamp, which is what retention reads; folder mtimes are set against it on purpose.
 */

function rendered() {
  const platform = testPlatform();
  const postgres = new SharedPostgres(platform, 'postgres', {
    sharedPreloadLibraries: [],
    backup: { s3: { endpoint: 'https://fra1.digitaloceanspaces.com', bucket: 'example-backups', credentialsSecret: 'postgres-backup-s3' } },
  });
  new NovahostApp(platform, 'app-a', { services: { web: { image: 'ghcr.io/example/web:1.0.0', port: 3000, database: true } }, database: { server: postgres } });
  const shared = synthesize(platform).shared;
  const config = findObject(shared, 'ConfigMap', 'postgres-config').data;
  const cron = (name: string) => findObject(shared, 'CronJob', name).spec.jobTemplate.spec.template.spec;
  const upload = cron('postgres-backup-upload');
  return {
    conf: config['postgresql.conf'] as string,
    hba: config['pg_hba.conf'] as string,
    sql: findObject(shared, 'ConfigMap', 'postgres-provisioning').data['provision.sql'] as string,
    provision: shellScriptOf(findObject(shared, 'Job', 'postgres-provision').spec.template.spec.containers[0]),
    dump: shellScriptOf(cron('postgres-backup').containers[0]),
    baseBackup: shellScriptOf(cron('postgres-basebackup').containers[0]),
    encrypt: shellScriptOf(upload.initContainers[0]),
    upload: shellScriptOf(upload.containers[0]),
  };
}

const r = rendered();
const DAY_MS = 24 * 3600 * 1000;
const asA = { database: 'app_a', user: 'app_a', password: 'pw-a' };
const SEGMENT = /^([0-9A-F]{8})([0-9A-F]{16})\.gz$/;

function local(script: string, root: string): string {
  return script.split('/backups').join(`${root}/backups`).split('/etc/postgresql').join(`${root}/etc`).split('/provisioning/').join(`${root}/etc/`);
}
const stampAgo = (days: number) => stampOf(new Date(Date.now() - days * DAY_MS));
const sorted = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []);

describe('retention of base backups and WAL on a real PostgreSQL', () => {
  let root: string;
  let source: TestPostgres;
  let restored: TestPostgres | undefined;
  const base = () => `${root}/backups/base-backups`;
  const walDir = () => `${root}/backups/wal-archive`;
  const remote = () => `${root}/bucket/example-backups/shared/postgres`;
  const offsiteEnv = () => ({ PATH: `${root}/bin:${process.env.PATH}`, PASSPHRASE_FILE: `${root}/etc/passphrase` });

  function asServer(script: string, extra: Record<string, string> = {}) {
    const res = shAsServerUser(script, { ...(source.env() as Record<string, string>), TMPDIR: `${root}/tmp`, ...extra });
    if (res.status !== 0) throw new Error(`script failed (${res.status}):\n${res.stdout}\n${res.stderr}`);
    return res.stdout;
  }
  /** One run of the base backup CronJob's script; returns the new folder's name. */
  function baseBackup(): string {
    const out = asServer(local(r.baseBackup, root), { PGUSER: 'backup_replication', PGPASSWORD: 'pw-repl' });
    return /basebackup: \S+\/base-backups\/(\d{8}T\d{6}Z)\n/.exec(out)![1];
  }
  function write(phase: string) {
    source.query(`INSERT INTO events (phase) SELECT '${phase}' FROM generate_series(1, 10)`, asA);
  }
  function waitArchived() {
    const segment = source.query('SELECT pg_walfile_name(pg_switch_wal())');
    for (let i = 0; i < 200 && source.query("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver") < segment; i++) sleep(0.1);
  }
  const startWalOf = (dir: string) => fs.readdirSync(dir).find((f) => f.startsWith('start-wal-'))!.slice('start-wal-'.length);
  /** Archived segment numbers (timeline left out, as pg_archivecleanup compares them). */
  const segmentNumbers = (names: string[]) => names.map((f) => SEGMENT.exec(f.replace(/\.gpg$/, ''))?.[2]).filter((x): x is string => !!x).sort();
  function age(dir: string, from: string, to: string): string {
    fs.renameSync(path.join(dir, from), path.join(dir, to));
    return to;
  }
  const phases = (pg: TestPostgres) => pg.query('SELECT phase || count(*) FROM events GROUP BY phase ORDER BY phase', asA).split('\n');
  async function restoreFrom(baseDir: string, wal: string, conf: string, target?: Date): Promise<TestPostgres> {
    const dataDir = `${root}/tmp/restored-${Date.now()}`;
    asServer(prepareRecoveryScript({ walDir: wal, baseDir, dataDir, target }));
    await restored?.stop();
    restored = await startPostgres({
      dataDir,
      configText: conf.replace(/^archive_mode = .*$/m, "archive_mode = 'off'"),
      hbaText: r.hba,
      // A target restore ends with a promotion; both kinds end ready for connections.
      readyText: 'database system is ready to accept connections',
    });
    return restored;
  }

  beforeAll(async () => {
    root = serverWritableDir('novahost-retention-');
    for (const d of ['backups', 'etc', 'tmp', 'bin', 'bucket']) {
      fs.mkdirSync(path.join(root, d));
      fs.chmodSync(path.join(root, d), 0o777);
    }
    fs.writeFileSync(path.join(root, 'etc', 'provision.sql'), r.sql, { mode: 0o644 });
    fs.writeFileSync(path.join(root, 'etc', 'passphrase'), 'test passphrase\n', { mode: 0o644 });
    writeFakeAws(path.join(root, 'bin'), root);
    source = await startPostgres({ configText: local(r.conf, root), hbaText: r.hba });
    asServer(local(r.provision, root), { PASSWORD_APP_A: 'pw-a', REPLICATION_PASSWORD: 'pw-repl' });
    source.query('CREATE TABLE events (id bigserial PRIMARY KEY, phase text NOT NULL)', asA);
  }, 60000);
  afterAll(async () => {
    await Promise.all([source?.stop(), restored?.stop()]);
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  let b: string[] = [];

  it('keeps young base backups, and writes each one\'s first WAL segment beside it', () => {
    for (const phase of ['a1', 'a2', 'a3']) {
      write(phase);
      b.push(baseBackup());
      sleep(1.1); // distinct second stamps
    }
    expect(sorted(base())).toEqual(b);
    for (const x of b) expect(startWalOf(path.join(base(), x))).toMatch(/^[0-9A-F]{24}$/);
    write('a4');
    waitArchived();
  });

  it('off-site: a failed listing deletes nothing', () => {
    asServer(local(r.dump, root));
    expect(asServer(local(r.encrypt, root), offsiteEnv())).toMatch(/offsite: [1-9]\d* files encrypted/);
    asServer(local(r.upload, root), offsiteEnv());
    expect(sorted(`${remote()}/base-backups`)).toEqual(b);
    // Aged off-site (the volume's copies keep their names).
    age(`${remote()}/base-backups`, b[0], stampAgo(50));
    age(`${remote()}/base-backups`, b[1], stampAgo(40));
    const before = listFiles(remote());
    fs.writeFileSync(`${root}/aws.fail`, 'list-objects-v2\n');
    const res = shAsServerUser(local(r.upload, root), { ...offsiteEnv(), TMPDIR: `${root}/tmp` });
    fs.rmSync(`${root}/aws.fail`);
    expect([res.status, res.stderr]).toEqual([1, expect.stringContaining('listing s3://example-backups/shared/postgres/ failed; nothing deleted')]);
    expect(listFiles(remote())).toEqual(before);
  });

  let kept: string;
  it('off-site: keeps the newest 2 complete base backups whatever their age, removes older ones with their WAL and old dumps', () => {
    const dirs = `${remote()}/base-backups`;
    kept = age(dirs, b[2], stampAgo(20));
    // An upload cut short: the newest folder, incomplete; it must not count as one of the 2.
    const cut = stampAgo(1 / 24);
    fs.mkdirSync(`${dirs}/${cut}`);
    fs.copyFileSync(`${dirs}/${kept}/base.tar.gz.gpg`, `${dirs}/${cut}/base.tar.gz.gpg`);
    // An old dump of app_a, a younger one, and the newest of a database that is gone.
    const dump = listFiles(`${remote()}/app_a`)[0];
    fs.copyFileSync(`${remote()}/app_a/${dump}`, `${remote()}/app_a/app_a-${stampAgo(30)}.dump.gpg`);
    const young = `app_a-${stampAgo(2)}.dump.gpg`;
    fs.copyFileSync(`${remote()}/app_a/${dump}`, `${remote()}/app_a/${young}`);
    fs.mkdirSync(`${remote()}/gone_db`);
    fs.copyFileSync(`${remote()}/app_a/${dump}`, `${remote()}/gone_db/gone_db-${stampAgo(90)}.dump.gpg`);
    const walBefore = segmentNumbers(sorted(`${remote()}/wal-archive`));

    write('a5');
    b.push(baseBackup());
    write('a6');
    waitArchived();
    asServer(local(r.encrypt, root), offsiteEnv());
    const out = asServer(local(r.upload, root), offsiteEnv());
    expect(out).toMatch(/remote-retention: .*: 2 base backups, [1-9]\d* WAL files, 1 dumps removed/);

    expect(sorted(dirs)).toEqual([kept, cut, b[3]].sort());
    const first = startWalOf(`${dirs}/${kept}`).replace(/\.gpg$/, '').slice(8);
    const walAfter = segmentNumbers(sorted(`${remote()}/wal-archive`));
    expect(walBefore[0] < first).toBe(true);
    expect(walAfter[0]).toBe(first);
    expect(walAfter).toEqual(walBefore.filter((s) => s >= first).concat(walAfter.filter((s) => !walBefore.includes(s))).sort());
    expect(sorted(`${remote()}/wal-archive`).some((f) => f.endsWith('.history.gz.gpg') || f.includes('.backup.'))).toBe(true);
    expect(sorted(`${remote()}/app_a`)).toEqual([dump, young].sort());
    expect(sorted(`${remote()}/gone_db`)).toHaveLength(1);
  });

  it('off-site: the whole server restores from the oldest kept remote base backup, every row', async () => {
    const copy = `${root}/tmp/download`;
    asServer(downloadScript({ endpoint: 'https://fra1.digitaloceanspaces.com', bucket: 'example-backups', prefix: 'shared/postgres', target: copy }), offsiteEnv());
    // Only the oldest kept one: recovery needs every segment from its start to the end.
    fs.rmSync(`${copy}/base-backups/${b[3]}`, { recursive: true });
    const pg = await restoreFrom(`${copy}/base-backups`, `${copy}/wal-archive`, r.conf.split('/backups').join(copy));
    expect(pg.query('SELECT pg_is_in_recovery()')).toBe('f');
    expect(phases(pg)).toEqual(['a110', 'a210', 'a310', 'a410', 'a510', 'a610']);
    expect(pg.log()).toContain(`restored log file "${startWalOf(`${copy}/base-backups/${kept}`)}" from archive`);
  }, 60000);

  it('on the volume: keeps the newest 2 whatever their mtime, and the one that covers the 7 days; incomplete ones never count', () => {
    // b[0..3] are young on the volume; age them. Folder mtimes say the opposite of their names.
    const [b1, , b3] = [age(base(), b[0], stampAgo(20)), age(base(), b[1], stampAgo(10)), age(base(), b[2], stampAgo(5)), age(base(), b[3], stampAgo(2))];
    const b2 = stampAgo(10).slice(0, 9);
    touch(`${base()}/${b1}`, new Date());
    touch(`${base()}/${b3}`, new Date(Date.now() - 60 * DAY_MS));
    touch(`${base()}/${b3}/base.tar.gz`, new Date(Date.now() - 60 * DAY_MS));
    const young = stampAgo(1 / 24);
    const old = stampAgo(60);
    for (const x of [young, old, `${stampAgo(0)}.partial`]) {
      fs.mkdirSync(`${base()}/${x}`, { mode: 0o777 });
      fs.chmodSync(`${base()}/${x}`, 0o777);
      fs.copyFileSync(`${base()}/${b3}/base.tar.gz`, `${base()}/${x}/base.tar.gz`);
    }
    const walBefore = segmentNumbers(sorted(walDir()));
    write('l1');
    const b5 = baseBackup();
    const left = sorted(base());
    // b5 and the 2-day one (the newest 2), the 5-day one (inside the window), the 10-day one
    // (the newest that started before the window: restores to its first moment); the young
    // incomplete folder stays uncounted, the old one, the .partial and the 20-day one go.
    expect(left).toHaveLength(5);
    expect(left).toEqual(expect.arrayContaining([b5, young]));
    expect(left.some((x) => x.startsWith(b2))).toBe(true);
    expect(left).not.toContain(b1);
    expect(left).not.toContain(old);
    const oldestKept = left.filter((x) => x !== young).sort()[0];
    const first = startWalOf(`${base()}/${oldestKept}`).slice(8);
    const walAfter = segmentNumbers(sorted(walDir()));
    expect(walBefore[0] < first).toBe(true);
    expect(walAfter[0]).toBe(first);
  });

  let b5: string;
  let T: Date;
  it('on the volume: the newest 2 stay even when both are past the 7 days; the older ones go, with their WAL', () => {
    const complete = sorted(base()).filter((x) => fs.existsSync(`${base()}/${x}/finished_at`)).reverse();
    // Newest first: b5 (the run above), the 2-, 5- and 10-day ones. All past the window now.
    b5 = age(base(), complete[0], stampAgo(30));
    complete.slice(1).forEach((x, i) => {
      const to = age(base(), x, stampAgo(40 + 5 * i));
      touch(`${base()}/${to}`, new Date());
    });
    touch(`${base()}/${b5}`, new Date(Date.now() - 90 * DAY_MS));
    // Incomplete and past the window, between the two newest: counted, it would push b5 out.
    const cut = stampAgo(25);
    fs.mkdirSync(`${base()}/${cut}`, { mode: 0o777 });
    fs.chmodSync(`${base()}/${cut}`, 0o777);
    fs.writeFileSync(`${base()}/${cut}/finished_at`, `${cut}\n`, { mode: 0o644 });
    write('l2');
    waitArchived();
    T = new Date(source.query("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"));
    sleep(1.2);
    write('l3');
    const b6 = baseBackup();
    const young = sorted(base()).find((x) => !fs.existsSync(`${base()}/${x}/finished_at`))!;
    expect(sorted(base())).toEqual([b5, young, b6].sort());
    expect(segmentNumbers(sorted(walDir()))[0]).toBe(startWalOf(`${base()}/${b5}`).slice(8));
  });

  it('on the volume: a point-in-time restore from the oldest kept base backup has every write before T', async () => {
    const only = `${root}/tmp/only-oldest`;
    fs.mkdirSync(only, { mode: 0o777 });
    fs.chmodSync(only, 0o777);
    // As the server user: pg_basebackup's files are its own, mode 0600.
    asServer(`cp -R '${base()}/${b5}' '${only}/${b5}'`);
    const pg = await restoreFrom(only, walDir(), local(r.conf, root), T);
    expect(phases(pg)).toEqual(['a110', 'a210', 'a310', 'a410', 'a510', 'a610', 'l110', 'l210']);
  }, 60000);

  it('on the volume: a failed base backup removes no backup and no WAL', () => {
    // An incomplete folder past the window: a run that succeeded would remove it.
    const young = sorted(base()).find((x) => !fs.existsSync(`${base()}/${x}/finished_at`))!;
    age(base(), young, stampAgo(60));
    const before = [sorted(base()), sorted(walDir())];
    const res = shAsServerUser(local(r.baseBackup, root), { ...(source.env() as Record<string, string>), TMPDIR: `${root}/tmp`, PGUSER: 'backup_replication', PGPASSWORD: 'wrong' });
    expect([res.status, res.stderr]).toEqual([1, expect.stringContaining('password authentication failed')]);
    expect([sorted(base()), sorted(walDir()).filter((f) => before[1].includes(f))]).toEqual(before);
  });
});

function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
}

function touch(p: string, t: Date): void {
  fs.utimesSync(p, t, t);
}

function sleep(seconds: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, seconds * 1000);
}
