import { spawnSync } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { NovahostApp } from '../../lib';
import { Persistence, SharedRedis } from '../../lib/data/redis/shared-redis';
import { findObject, synthesize, testPlatform } from '../support/platform';
import { shellScriptOf } from '../support/postgres-server';
import { writeFakeAws } from '../support/fake-aws';
import {
  localPath, PathMap, RedisError, RedisServer, Reply, requireBinary, RespClient, runPodCommand, tempDir,
} from '../support/redis-server';

/**
 * SharedRedis' backup and restore on a real redis-server 7.0.15 (Debian; the pods run Valkey 8.1):
 * the snapshot CronJob's script with only /backups moved to a test folder, the upload CronJob's
 * gpg encryption (real gpg) and upload (the stand-in `aws` of support/fake-aws.ts, a folder that
 * answers in the CLI's formats, since no S3-compatible server runs offline here), and the printed
 * restore steps' pod, whose containers' scripts run here in order, before the server starts again
 * on the rendered redis.conf (appendonly yes) and the assembled ACL file.
 */

const S3 = { endpoint: 'https://fra1.digitaloceanspaces.com', bucket: 'example-backups', credentialsSecret: 'redis-backup-s3' };
const APP = { image: 'ghcr.io/example/api:1.0.0', port: 9000, cache: true };

function rendered() {
  const platform = testPlatform();
  const redis = new SharedRedis(platform, 'redis', { backup: { keep: 2, s3: S3 } });
  new NovahostApp(platform, 'alpha', { cache: { server: redis, index: 0 }, services: { api: APP } });
  new NovahostApp(platform, 'beta', { cache: { server: redis, index: 1 }, services: { api: APP } });
  const shared = synthesize(platform).shared;
  const cron = (name: string) => findObject(shared, 'CronJob', name).spec.jobTemplate.spec.template.spec;
  const manifest = (steps: string) => parseAllDocuments(/<<'MANIFEST'\n([\s\S]*?)\nMANIFEST/.exec(steps)![1])[0].toJS();
  return {
    redis,
    statefulSet: findObject(shared, 'StatefulSet', 'redis'),
    configMap: findObject(shared, 'ConfigMap', 'redis-config'),
    snapshot: cron('redis-backup').containers[0],
    upload: cron('redis-backup-upload'),
    localRestore: manifest(redis.restoreSteps()),
    offsiteRestore: manifest(redis.restoreSteps({ offsite: true })),
  };
}

const r = rendered();
const servers: RedisServer[] = [];
const clients: RespClient[] = [];
let root: string;
let map: PathMap;
const passwords: Record<string, string> = {};
let configFile: string;
let aclFile: string;
let server: RedisServer;

/** A fresh data folder with the rendered redis.conf and the assembled ACL file: the pod on a new volume. */
async function start(dataDir: string): Promise<RedisServer> {
  const s = await RedisServer.start({ configFile, aclFile, dataDir });
  servers.push(s);
  return s;
}

async function login(s: RedisServer, user: string, index?: number): Promise<RespClient> {
  const c = await s.client();
  clients.push(c);
  expect(await c.call('AUTH', user, passwords[user])).toBe('OK');
  if (index !== undefined) expect(await c.call('SELECT', index)).toBe('OK');
  return c;
}

const isNoPerm = (reply: Reply) => reply instanceof RedisError && reply.message.startsWith('NOPERM');

/** Every key of databases 0 and 1 with its type, value and whether it has a TTL, read as admin. */
async function contents(s: RedisServer): Promise<Record<string, unknown>> {
  const admin = await login(s, 'admin');
  const out: Record<string, unknown> = {};
  for (const db of [0, 1]) {
    await admin.ok('SELECT', db);
    for (const key of ((await admin.ok('KEYS', '*')) as string[]).sort()) {
      const type = await admin.ok('TYPE', key);
      const value = type === 'string' ? await admin.ok('GET', key)
        : type === 'hash' ? await admin.ok('HGETALL', key)
          : type === 'list' ? await admin.ok('LRANGE', key, 0, -1)
            : type === 'set' ? ((await admin.ok('SMEMBERS', key)) as string[]).sort()
              : type === 'zset' ? await admin.ok('ZRANGE', key, 0, -1, 'WITHSCORES') : `unexpected type ${String(type)}`;
      out[`${db}/${key}`] = { type, value, ttl: (await admin.ok('TTL', key)) as number > 0 };
    }
  }
  return out;
}

