import { spawnSync } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { IngressController, Monitoring, NovahostApp, Platform } from '../../lib';
import { Persistence, PersistenceMode, SharedRedis, SharedRedisProps } from '../../lib/data/redis/shared-redis';
import { findObject, synthesize, testPlatform } from '../support/platform';
import {
  localPath, PathMap, RedisError, RedisServer, requireBinary, RespClient, runPodCommand, tempDir,
} from '../support/redis-server';

/**
 * The generated redis.conf, ACL template and assembly script, run by a real redis-server 7.0
 * (Debian) the way the pod runs them: the init container's command assembles the ACL file from
 * password files laid out as the StatefulSet's projected volume lays them out, and the server
 * starts on the ConfigMap's redis.conf with only port, bind and the ACL file's path overridden.
 */

interface LocalPod {
  readonly server: RedisServer;
  readonly statefulSet: any;
  readonly configMap: any;
  readonly map: PathMap;
  /** Test passwords by ACL user, as the Secrets would hold them. */
  readonly passwords: Record<string, string>;
  readonly aclFile: string;
}

const servers: RedisServer[] = [];
const clients: RespClient[] = [];

afterAll(async () => {
  for (const c of clients) c.close();
  await Promise.all(servers.map((s) => s.stop()));
});

function volumeMounts(container: any): Record<string, string> {
  return Object.fromEntries(container.volumeMounts.map((m: any) => [m.name, m.mountPath]));
}

/** Synthesizes a platform with SharedRedis and apps, lays the pod out in a temp dir and starts it. */
async function startPod(build: (platform: Platform, redis: SharedRedis) => void, props: SharedRedisProps = {}): Promise<LocalPod> {
  const platform = testPlatform();
  build(platform, new SharedRedis(platform, 'redis', props));
  const objects = synthesize(platform).shared;
  const statefulSet = findObject(objects, 'StatefulSet', 'redis');
  const configMap = findObject(objects, 'ConfigMap', 'redis-config');
  const pod = statefulSet.spec.template.spec;
  const init = pod.initContainers[0];
  const main = pod.containers[0];

  const root = tempDir('shared-redis');
  const dirs: Record<string, string> = {};
  for (const name of ['config', 'acl', 'passwords', 'data', 'tmp']) {
    dirs[name] = path.join(root, name);
    fs.mkdirSync(dirs[name]);
  }
  const map: PathMap = {};
  for (const container of [init, main]) {
    for (const [volume, mountPath] of Object.entries(volumeMounts(container))) {
      if (!dirs[volume]) throw new Error(`the test does not know volume ${volume}`);
      map[mountPath] = dirs[volume];
    }
  }
  for (const [file, text] of Object.entries(configMap.data as Record<string, string>)) {
    fs.writeFileSync(path.join(dirs.config, file), text);
  }
  // The projected Secrets: one file per user, named as the volume's items say.
  const passwords: Record<string, string> = {};
  const projected = pod.volumes.find((v: any) => v.name === 'passwords').projected;
  for (const source of projected.sources) {
    for (const item of source.secret.items) {
      passwords[item.path] = randomBytes(24).toString('hex');
      fs.writeFileSync(path.join(dirs.passwords, item.path), passwords[item.path]);
    }
  }

  const assembled = runPodCommand(map, init.command);
  if (assembled.status !== 0) throw new Error(`the init container's command failed: ${assembled.stderr}`);

  const conf = configMap.data['redis.conf'] as string;
  const aclPodPath = /^aclfile (\S+)$/m.exec(conf)?.[1];
  if (!aclPodPath) throw new Error('redis.conf has no aclfile');
  expect(main.workingDir).toBe(Object.keys(map).find((p) => map[p] === dirs.data));
  const server = await RedisServer.start({
    configFile: localPath(map, main.command[1]),
    aclFile: localPath(map, aclPodPath),
    dataDir: localPath(map, main.workingDir),
  });
  servers.push(server);
  return { server, statefulSet, configMap, map, passwords, aclFile: localPath(map, aclPodPath) };
}

const APP_SERVICE = { image: 'ghcr.io/example/api:1.0.0', port: 9000, cache: true };

function threeApps(platform: Platform, redis: SharedRedis): void {
  new NovahostApp(platform, 'alpha', { cache: { server: redis, index: 0 }, services: { api: APP_SERVICE } });
  new NovahostApp(platform, 'beta', { cache: { server: redis, index: 1 }, services: { api: APP_SERVICE } });
  new NovahostApp(platform, 'gamma', { cache: { server: redis, index: 2, keyPrefix: false }, services: { api: APP_SERVICE } });
}

