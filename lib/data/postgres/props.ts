// SharedPostgres' props, defaults and the fixed facts of the server image (ports, paths, roles).
import { ResourceSpec } from '../../core/security';
import { PostgresSettingValue } from './config';
import { imageRef, PINS } from '../../core/pins';

/** TimescaleDB on PostgreSQL 17 (Alpine based, like the official postgres:17-alpine image); see PINS. */
export const DEFAULT_POSTGRES_IMAGE = imageRef(PINS.images.postgres);

/**
 * UID and GID of the `postgres` user in the Alpine-based postgres and timescale/timescaledb
 * images (Alpine's postgres package convention; the Debian-based postgres images use 999).
 */
export const ALPINE_POSTGRES_UID = 70;

/**
 * Extensions an app may ask for: those the timescale/timescaledb image ships — TimescaleDB itself,
 * pgvector (`vector`: the image's Dockerfile builds it from source, PGVECTOR_VERSION in its
 * Makefile) and PostgreSQL's contrib modules that need no preloading. PostGIS is not in this image
 * (it is in timescale/timescaledb-ha), so asking for it fails at synth instead of at CREATE
 * EXTENSION time in a Job.
 */
export const POSTGRES_EXTENSIONS: ReadonlySet<string> = new Set([
  'timescaledb', 'pgcrypto', 'uuid-ossp', 'pg_trgm', 'citext', 'hstore', 'btree_gin', 'btree_gist',
  'unaccent', 'fuzzystrmatch', 'ltree', 'intarray', 'tablefunc', 'vector',
]);

export const PORT = 5432;
export const PORT_NAME = 'postgres';
export const DATA_MOUNT = '/var/lib/postgresql/data';
/** A sub-folder of the volume: initdb refuses a non-empty folder, and volume roots may hold lost+found. */
export const PGDATA = `${DATA_MOUNT}/pgdata`;
export const CONFIG_DIR = '/etc/postgresql';
export const SOCKET_DIR = '/var/run/postgresql';
export const SUPERUSER = 'postgres';
export const BACKUP_DIR = '/backups';
/** Archived WAL and base backups on the backups volume (names no database's dump folder can have). */
export const WAL_ARCHIVE_DIR = `${BACKUP_DIR}/wal-archive`;
export const BASE_BACKUP_DIR = `${BACKUP_DIR}/base-backups`;
/** The login role (REPLICATION only) that takes base backups. */
export const REPLICATION_ROLE = 'backup_replication';
export const REPLICATION_PASSWORD_ENV = 'REPLICATION_PASSWORD';
/** The scratch database the restore drill restores into: reserved, so never an app's. */
export const DRILL_DATABASE = 'restore_drill';
export const SQL_DIR = '/provisioning';
export const ARGO_HOOK = 'argocd.argoproj.io/hook';
/** The Prometheus exporter for PostgreSQL, pinned. */
export const POSTGRES_EXPORTER_IMAGE = imageRef(PINS.images.postgresExporter);
/** The AWS CLI image that uploads dumps to S3, pinned. */
export const DEFAULT_S3_UPLOAD_IMAGE = imageRef(PINS.images.awsCli);
export const METRICS_PORT = 9187;
export const MONITOR_ROLE = 'postgres_exporter';
export const MONITOR_PASSWORD_ENV = 'MONITOR_PASSWORD';
export const ARGO_HOOK_DELETE_POLICY = 'argocd.argoproj.io/hook-delete-policy';

/** A volume's size and class. */
export interface PostgresStorage {
  /** Requested size, a Kubernetes quantity in Mi, Gi or Ti. @default '20Gi' */
  readonly size?: string;
  /** @default - the cluster's default StorageClass */
  readonly storageClassName?: string;
}

/**
 * postgresql.conf settings. The defaults suit one PostgreSQL for a handful of small apps on a
 * 2 vCPU / 4 GiB node, with the server's memory limit at 1.5 GiB.
 */
export interface PostgresSettings {
  /** @default '256MB' (a quarter of the memory limit) */
  readonly sharedBuffers?: string;
  /** Planner's guess of the OS cache available. @default '768MB' */
  readonly effectiveCacheSize?: string;
  /** Per sort/hash operation, per connection. @default '8MB' */
  readonly workMem?: string;
  /** @default '128MB' */
  readonly maintenanceWorkMem?: string;
  /** @default 100 */
  readonly maxConnections?: number;
  /** Further settings by name; they override the ones above. @default {} */
  readonly extra?: Record<string, PostgresSettingValue>;
}

