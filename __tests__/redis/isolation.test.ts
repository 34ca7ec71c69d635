import { execFileSync } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { IngressController, Monitoring } from '../../lib';
import { appAclUser, METRICS_COMMANDS, renderAclTemplate, systemAclUsers } from '../../lib/data/redis/acl';
import { SharedRedis } from '../../lib/data/redis/shared-redis';
import { findObject, synthesize, testPlatform } from '../support/platform';
import {
  localPath, PathMap, RedisError, RedisServer, requireBinary, RespClient, runPodCommand, tempDir, Reply,
} from '../support/redis-server';

/**
 * What one app on the shared Redis can learn about another, on a real redis-server: the ACL
 * rules of acl.ts for three apps (two prefixed, one without prefix, each with its database
 * index), assembled by the rendered assemble-acl.sh and loaded by a server on the rendered
 * redis.conf. Every leak that ACLs can close is attacked and must be refused; what the apps and
 * the exporter normally run must still work. What ACLs cannot close is in the README (Redis).
 */

const VERSION = /v=(\S+)/.exec(execFileSync(requireBinary('redis-server'), ['--version'], { encoding: 'utf8' }))?.[1] ?? 'unknown';

const APPS = [
  { user: 'app_a', prefix: 'app_a:', index: 1 },
  { user: 'app_b', prefix: 'app_b:', index: 2 },
  { user: 'app_c', prefix: undefined, index: 3 },
] as const;

interface Pod {
  readonly server: RedisServer;
  readonly passwords: Record<string, string>;
}

async function startPod(): Promise<Pod> {
  const platform = testPlatform();
  new IngressController(platform, 'traefik');
  new Monitoring(platform, 'monitoring');
  new SharedRedis(platform, 'redis', { metrics: true });
  const objects = synthesize(platform).shared;
  const configMap = findObject(objects, 'ConfigMap', 'redis-config');
  const pod = findObject(objects, 'StatefulSet', 'redis').spec.template.spec;
  const init = pod.initContainers[0];
  const main = pod.containers[0];

  const root = tempDir('redis-isolation');
  const map: PathMap = {};
  for (const container of [init, main]) {
    for (const m of container.volumeMounts) {
      map[m.mountPath] = path.join(root, m.name);
      fs.mkdirSync(map[m.mountPath], { recursive: true });
    }
  }
  const configDir = localPath(map, path.dirname(init.command[1]));
  for (const [file, text] of Object.entries(configMap.data as Record<string, string>)) fs.writeFileSync(path.join(configDir, file), text);
  // The template SharedRedis would render for these apps (rules from acl.ts, with the index).
  const template = renderAclTemplate([...systemAclUsers({ metrics: true }), ...APPS.map((a) => appAclUser(a.user, a.prefix, a.index))]);
  fs.writeFileSync(localPath(map, init.command[2]), template);
  const passwords: Record<string, string> = {};
  for (const [, user] of template.matchAll(/^user (\S+) on /gm)) {
    passwords[user] = randomBytes(24).toString('hex');
    fs.writeFileSync(path.join(localPath(map, init.command[3]), user), passwords[user]);
  }
  const assembled = runPodCommand(map, init.command);
  if (assembled.status !== 0) throw new Error(`the init container's command failed: ${assembled.stderr}`);
  const aclPodPath = /^aclfile (\S+)$/m.exec(configMap.data['redis.conf'])![1];
  const server = await RedisServer.start({
    configFile: localPath(map, main.command[1]),
    aclFile: localPath(map, aclPodPath),
    dataDir: localPath(map, main.workingDir),
  });
  return { server, passwords };
}

const isNoPerm = (reply: Reply) => reply instanceof RedisError && reply.message.startsWith('NOPERM');
/** Lua's error when a script calls a command the user may not run. */
const isScriptDenied = (reply: Reply) => reply instanceof RedisError && /can't run this command|NOPERM/.test(reply.message);