async function login(pod: LocalPod, user: string, index?: number): Promise<RespClient> {
  const c = await pod.server.client();
  clients.push(c);
  expect(await c.call('AUTH', user, pod.passwords[user])).toBe('OK');
  if (index !== undefined) expect(await c.call('SELECT', index)).toBe('OK');
  return c;
}

function isNoPerm(reply: unknown): boolean {
  return reply instanceof RedisError && reply.message.startsWith('NOPERM');
}

describe('SharedRedis on a real redis-server', () => {
  let pod: LocalPod;

  beforeAll(async () => {
    requireBinary('redis-server');
    requireBinary('redis-cli');
    pod = await startPod(threeApps);
  });

  it('assembles an ACL file with password hashes only', () => {
    const acl = fs.readFileSync(pod.aclFile, 'utf8');
    const template = pod.configMap.data['users.acl.template'];
    expect(template).not.toMatch(/[#>]/);
    for (const [user, password] of Object.entries(pod.passwords)) {
      expect(acl).not.toContain(password);
      expect(acl).toMatch(new RegExp(`^user ${user} on .* #[0-9a-f]{64}$`, 'm'));
    }
    expect(acl).toMatch(/^user default off resetpass /m);
    expect(fs.statSync(pod.aclFile).mode & 0o077).toBe(0);
  });

  it('loaded the generated redis.conf (limits and policy as rendered)', async () => {
    const admin = await login(pod, 'admin');
    expect(await admin.ok('CONFIG', 'GET', 'maxmemory')).toEqual(['maxmemory', String(256 * 1024 ** 2)]);
    expect(await admin.ok('CONFIG', 'GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
    expect(await admin.ok('CONFIG', 'GET', 'databases')).toEqual(['databases', '16']);
    expect(await admin.ok('CONFIG', 'GET', 'appendonly')).toEqual(['appendonly', 'yes']);
  });

  it('refuses the default user: no command without AUTH, no password works', async () => {
    const c = await pod.server.client();
    clients.push(c);
    expect(String(await c.call('PING'))).toContain('NOAUTH');
    expect(String(await c.call('GET', 'alpha:x'))).toContain('NOAUTH');
    expect(String(await c.call('AUTH', 'guess-a-password'))).toMatch(/WRONGPASS/);
    expect(String(await c.call('AUTH', 'default', pod.passwords.admin))).toMatch(/WRONGPASS/);
  });

  it('lets each app read and write its own prefix in its own database', async () => {
    for (const [user, index] of [['alpha', 0], ['beta', 1]] as const) {
      const c = await login(pod, user, index);
      expect(await c.call('SET', `${user}:greeting`, `hello ${user}`)).toBe('OK');
      expect(await c.call('GET', `${user}:greeting`)).toBe(`hello ${user}`);
      expect(await c.call('HSET', `${user}:h`, 'f', 'v')).toBe(1);
      expect(await c.call('EXPIRE', `${user}:h`, 60)).toBe(1);
      expect(await c.call('INCR', `${user}:counter`)).toBe(1);
      expect(await c.call('EVAL', 'return redis.call("GET", KEYS[1])', 1, `${user}:greeting`)).toBe(`hello ${user}`);
      expect(await c.call('MULTI')).toBe('OK');
      expect(await c.call('LPUSH', `${user}:queue`, 'job')).toBe('QUEUED');
      expect(await c.call('EXEC')).toEqual([1]);
      expect(await c.call('PUBLISH', `${user}:events`, 'x')).toBe(0);
      expect(await c.call('DBSIZE')).toBe(4);
    }
  });

  it('keeps a prefixed app out of other prefixes and databases, and out of other channels', async () => {
    const beta = await login(pod, 'beta', 1);
    expect(await beta.call('SET', 'beta:secret', 's')).toBe('OK');
    const alpha = await login(pod, 'alpha', 0);
    expect(isNoPerm(await alpha.call('SET', 'unprefixed', 'x'))).toBe(true);
    expect(isNoPerm(await alpha.call('GET', 'beta:secret'))).toBe(true);
    expect(isNoPerm(await alpha.call('SELECT', 1))).toBe(true);
    expect(isNoPerm(await alpha.call('GET', 'beta:secret'))).toBe(true);
    expect(isNoPerm(await alpha.call('DEL', 'beta:secret'))).toBe(true);
    expect(isNoPerm(await alpha.call('EVAL', 'return redis.call("GET", KEYS[1])', 1, 'beta:secret'))).toBe(true);
    expect(isNoPerm(await alpha.call('PUBLISH', 'beta:events', 'x'))).toBe(true);
    expect(await beta.call('GET', 'beta:secret')).toBe('s');
  });

  it('denies every app the server-wide and admin commands', async () => {
    const admin = await login(pod, 'admin');
    for (const user of ['alpha', 'gamma']) {
      const c = await login(pod, user, user === 'alpha' ? 0 : 2);
      const denied: Array<Array<string | number>> = [
        ['FLUSHALL'], ['FLUSHDB'], ['CONFIG', 'SET', 'maxmemory', '0'], ['CONFIG', 'GET', 'requirepass'],
        ['KEYS', '*'], ['DEBUG', 'SLEEP', '0'], ['ACL', 'LIST'], ['SWAPDB', '0', '1'], ['MONITOR'],
        ['FUNCTION', 'FLUSH'], ['SCRIPT', 'FLUSH'], ['BGSAVE'], ['REPLICAOF', 'NO', 'ONE'], ['CLIENT', 'KILL', 'TYPE', 'normal'],
        ['MOVE', `${user}:k`, 3], ['SHUTDOWN', 'NOSAVE'],
      ];
      for (const command of denied) {
        // ACL DRYRUN asks the ACL alone (DEBUG is also off server-wide, which would hide the ACL).
        const verdict = await admin.ok('ACL', 'DRYRUN', user, ...command);
        if (verdict === 'OK') throw new Error(`the ACL allows ${user} to run ${command.join(' ')}`);
        if (command[0] === 'DEBUG') continue;
        const reply = await c.call(...command);
        if (!isNoPerm(reply)) throw new Error(`${user} was allowed ${command.join(' ')}: ${String(reply)}`);
      }
      expect(await admin.ok('ACL', 'DRYRUN', user, 'GET', user === 'alpha' ? 'alpha:k' : 'k')).toBe('OK');
      // Client libraries read INFO for the version and the eviction policy.
      expect(String(await c.ok('INFO', 'server'))).toContain('redis_version:');
    }
  });

  it('without a prefix, the database index separates apps: SELECT is pinned to it', async () => {
    const gamma = await login(pod, 'gamma', 2);
    expect(await gamma.call('SET', 'anything', 'ok')).toBe('OK');
    const alpha = await login(pod, 'alpha', 0);
    await alpha.ok('SET', 'alpha:visible', 'v');
    expect(isNoPerm(await gamma.call('SELECT', 0))).toBe(true);
    expect(await gamma.call('GET', 'alpha:visible')).toBeNull();
    expect(await gamma.call('SCAN', 0)).toEqual(['0', ['anything']]);
  });

  it('runs the probe command as the healthcheck user: PONG with its password, failure without', async () => {
    const probe = pod.statefulSet.spec.template.spec.containers[0].readinessProbe.exec.command as string[];
    expect(probe.slice(0, 2)).toEqual(['sh', '-c']);
    const script = probe[2].replace(' -p 6379 ', ` -p ${pod.server.port} `);
    expect(script).not.toBe(probe[2]);
    const run = (password?: string) => spawnSync('sh', ['-c', script], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...(password === undefined ? {} : { REDISCLI_AUTH: password }) },
    }).status;
    expect(run(pod.passwords.healthcheck)).toBe(0);
    expect(run('wrong-password-0123456789')).not.toBe(0);
    expect(run()).not.toBe(0);
    const health = await login(pod, 'healthcheck');
    expect(await health.call('PING')).toBe('PONG');
    expect(isNoPerm(await health.call('GET', 'alpha:greeting'))).toBe(true);
  });

  it('stops the init container on a missing, short, multi-line or URL-unsafe password', () => {
    const init = pod.statefulSet.spec.template.spec.initContainers[0];
    const passwordsDir = localPath(pod.map, init.command[3]);
    const original = fs.readFileSync(path.join(passwordsDir, 'alpha'), 'utf8');
    const cases: Array<[string | undefined, RegExp]> = [
      [undefined, /no password for ACL user alpha/],
      ['short', /shorter than 16/],
      [`${original}\n`, /ends with a newline/],
      ['p@ss/word:0123456789', /not URL-safe/],
    ];
    try {
      for (const [password, message] of cases) {
        fs.rmSync(path.join(passwordsDir, 'alpha'), { force: true });
        if (password !== undefined) fs.writeFileSync(path.join(passwordsDir, 'alpha'), password);
        const out = runPodCommand(pod.map, [...init.command.slice(0, 4), `${init.command[4]}.check`]);
        expect(out.status).not.toBe(0);
        expect(out.stderr).toMatch(message);
      }
    } finally {
      fs.writeFileSync(path.join(passwordsDir, 'alpha'), original);
    }
  });
});

describe('SharedRedis persistence on a real redis-server', () => {
  const modes: Array<[string, PersistenceMode]> = [['AOF (default)', Persistence.AOF], ['RDB', Persistence.RDB], ['AOF and RDB', Persistence.AOF_AND_RDB]];

  it.each(modes)('keeps data across a restart with %s', async (_name, persistence) => {
    const pod = await startPod((platform, redis) => {
      new NovahostApp(platform, 'alpha', { cache: { server: redis, index: 3 }, services: { api: APP_SERVICE } });
    }, { persistence });
    const before = await login(pod, 'alpha', 3);
    await before.ok('SET', 'alpha:persisted', persistence.name);
    await before.ok('RPUSH', 'alpha:jobs', 'a', 'b');
    before.close();
    await pod.server.restart();
    const after = await login(pod, 'alpha', 3);
    expect(await after.call('GET', 'alpha:persisted')).toBe(persistence.name);
    expect(await after.call('LRANGE', 'alpha:jobs', 0, -1)).toEqual(['a', 'b']);
    expect(await after.call('DBSIZE')).toBe(2);
  });
});

describe('the metrics exporter user on a real redis-server', () => {
  let pod: LocalPod;

  beforeAll(async () => {
    pod = await startPod((platform, redis) => {
      new IngressController(platform, 'traefik');
      new Monitoring(platform, 'monitoring');
      threeApps(platform, redis);
    }, { metrics: true });
  });

  it('may read INFO and latency diagnostics; not the slow log, the client list or a database', async () => {
    const metrics = await login(pod, 'metrics');
    expect(await metrics.call('PING')).toBe('PONG');
    expect(String(await metrics.ok('INFO', 'all'))).toContain('connected_clients:');
    expect(Array.isArray(await metrics.ok('LATENCY', 'LATEST'))).toBe(true);
    // Slow-log entries and the client list hold other users' commands (values included).
    expect(isNoPerm(await metrics.call('SLOWLOG', 'GET', 10))).toBe(true);
    expect(isNoPerm(await metrics.call('CLIENT', 'LIST'))).toBe(true);
    expect(isNoPerm(await metrics.call('SELECT', 1))).toBe(true);
  });

  it('may run every command redis_exporter issues on a scrape with its defaults and CONFIG off, but SLOWLOG GET', async () => {
    // The sequence of a scrape in the pinned redis_exporter (exporter.go scrapeRedisHost); its
    // COMMANDLOG LEN (commandlog.go) is left out: the exporter skips those metrics on an error.
    const metrics = await login(pod, 'metrics');
    expect(await metrics.call('CLIENT', 'SETNAME', 'redis_exporter')).toBe('OK');
    expect(String(await metrics.ok('INFO', 'ALL'))).toContain('# Keyspace');
    expect(Array.isArray(await metrics.ok('LATENCY', 'LATEST'))).toBe(true);
    expect(Array.isArray(await metrics.ok('LATENCY', 'HISTOGRAM'))).toBe(true);
    expect(typeof await metrics.ok('SLOWLOG', 'LEN')).toBe('number');
    // Refused: the exporter then skips redis_slowlog_last_id and
    // redis_last_slow_execution_duration_seconds and goes on with the scrape.
    expect(isNoPerm(await metrics.call('SLOWLOG', 'GET', 1))).toBe(true);
  });

  it('may not read or write a key, or run anything that changes the server', async () => {
    const admin = await login(pod, 'admin');
    const metrics = await login(pod, 'metrics');
    await admin.ok('SET', 'alpha:secret', 'v');
    const denied: Array<Array<string | number>> = [
      ['GET', 'alpha:secret'], ['SET', 'x', '1'], ['SCAN', 0], ['KEYS', '*'], ['FLUSHALL'], ['CONFIG', 'GET', '*'],
      ['CLIENT', 'KILL', 'TYPE', 'normal'], ['CLIENT', 'PAUSE', 10], ['ACL', 'LIST'], ['MONITOR'], ['SUBSCRIBE', 'alpha:events'],
      ['SLOWLOG', 'RESET'], ['LATENCY', 'RESET'], ['EVAL', 'return 1', 0], ['DBSIZE'],
    ];
    for (const command of denied) {
      const reply = await metrics.call(...command);
      if (!isNoPerm(reply)) throw new Error(`the metrics user was allowed ${command.join(' ')}: ${String(reply)}`);
    }
  });
});