/** Upload of the dumps to S3-compatible storage, after each backup. */
export interface PostgresS3Upload {
  /** Endpoint URL, e.g. `https://s3.eu-central-1.amazonaws.com` or a MinIO URL. */
  readonly endpoint: string;
  readonly bucket: string;
  /** Key prefix inside the bucket. @default '<namespace>/<name>' */
  readonly prefix?: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** Secret (in the PostgreSQL namespace) with the access keys. */
  readonly credentialsSecret: string;
  /** @default 'access-key-id' */
  readonly accessKeyIdKey?: string;
  /** @default 'secret-access-key' */
  readonly secretAccessKeyKey?: string;
  /** @default DEFAULT_S3_UPLOAD_IMAGE */
  readonly image?: string;
  /**
   * Secret (in the PostgreSQL namespace) with the passphrase every remote copy is encrypted with
   * before it leaves the cluster (key `passphrase`). Keep a copy outside the cluster: without it
   * the remote backups cannot be read. @default '<name>-backup-encryption'
   */
  readonly encryptionSecret?: string;
  /** Image with gpg that encrypts. @default DEFAULT_ENCRYPT_IMAGE */
  readonly encryptImage?: string;
}

/** alpine/git ships GnuPG (its Dockerfile adds `gpg`); pinned, and already pulled for builds. */
export const DEFAULT_ENCRYPT_IMAGE = imageRef(PINS.images.git);

/**
 * Continuous archiving: every WAL segment to the backups volume (and, with `s3`, off-site), and
 * base backups to replay it onto, for restores to any moment since the oldest base backup.
 */
export interface PostgresPointInTimeRecovery {
  /** @default true */
  readonly enabled?: boolean;
  /** At most this many minutes of writes are lost (archive_timeout), 1-60. @default 5 */
  readonly rpoMinutes?: number;
  /** Base backups, cron in UTC. @default '47 2 * * *' */
  readonly baseBackupSchedule?: string;
  /** Newest complete base backups always kept, whatever their age (on the volume and off-site). @default 2 */
  readonly keepBaseBackups?: number;
  /**
   * Every moment of this many days stays restorable: base backups beyond keepBaseBackups that no
   * moment of the window needs are deleted with their WAL (on the volume and off-site). @default backup.retentionDays
   */
  readonly retentionDays?: number;
}

/** The nightly restore drill: the latest dumps restored into a scratch database and checked. */
export interface PostgresRestoreDrill {
  /** @default true */
  readonly enabled?: boolean;
  /** Cron in UTC; after the dumps. @default '37 4 * * *' */
  readonly schedule?: string;
  /** A table's restored row count may differ from the live one by this share (plus 100 rows). @default 0.1 */
  readonly rowTolerance?: number;
  /** A dump smaller than this share of the previous one fails the drill. @default 0.5 */
  readonly minSizeRatio?: number;
  /** A latest dump older than this many hours fails the drill. @default 26 */
  readonly maxDumpAgeHours?: number;
}

/** Nightly logical backups of every app database. */
export interface PostgresBackup {
  /** @default true */
  readonly enabled?: boolean;
  /** Cron schedule, in UTC. @default '17 3 * * *' */
  readonly schedule?: string;
  /** Dumps older than this are deleted. @default 7 */
  readonly retentionDays?: number;
  /** The backups volume (kept when everything else is deleted). @default 20Gi, the default class */
  readonly storage?: PostgresStorage;
  /** @default 50m / 64Mi requested, 256Mi limit (pg_dump streams; it holds little in memory) */
  readonly resources?: ResourceSpec;
  /**
   * Encrypted copies of the dumps, base backups and WAL to S3-compatible storage, every
   * `pitr.rpoMinutes`. @default - backups stay on the backups volume only
   */
  readonly s3?: PostgresS3Upload;
  /** @default on: WAL archived every 5 minutes, daily base backups */
  readonly pitr?: PostgresPointInTimeRecovery;
  /** @default on, nightly */
  readonly drill?: PostgresRestoreDrill;
}

export interface SharedPostgresProps {
  /** @default 'shared' */
  readonly namespace?: string;
  /** PostgreSQL image, pinned. @default DEFAULT_POSTGRES_IMAGE */
  readonly image?: string;
  /** UID (and GID) of the image's postgres user. @default ALPINE_POSTGRES_UID (70) */
  readonly runAsUser?: number;
  /** The data volume. @default 20Gi, the default class */
  readonly storage?: PostgresStorage;
  /** @default 250m / 512Mi requested, 1Gi memory limit, no CPU limit (sized for a shared 4 GiB node) */
  readonly resources?: ResourceSpec;
  /** @default PostgresSettings' defaults */
  readonly settings?: PostgresSettings;
  /** Libraries loaded at server start; timescaledb must be here to create that extension. @default ['timescaledb'] */
  readonly sharedPreloadLibraries?: string[];
  /** @default nightly dumps kept 7 days on a 20Gi volume */
  readonly backup?: PostgresBackup;
  /**
   * Run a postgres_exporter sidecar (as a role that holds only pg_monitor) and a ServiceMonitor.
   * Needs a Monitoring construct in the platform. @default false
   */
  readonly metrics?: boolean;
}