describe(`app isolation on a shared redis-server ${VERSION}`, () => {
  let pod: Pod;
  const clients: RespClient[] = [];
  async function login(user: string, index?: number): Promise<RespClient> {
    const c = await pod.server.client();
    clients.push(c);
    expect(await c.call('AUTH', user, pod.passwords[user])).toBe('OK');
    if (index !== undefined) expect(await c.call('SELECT', index)).toBe('OK');
    return c;
  }

  let admin: RespClient;
  let subscriberA: RespClient;

  beforeAll(async () => {
    requireBinary('redis-server');
    pod = await startPod();
    admin = await login('admin');
    // Every command goes to the slow log: its entries are what SLOWLOG GET would show.
    await admin.ok('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
    const a = await login('app_a', 1);
    await a.ok('SET', 'app_a:customer:42:reset-token', 'tok-SECRET-123');
    await a.ok('SET', 'app_a:session:alice', 's');
    subscriberA = await login('app_a', 1);
    await subscriberA.ok('SUBSCRIBE', 'app_a:orders');
    const shard = await login('app_a', 1);
    await shard.ok('SSUBSCRIBE', 'app_a:shard-orders');
    // What the attacks below would reveal if they were allowed (the admin sees it).
    expect(await admin.ok('PUBSUB', 'CHANNELS')).toEqual(['app_a:orders']);
    await admin.ok('SELECT', 1);
    expect(((await admin.ok('SCAN', 0)) as Reply[])[1]).toHaveLength(2);
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await pod?.server.stop();
  });

  it('runs on a Redis 7 server', () => {
    expect(VERSION).toMatch(/^7\./);
  });

  it('keeps a prefixed app in its own database: SELECT, SELECT in Lua and COPY ... DB are refused', async () => {
    const b = await login('app_b', 2);
    expect(isNoPerm(await b.call('SELECT', 1))).toBe(true);
    expect(isNoPerm(await b.call('SELECT', 0))).toBe(true);
    expect(isScriptDenied(await b.call('EVAL', "redis.call('select', '1') return redis.call('randomkey')", 0))).toBe(true);
    await b.ok('SET', 'app_b:x', '1');
    expect(isNoPerm(await b.call('COPY', 'app_b:x', 'app_b:x', 'DB', 1))).toBe(true);
    expect(isNoPerm(await b.call('MOVE', 'app_b:x', 1))).toBe(true);
    expect(await b.call('SELECT', 2)).toBe('OK');
  });

  it("refuses a prefixed app every listing of its database's keys", async () => {
    const b = await login('app_b', 2);
    for (const command of [['SCAN', 0, 'COUNT', 1000], ['SCAN', 0, 'MATCH', 'app_a:*'], ['RANDOMKEY'], ['KEYS', '*']]) {
      const reply = await b.call(...command);
      if (!isNoPerm(reply)) throw new Error(`app_b was allowed ${command.join(' ')}: ${JSON.stringify(reply)}`);
    }
    expect(isScriptDenied(await b.call('EVAL', "return redis.call('scan', '0')", 0))).toBe(true);
    expect(isScriptDenied(await b.call('EVAL', "return redis.call('randomkey')", 0))).toBe(true);
  });

  it("refuses every app the server-wide lists of channel names, subscriber counts and key invalidations", async () => {
    for (const [user, index] of [['app_b', 2], ['app_c', 3]] as const) {
      const c = await login(user, index);
      const leaks: Array<Array<string | number>> = [
        ['PUBSUB', 'CHANNELS'], ['PUBSUB', 'CHANNELS', 'app_a:*'], ['PUBSUB', 'NUMSUB', 'app_a:orders'], ['PUBSUB', 'NUMPAT'],
        ['PUBSUB', 'SHARDCHANNELS'], ['PUBSUB', 'SHARDNUMSUB', 'app_a:shard-orders'],
        ['CLIENT', 'TRACKING', 'on', 'BCAST'], ['CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'app_a:'], ['CLIENT', 'TRACKING', 'on'],
      ];
      for (const command of leaks) {
        const reply = await c.call(...command);
        if (!isNoPerm(reply)) throw new Error(`${user} was allowed ${command.join(' ')}: ${JSON.stringify(reply)}`);
      }
    }
  });

  it('keeps an app without prefix in its own database, where it may list its keys', async () => {
    const c = await login('app_c', 3);
    expect(isNoPerm(await c.call('SELECT', 1))).toBe(true);
    expect(isScriptDenied(await c.call('EVAL', "redis.call('select', '1') return redis.call('get', 'app_a:customer:42:reset-token')", 0))).toBe(true);
    await c.ok('SET', 'anything', 'ok');
    expect(isNoPerm(await c.call('COPY', 'anything', 'anything', 'DB', 1))).toBe(true);
    expect(await c.call('SCAN', 0)).toEqual(['0', ['anything']]);
    expect(await c.call('RANDOMKEY')).toBe('anything');
    expect(await c.call('GET', 'app_a:customer:42:reset-token')).toBeNull();
  });

  it('still runs what an app normally runs, in its own database', async () => {
    const b = await login('app_b', 2);
    const must: Array<Array<string | number>> = [
      ['PING'], ['HELLO', 2], ['CLIENT', 'SETNAME', 'web-1'], ['CLIENT', 'GETNAME'], ['CLIENT', 'ID'], ['SELECT', 2], ['INFO'], ['INFO', 'server'],
      ['SET', 'app_b:s', 'v', 'EX', 60], ['GET', 'app_b:s'], ['INCR', 'app_b:n'], ['EXPIRE', 'app_b:n', 60], ['TTL', 'app_b:n'],
      ['HSET', 'app_b:h', 'f', 'v'], ['HGETALL', 'app_b:h'], ['LPUSH', 'app_b:l', 'x'], ['BRPOP', 'app_b:l', 1], ['ZADD', 'app_b:z', 1, 'm'],
      ['SADD', 'app_b:set', 'm'], ['XADD', 'app_b:st', '*', 'f', 'v'], ['XGROUP', 'CREATE', 'app_b:st', 'g', '0'],
      ['XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', 1, 'STREAMS', 'app_b:st', '>'], ['EXISTS', 'app_b:s'], ['TYPE', 'app_b:s'],
      ['OBJECT', 'ENCODING', 'app_b:s'], ['MEMORY', 'USAGE', 'app_b:s'], ['RENAME', 'app_b:s', 'app_b:s2'], ['DEL', 'app_b:s2'], ['UNLINK', 'app_b:n'],
      ['WATCH', 'app_b:h'], ['MULTI'], ['HSET', 'app_b:h', 'g', 'w'], ['EXEC'],
      ['EVAL', "return redis.call('GET', KEYS[1])", 1, 'app_b:h2'], ['SCRIPT', 'LOAD', 'return 1'],
      ['EVALSHA', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db', 0], ['EVAL_RO', "return redis.call('EXISTS', KEYS[1])", 1, 'app_b:h'],
      ['PUBLISH', 'app_b:orders', 'x'], ['SPUBLISH', 'app_b:shard', 'x'], ['WAIT', 0, 0], ['DBSIZE'],
    ];
    for (const command of must) {
      const reply = await b.call(...command);
      if (reply instanceof RedisError) throw new Error(`app_b could not run ${command.join(' ')}: ${reply.message}`);
    }
  });

  it('still delivers pub/sub messages on an app\'s own channels', async () => {
    const sub = await login('app_b', 2);
    const psub = await login('app_b', 2);
    const ssub = await login('app_b', 2);
    const pub = await login('app_b', 2);
    expect(await sub.call('SUBSCRIBE', 'app_b:orders')).toEqual(['subscribe', 'app_b:orders', 1]);
    expect(await psub.call('PSUBSCRIBE', 'app_b:*')).toEqual(['psubscribe', 'app_b:*', 1]);
    expect(await ssub.call('SSUBSCRIBE', 'app_b:shard')).toEqual(['ssubscribe', 'app_b:shard', 1]);
    expect(await pub.call('PUBLISH', 'app_b:orders', 'hi')).toBe(2);
    expect(await sub.nextPush()).toEqual(['message', 'app_b:orders', 'hi']);
    expect(await psub.nextPush()).toEqual(['pmessage', 'app_b:*', 'app_b:orders', 'hi']);
    expect(await pub.call('SPUBLISH', 'app_b:shard', 'sh')).toBe(1);
    expect(await ssub.nextPush()).toEqual(['smessage', 'app_b:shard', 'sh']);
    // And app_a's subscriber got nothing of it.
    expect(await subscriberA.nextPush(200)).toBe('timeout');
  });

  it('cannot close what the README lists: INFO, the global script cache, unprefixed pub/sub', async () => {
    const a = await login('app_a', 1);
    const b = await login('app_b', 2);
    const c = await login('app_c', 3);
    // INFO: key counts of every database and every user's command counts.
    expect(String(await b.ok('INFO', 'keyspace'))).toMatch(/^db1:keys=2,/m);
    expect(String(await b.ok('INFO', 'commandstats'))).toMatch(/^cmdstat_auth:calls=\d+,/m);
    // The script cache is one for the server: app_b learns that app_a loaded a script, and runs it (with its own ACL).
    const sha = await a.ok('SCRIPT', 'LOAD', "return 'app_a script'");
    expect(await b.call('SCRIPT', 'EXISTS', sha as string)).toEqual([1]);
    expect(await b.call('EVALSHA', sha as string, 0)).toBe('app_a script');
    // Channels belong to no database: an unprefixed user (&*) hears every app's channels.
    expect(await c.call('SUBSCRIBE', 'app_a:orders')).toEqual(['subscribe', 'app_a:orders', 1]);
    expect(await a.call('PUBLISH', 'app_a:orders', 'order-1')).toBe(2);
    expect(await c.nextPush()).toEqual(['message', 'app_a:orders', 'order-1']);
    expect(await subscriberA.nextPush()).toEqual(['message', 'app_a:orders', 'order-1']);
  });

  it('lets the exporter run its scrape, without the slow log, the client list or another database', async () => {
    expect(METRICS_COMMANDS).not.toContain('slowlog|get');
    const metrics = await login('metrics');
    // The sequence of a scrape in redis_exporter v1.67.0 (exporter.go scrapeRedisHost), CONFIG off.
    expect(await metrics.call('PING')).toBe('PONG');
    expect(await metrics.call('CLIENT', 'SETNAME', 'redis_exporter')).toBe('OK');
    expect(String(await metrics.ok('INFO', 'ALL'))).toContain('# Keyspace');
    expect(Array.isArray(await metrics.ok('LATENCY', 'LATEST'))).toBe(true);
    expect(Array.isArray(await metrics.ok('LATENCY', 'HISTOGRAM'))).toBe(true);
    expect(typeof await metrics.ok('SLOWLOG', 'LEN')).toBe('number');
    // What the refused ones would show: other users' commands, values included.
    expect(JSON.stringify(await admin.ok('SLOWLOG', 'GET', 1000))).toContain('tok-SECRET-123');
    expect(String(await admin.ok('CLIENT', 'LIST'))).toContain('user=app_a');
    for (const command of [['SLOWLOG', 'GET', 1], ['SLOWLOG', 'GET', 1000], ['CLIENT', 'LIST'], ['SELECT', 1], ['CLIENT', 'TRACKING', 'on', 'BCAST']]) {
      const reply = await metrics.call(...command);
      if (!isNoPerm(reply)) throw new Error(`the metrics user was allowed ${command.join(' ')}: ${JSON.stringify(reply)}`);
    }
  });
});

describe('appAclUser', () => {
  it('pins SELECT to the index only when one is given', () => {
    expect(appAclUser('x', 'x:', 4).rules.slice(-2)).toEqual(['-select', '+select|4']);
    expect(appAclUser('x', 'x:').rules).not.toContain('-select');
  });

  it('fails when the index is not a database index', () => {
    expect(() => appAclUser('x', 'x:', -1)).toThrow('redis acl: -1 is not a database index');
    expect(() => appAclUser('x', 'x:', 1.5)).toThrow(/is not a database index/);
  });
});
