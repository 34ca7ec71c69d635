// redis.conf for SharedRedis, rendered as text so the tests can run it on a real redis-server.
import { IConstruct } from 'constructs';
import { configError } from '../../core/errors';

/**
 * redis.conf for SharedRedis. The file is rendered here, as text, so that the test suite can start
 * a real redis-server on exactly these bytes (see __tests__/redis/server.test.ts); only the
 * directives understood by Redis 7.0 (the Debian test server) and later are used.
 */

/** Where things live inside the Redis pod; one place so the ConfigMap, mounts and script agree. */
export const RedisPaths = {
  /** The PVC. Also the container's working directory, which is what `dir` defaults to (see renderRedisConf). */
  DATA: '/data',
  /** The ConfigMap (redis.conf, ACL template, assembly script), read-only. */
  CONFIG: '/etc/redis',
  /** emptyDir (memory) that receives the assembled ACL file; it holds password hashes only. */
  ACL_DIR: '/run/redis-acl',
  /** Per-user password files projected from Secrets; mounted in the init container only. */
  PASSWORDS: '/run/secrets/redis-acl',
} as const;

export const REDIS_PORT = 6379;
export const CONFIG_FILE = 'redis.conf';
export const ACL_TEMPLATE_FILE = 'users.acl.template';
export const ACL_FILE = 'users.acl';
export const ASSEMBLE_SCRIPT_FILE = 'assemble-acl.sh';

/** How Redis keeps data across restarts. */
export interface PersistenceMode {
  /** Short name, for messages and docs. */
  readonly name: string;
  /** redis.conf directives. */
  readonly directives: readonly string[];
}

/** RDB snapshot points: an hour after 1 change, 5 minutes after 100, a minute after 10000. */
const SAVE_POINTS = 'save 3600 1 300 100 60 10000';

export const Persistence = {
  /**
   * Append-only file, fsync once a second: at most a second of writes lost on a crash. The AOF's
   * base file uses the RDB format, so restarts load quickly.
   */
  AOF: { name: 'aof', directives: ['appendonly yes', 'appendfsync everysec', 'aof-use-rdb-preamble yes', 'save ""'] },
  /** Snapshots only: smaller disk use, but up to the last snapshot interval is lost on a crash. */
  RDB: { name: 'rdb', directives: ['appendonly no', SAVE_POINTS] },
  /** Both: the AOF for durability and periodic snapshots as a second, portable copy (backups). */
  AOF_AND_RDB: { name: 'aof+rdb', directives: ['appendonly yes', 'appendfsync everysec', 'aof-use-rdb-preamble yes', SAVE_POINTS] },
} as const satisfies Record<string, PersistenceMode>;

/** What Redis does when `maxmemory` is reached. */
export const EvictionPolicies = {
  /**
   * Refuse writes with an OOM error, never drop a key. The right choice when job queues share the
   * server: a queue whose job or lock key was evicted loses work silently (BullMQ and Sidekiq
   * both require this policy). Caches must set TTLs so they make room themselves.
   */
  NO_EVICTION: 'noeviction',
  /** Evict least recently used keys among all keys: a pure cache, no queues. */
  ALLKEYS_LRU: 'allkeys-lru',
  /** Evict least frequently used keys among all keys: a pure cache with a hot set. */
  ALLKEYS_LFU: 'allkeys-lfu',
  /** Evict least recently used keys among keys with a TTL; like noeviction when none has one. */
  VOLATILE_LRU: 'volatile-lru',
  VOLATILE_LFU: 'volatile-lfu',
  VOLATILE_TTL: 'volatile-ttl',
  ALLKEYS_RANDOM: 'allkeys-random',
  VOLATILE_RANDOM: 'volatile-random',
} as const;
export type EvictionPolicy = (typeof EvictionPolicies)[keyof typeof EvictionPolicies];

const MAXMEMORY = /^([1-9][0-9]*)(kb|mb|gb)$/;
const MEMORY_UNITS: Record<string, number> = { kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/**
 * Bytes of a redis.conf memory size. Only the binary units `kb`, `mb`, `gb` are accepted: Redis
 * reads `1m` as 10^6 bytes and `1mb` as 2^20, a difference nobody should have to remember.
 */
export function parseMaxmemory(scope: IConstruct | string, field: string, value: string): number {
  const m = typeof value === 'string' ? MAXMEMORY.exec(value) : null;
  if (!m) {
    throw configError(scope, {
      field,
      value,
      problem: 'is not a Redis memory size of the form <whole number><kb|mb|gb> (0, which means unlimited, is not allowed on a shared node)',
      fix: 'use a size such as "256mb" or "1gb"',
    });
  }
  const bytes = Number(m[1]) * MEMORY_UNITS[m[2]];
  if (bytes < 1024 ** 2) {
    throw configError(scope, { field, value, problem: 'is below 1mb, too small for Redis to run', fix: 'use at least "16mb"' });
  }
  return bytes;
}

export interface RedisConfOptions {
  readonly databases: number;
  readonly maxmemory: string;
  readonly evictionPolicy: EvictionPolicy;
  readonly persistence: PersistenceMode;
}

/**
 * The server's redis.conf. `dir` is deliberately absent: Redis applies it while parsing (chdir),
 * and its default `./` is the container's working directory, the PVC at /data. That keeps the
 * file runnable unchanged outside the pod (the tests start redis-server in a temporary directory).
 */
export function renderRedisConf(o: RedisConfOptions): string {
  const lines = [
    '# Rendered by novahost-infra (lib/data/redis/config.ts); edit the SharedRedis props, not this file.',
    '# The data directory is the working directory: /data, the PVC.',
    '',
    '# Network: every interface, IPv6 only where the pod has it ("-" makes it optional).',
    'bind * -::*',
    `port ${REDIS_PORT}`,
    'protected-mode yes',
    'tcp-keepalive 300',
    'timeout 0',
    '',
    '# Users and permissions come only from the ACL file, assembled at pod start from Secrets.',
    `aclfile ${RedisPaths.ACL_DIR}/${ACL_FILE}`,
    'acl-pubsub-default resetchannels',
    '# Commands no tenant of a shared server may reach, whatever its ACL says.',
    'enable-debug-command no',
    'enable-module-command no',
    'enable-protected-configs no',
    '',
    `databases ${o.databases}`,
    `maxmemory ${o.maxmemory}`,
    `maxmemory-policy ${o.evictionPolicy}`,
    '',
    `# Persistence: ${o.persistence.name}`,
    ...o.persistence.directives,
    'dbfilename dump.rdb',
    'appenddirname appendonlydir',
    '',
    '# Logs to stdout for kubectl logs.',
    'daemonize no',
    'logfile ""',
    'loglevel notice',
  ];
  return lines.join('\n') + '\n';
}
