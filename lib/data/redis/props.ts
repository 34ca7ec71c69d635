// SharedRedis' props: server settings, persistence, storage, resources and the isolation mode.
import { ResourceSpec } from '../../core/security';
import type { PostgresS3Upload } from '../postgres/props';
import { EvictionPolicy, PersistenceMode } from './config';

/**
 * maxmemory may use at most this share of the container's memory limit: the rest is for
 * fragmentation, client buffers and the copy-on-write pages of the fork that rewrites the AOF or
 * writes a snapshot. Beyond it the kernel kills Redis before Redis refuses a write.
 */
export const MAXMEMORY_SHARE_OF_LIMIT = 0.75;

/**
 * Encrypted copies of the snapshots in S3-compatible storage: the same fields, images, Secret keys
 * and gpg encryption as SharedPostgres' `backup.s3` (the Secrets live in the Redis namespace).
 * The credentials Secret may be PostgreSQL's when both use one bucket; give each its own prefix.
 */
export type RedisS3Upload = PostgresS3Upload;

/** Snapshots of the whole dataset, pulled over the network from the running server. */
export interface SharedRedisBackup {
  /** @default true */
  readonly enabled?: boolean;
  /** When to take a snapshot, cron in UTC. @default '13 * * * *' (hourly) */
  readonly schedule?: string;
  /** Newest snapshots kept on the backups volume (older ones are deleted after a good snapshot). @default 24 */
  readonly keep?: number;
  /** Size of the backups volume; room for `keep` snapshots, each about the dataset's size. @default '5Gi' */
  readonly storageSize?: string;
  /** StorageClass of the backups volume. @default - the data volume's (storageClass) */
  readonly storageClass?: string;
  /** The snapshot container. @default 10m / 32Mi requested, 256Mi limit */
  readonly resources?: ResourceSpec;
  /** Upload encrypted copies every 30 minutes. @default - snapshots stay on the backups volume only */
  readonly s3?: RedisS3Upload;
}

export interface SharedRedisProps {
  /** Namespace of the server. @default 'shared' */
  readonly namespace?: string;
  /**
   * Server image, pinned: Valkey by default. Any Redis-compatible server with `redis-server`,
   * `redis-cli` (Valkey's images link them to `valkey-*`), `sh` and `sha256sum` that runs as uid
   * 999 with the ACL categories of Redis 7 works; Redis 8 puts its module commands into `@read`
   * and `@write`, so app users would need `-@search -@json -@timeseries ...` as well.
   * @default DEFAULT_REDIS_IMAGE
   */
  readonly image?: string;
  /** How data survives a restart. @default Persistence.AOF (append-only file, fsync every second) */
  readonly persistence?: PersistenceMode;
  /**
   * Memory for data, in redis.conf units (`kb`, `mb`, `gb`); at most 75% of the memory limit.
   * @default '256mb'
   */
  readonly maxmemory?: string;
  /** What happens at maxmemory. @default EvictionPolicies.NO_EVICTION (writes fail, no key is lost) */
  readonly evictionPolicy?: EvictionPolicy;
  /** Number of logical databases; an app's index must be below it. @default 16 */
  readonly databases?: number;
  /** Size of the data volume. @default '2Gi' */
  readonly storageSize?: string;
  /** StorageClass of the data volume. @default - the cluster's default StorageClass */
  readonly storageClass?: string;
  /** @default 50m CPU and 128Mi memory requested, 512Mi memory limit (room for maxmemory), no CPU limit */
  readonly resources?: ResourceSpec;
  /**
   * Run a redis_exporter sidecar (as an ACL user that may only read INFO and diagnostics) and a
   * ServiceMonitor. Needs a Monitoring construct in the platform. @default false
   */
  readonly metrics?: boolean;
  /**
   * Confine each app's ACL user to keys and channels `<app>:*` unless the app opts out with
   * `keyPrefix: false`. Without a prefix only the logical database separates apps, and any app can
   * SELECT another's database.
   * @default true
   */
  readonly keyPrefix?: boolean;
  /**
   * Snapshots (RDB) pulled from the running server by a CronJob as an ACL user that may only
   * replicate, checked, kept on a volume of their own and optionally copied off-site.
   * @default on: hourly, the newest 24 kept on a 5Gi volume, no off-site copy
   */
  readonly backup?: SharedRedisBackup;
}