/** A pod container's script with its paths moved into the test folder (in one pass: the folder is under /tmp too). */
function local(script: string, moves: Record<string, string>): string {
  const pattern = new RegExp(Object.keys(moves).map((m) => m.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|'), 'g');
  return script.replace(pattern, (m) => moves[m]);
}

function sh(script: string, env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const res = spawnSync('sh', ['-c', script], { encoding: 'utf8', env: { PATH: `${root}/bin:${process.env.PATH}`, TMPDIR: `${root}/tmp`, ...env } });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

function mustRun(script: string, env: Record<string, string> = {}): string {
  const res = sh(script, env);
  if (res.status !== 0) throw new Error(`script failed (${res.status}):\n${res.stdout}\n${res.stderr}\n--- script:\n${script}`);
  return res.stdout;
}

const snapshotEnv = () => ({ REDIS_HOST: '127.0.0.1', REDIS_PORT: String(server.port), REDISCLI_AUTH: passwords.backup });
const snapshots = () => fs.readdirSync(`${root}/backups`).filter((f) => f.endsWith('.rdb')).sort();

beforeAll(async () => {
  for (const b of ['redis-server', 'redis-cli', 'redis-check-rdb', 'gpg']) requireBinary(b);
  root = tempDir('redis-backup');
  for (const d of ['config', 'acl', 'passwords', 'data', 'tmp', 'backups', 'bin', 'bucket', 'etc']) fs.mkdirSync(path.join(root, d));
  const pod = r.statefulSet.spec.template.spec;
  map = {};
  for (const c of [pod.initContainers[0], pod.containers[0]]) for (const m of c.volumeMounts) map[m.mountPath] = path.join(root, m.name);
  for (const [file, text] of Object.entries(r.configMap.data as Record<string, string>)) fs.writeFileSync(path.join(root, 'config', file), text);
  for (const source of pod.volumes.find((v: any) => v.name === 'passwords').projected.sources) {
    for (const item of source.secret.items) {
      passwords[item.path] = randomBytes(24).toString('hex');
      fs.writeFileSync(path.join(root, 'passwords', item.path), passwords[item.path]);
    }
  }
  const assembled = runPodCommand(map, pod.initContainers[0].command);
  if (assembled.status !== 0) throw new Error(assembled.stderr);
  configFile = localPath(map, pod.containers[0].command[1]);
  aclFile = localPath(map, /^aclfile (\S+)$/m.exec(r.configMap.data['redis.conf'])![1]);
  fs.writeFileSync(path.join(root, 'etc', 'passphrase'), 'test passphrase\n');
  // The stand-in for the AWS CLI: s3://bucket/key is <root>/bucket/bucket/key.
  writeFakeAws(path.join(root, 'bin'), root);
  server = await start(path.join(root, 'data'));
  const alpha = await login(server, 'alpha', 0);
  await alpha.ok('SET', 'alpha:greeting', 'hello');
  await alpha.ok('SET', 'alpha:session', 'token', 'EX', 86400);
  await alpha.ok('HSET', 'alpha:user:1', 'name', 'Ada', 'plan', 'pro');
  await alpha.ok('RPUSH', 'alpha:queue', 'job-1', 'job-2', 'job-3');
  await alpha.ok('ZADD', 'alpha:scores', 1, 'a', 2, 'b');
  const beta = await login(server, 'beta', 1);
  await beta.ok('SET', 'beta:greeting', 'hej');
  await beta.ok('SADD', 'beta:tags', 'x', 'y', 'z');
}, 30000);

afterAll(async () => {
  for (const c of clients) c.close();
  await Promise.all(servers.map((s) => s.stop()));
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

describe('SharedRedis backups on a real redis-server 7.0', () => {
  let before: Record<string, unknown>;

  it('gives the backup user the replication it needs and nothing else', async () => {
    const backup = await login(server, 'backup');
    const admin = await login(server, 'admin');
    const denied: Array<Array<string | number>> = [
      ['GET', 'alpha:greeting'], ['SET', 'alpha:x', '1'], ['DEL', 'alpha:greeting'], ['SELECT', 1], ['KEYS', '*'], ['SCAN', 0], ['DBSIZE'],
      ['INFO'], ['CONFIG', 'GET', '*'], ['CONFIG', 'SET', 'appendonly', 'no'], ['FLUSHALL'], ['SHUTDOWN', 'NOSAVE'], ['BGSAVE'], ['SAVE'],
      ['ACL', 'LIST'], ['MONITOR'], ['CLIENT', 'LIST'], ['CLIENT', 'KILL', 'TYPE', 'normal'], ['REPLICAOF', '127.0.0.1', 1], ['PSYNC', '?', -1],
      ['EVAL', 'return redis.call("GET", KEYS[1])', 1, 'alpha:greeting'], ['PUBLISH', 'alpha:events', 'x'], ['SUBSCRIBE', 'alpha:events'], ['DEBUG', 'SLEEP', 0],
    ];
    for (const command of denied) {
      expect([command.join(' '), await admin.call('ACL', 'DRYRUN', 'backup', ...command)]).not.toEqual([command.join(' '), 'OK']);
      if (command[0] === 'DEBUG' || command[0] === 'SHUTDOWN') continue;
      const reply = await backup.call(...command);
      if (!isNoPerm(reply)) throw new Error(`the backup user was allowed ${command.join(' ')}: ${String(reply)}`);
    }
    expect(await admin.call('ACL', 'DRYRUN', 'backup', 'SYNC')).toBe('OK');
    expect(await admin.call('GET', 'alpha:greeting')).toBe('hello');
    // An app user may not pull the whole dataset.
    const res = spawnSync('redis-cli', ['--user', 'alpha', '-h', '127.0.0.1', '-p', String(server.port), '--rdb', `${root}/tmp/alpha.rdb`], {
      encoding: 'utf8', env: { PATH: process.env.PATH, REDISCLI_AUTH: passwords.alpha },
    });
    expect([res.status, res.stderr]).toEqual([1, expect.stringContaining("NOPERM this user has no permissions to run the 'sync' command")]);
  });

  it('takes a checked snapshot with the CronJob script, as the backup user, and keeps the newest two', async () => {
    expect(r.snapshot.env.find((e: any) => e.name === 'REDISCLI_AUTH').valueFrom).toEqual({ secretKeyRef: { name: 'redis-backup', key: 'password' } });
    expect(r.snapshot.env.find((e: any) => e.name === 'REDIS_HOST').value).toBe('redis.shared.svc.cluster.local');
    const script = local(shellScriptOf(r.snapshot), { '/backups': `${root}/backups` });
    // Two older snapshots and what a killed run left.
    fs.writeFileSync(`${root}/backups/redis-20261130T010000Z.rdb`, 'old');
    fs.writeFileSync(`${root}/backups/redis-20261130T020000Z.rdb`, 'older but newer');
    fs.writeFileSync(`${root}/backups/redis-20261130T030000Z.rdb.partial`, 'cut off');
    const out = mustRun(script, snapshotEnv());
    expect(out).toMatch(/backup: .*\/redis-\d{8}T\d{6}Z\.rdb, \d+ bytes, 7 keys\n/);
    expect(out).toContain('removed redis-20261130T010000Z.rdb');
    const files = fs.readdirSync(`${root}/backups`).sort();
    expect(files).toEqual(['redis-20261130T020000Z.rdb', expect.stringMatching(/^redis-\d{8}T\d{6}Z\.rdb$/)]);
    const check = spawnSync('redis-check-rdb', [`${root}/backups/${files[1]}`], { encoding: 'utf8' });
    expect([check.status, check.stdout]).toEqual([0, expect.stringContaining('7 keys read')]);
    fs.rmSync(`${root}/backups/redis-20261130T020000Z.rdb`);
    before = await contents(server);
    expect(Object.keys(before)).toHaveLength(7);
  });

  it('fails without touching the kept snapshots when the pull or the check fails', () => {
    const script = local(shellScriptOf(r.snapshot), { '/backups': `${root}/backups` });
    const kept = snapshots();
    const wrong = sh(script, { ...snapshotEnv(), REDISCLI_AUTH: 'wrong-password-0123456789' });
    expect(wrong.status).not.toBe(0);
    // A "redis-check-rdb" that rejects the file: the snapshot is not kept.
    fs.writeFileSync(`${root}/bin/redis-check-rdb`, '#!/bin/sh\necho "--- RDB ERROR DETECTED ---"\nexit 1\n', { mode: 0o755 });
    try {
      const bad = sh(script, snapshotEnv());
      expect([bad.status, bad.stderr]).toEqual([1, expect.stringContaining('not a valid RDB file; older snapshots kept')]);
    } finally {
      fs.rmSync(`${root}/bin/redis-check-rdb`);
    }
    expect(fs.readdirSync(`${root}/backups`).sort()).toEqual(kept);
  });

  it('encrypts the snapshots and uploads them with the upload CronJob, once each', () => {
    const env = { PASSPHRASE_FILE: `${root}/etc/passphrase` };
    const encrypt = local(shellScriptOf(r.upload.initContainers[0]), { '/backups': `${root}/backups` });
    const upload = local(shellScriptOf(r.upload.containers[0]), { '/backups': `${root}/backups` });
    expect(mustRun(encrypt, env)).toContain('offsite: 1 files encrypted');
    mustRun(upload, env);
    expect(fs.readFileSync(`${root}/aws.log`, 'utf8')).toContain('--endpoint-url https://fra1.digitaloceanspaces.com s3 sync . s3://example-backups/shared/redis');
    const remote = fs.readdirSync(`${root}/bucket/example-backups/shared/redis`);
    expect(remote).toEqual([`${snapshots()[0]}.gpg`]);
    const head = fs.readFileSync(`${root}/bucket/example-backups/shared/redis/${remote[0]}`).subarray(0, 64).toString('latin1');
    expect(head).not.toContain('REDIS');
    expect(mustRun(encrypt, env)).toContain('offsite: 0 files encrypted');
  });

  it('keeps the newest snapshots in the bucket as on the volume, decided from the listing; a failed listing deletes nothing', () => {
    const env = { PASSPHRASE_FILE: `${root}/etc/passphrase` };
    const upload = local(shellScriptOf(r.upload.containers[0]), { '/backups': `${root}/backups` });
    const bucket = `${root}/bucket/example-backups`;
    const dir = `${bucket}/shared/redis`;
    const uploaded = fs.readdirSync(dir);
    // Older snapshots of this server, and keys the retention must never touch.
    const old = ['redis-20261101T000000Z.rdb.gpg', 'redis-20261102T000000Z.rdb.gpg', 'redis-20261103T000000Z.rdb.gpg'];
    const foreign = ['shared/redis/other-20261101T000000Z.rdb.gpg', 'shared/redis/notes.txt', 'shared/redis/keep/redis-20261101T000000Z.rdb.gpg', 'shared/redis-20261101T000000Z.rdb.gpg'];
    for (const f of [...old.map((o) => `shared/redis/${o}`), ...foreign]) {
      fs.mkdirSync(path.dirname(`${bucket}/${f}`), { recursive: true });
      fs.writeFileSync(`${bucket}/${f}`, 'x');
    }
    fs.writeFileSync(`${root}/aws.fail`, 'list-objects-v2\n');
    expect(sh(upload, env).status).not.toBe(0);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('redis-')).length).toBe(uploaded.length + old.length);
    fs.rmSync(`${root}/aws.fail`);
    const out = mustRun(upload, env);
    // keep: 2 (rendered): the uploaded snapshot and the newest old one; the two oldest go.
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('redis-')).sort()).toEqual([old[2], ...uploaded].sort());
    expect(out).toContain('remote-retention: s3://example-backups/shared/redis/: 2 snapshots removed, the newest 2 kept');
    for (const f of foreign) expect(fs.existsSync(`${bucket}/${f}`)).toBe(true);
    for (const f of foreign) fs.rmSync(`${bucket}/${f}`);
    fs.rmSync(`${dir}/${old[2]}`);
  });

  it('(the measured reason for the restore steps) starts EMPTY on a lone dump.rdb with appendonly yes', async () => {
    const dir = `${root}/naive`;
    fs.mkdirSync(dir);
    fs.copyFileSync(`${root}/backups/${snapshots()[0]}`, `${dir}/dump.rdb`);
    const naive = await start(dir);
    expect(await contents(naive)).toEqual({});
    expect(naive.output).toContain('Creating AOF base file');
    await naive.stop();
  });

  it('restores the newest snapshot from the backups volume over the live data, which is kept aside', async () => {
    const after = await login(server, 'alpha', 0);
    await after.ok('SET', 'alpha:written-after-the-snapshot', 'lost');
    await after.ok('DEL', 'alpha:greeting');
    await server.stop();
    const pod = r.localRestore.spec;
    expect(pod.volumes.map((v: any) => v.persistentVolumeClaim?.claimName).filter(Boolean)).toEqual(['data-redis-0', 'redis-backups']);
    const out = mustRun(local(shellScriptOf(pod.containers[0]), { '/backups': `${root}/backups`, '/data': `${root}/data`, '/tmp': `${root}/tmp` }));
    expect(out).toContain('restore: moved appendonlydir to before-restore-');
    expect(out).toContain('the snapshot is the AOF');
    const data = fs.readdirSync(`${root}/data`).sort();
    expect(data).toEqual(['appendonlydir', expect.stringMatching(/^before-restore-\d{8}T\d{6}Z$/)]);
    await server.restart();
    expect(await contents(server)).toEqual(before);
    // The restored data is the AOF now: it survives the next restart.
    await server.restart();
    expect(await contents(server)).toEqual(before);
    const alpha = await login(server, 'alpha', 0);
    expect(await alpha.call('GET', 'alpha:greeting')).toBe('hello');
    expect(isNoPerm(await alpha.call('GET', 'beta:greeting'))).toBe(true);
    const beta = await login(server, 'beta', 1);
    expect(await beta.call('SMEMBERS', 'beta:tags')).toEqual(expect.arrayContaining(['x', 'y', 'z']));
    expect(mustRun(local(shellScriptOf(r.snapshot), { '/backups': `${root}/tmp` }), snapshotEnv())).toContain('7 keys');
  });

  it('restores from the encrypted off-site copy into a new, empty volume', async () => {
    const pod = r.offsiteRestore.spec;
    expect(pod.initContainers.map((c: any) => c.name)).toEqual(['download', 'decrypt']);
    const moves = { '/restore': `${root}/download`, '/data': `${root}/new-volume`, '/tmp': `${root}/tmp`, '/encryption/passphrase': `${root}/etc/passphrase` };
    fs.mkdirSync(`${root}/download`);
    fs.mkdirSync(`${root}/new-volume`);
    expect(mustRun(local(shellScriptOf(pod.initContainers[0]), moves))).toMatch(/restore: downloaded s3:\/\/example-backups\/shared\/redis\/redis-\d{8}T\d{6}Z\.rdb\.gpg/);
    expect(fs.readFileSync(`${root}/aws.log`, 'utf8')).toContain('s3 ls s3://example-backups/shared/redis/');
    mustRun(local(shellScriptOf(pod.initContainers[1]), moves), { PASSPHRASE_FILE: local(pod.initContainers[1].env[0].value, moves) });
    expect(fs.readdirSync(`${root}/download`)).toEqual([snapshots()[0]]);
    mustRun(local(shellScriptOf(pod.containers[0]), moves));
    expect(fs.readdirSync(`${root}/new-volume`)).toEqual(['appendonlydir']);
    const restored = await start(`${root}/new-volume`);
    expect(await contents(restored)).toEqual(before);
    const alpha = await login(restored, 'alpha', 0);
    expect(await alpha.call('HGET', 'alpha:user:1', 'name')).toBe('Ada');
    expect(await alpha.call('SET', 'alpha:new', 'writable')).toBe('OK');
  });

  it('with RDB persistence (appendonly no), restores by putting dump.rdb in place', async () => {
    const platform = testPlatform();
    const rdb = new SharedRedis(platform, 'redis', { persistence: Persistence.RDB, backup: { s3: S3 } });
    new NovahostApp(platform, 'alpha', { cache: { server: rdb, index: 0 }, services: { api: APP } });
    const conf = findObject(synthesize(platform).shared, 'ConfigMap', 'redis-config').data['redis.conf'];
    expect(conf).toContain('appendonly no');
    fs.mkdirSync(`${root}/rdb-config`);
    fs.mkdirSync(`${root}/rdb-volume`);
    fs.writeFileSync(`${root}/rdb-config/redis.conf`, conf);
    const script = shellScriptOf(parseAllDocuments(/<<'MANIFEST'\n([\s\S]*?)\nMANIFEST/.exec(rdb.restoreSteps())![1])[0].toJS().spec.containers[0]);
    expect(script).not.toContain('CONFIG SET appendonly');
    mustRun(local(script, { '/backups': `${root}/backups`, '/data': `${root}/rdb-volume`, '/tmp': `${root}/tmp` }));
    expect(fs.readdirSync(`${root}/rdb-volume`)).toEqual(['dump.rdb']);
    const restored = await RedisServer.start({ configFile: `${root}/rdb-config/redis.conf`, aclFile, dataDir: `${root}/rdb-volume` });
    servers.push(restored);
    expect(await contents(restored)).toEqual(before);
  });
});
