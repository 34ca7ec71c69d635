import { createHash } from 'crypto';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { configError, pathOf } from '../../core/errors';
import { dataProtection, SyncWave } from '../../core/annotations';
import {
  DatabaseEnvStyle, DatabaseEnvStyles, DatabaseHandle, DatabaseOptions, DatabaseProvider, SecretKeyReference,
  ServerEndpoint, ServiceConsumer,
} from '../../core/handles';
import { pinnedImage } from '../../core/image';
import { NetworkPolicies, Peers, PodPeer } from '../../network/network-policies';
import { checkName, ComponentIdentity, NameRules, selectorLabels, standardLabels } from '../../core/names';
import { addMetricsEndpoint, exporterContainer } from '../../services/monitoring/scrape';
import { NamespacedConstruct } from '../../core/platform';
import { DeriveStages } from '../../core/registry';
import { renderServerServices, renderStatefulServer } from '../stateful-server';
import { immutableJobAnnotations } from '../../core/job-annotations';
import { backupScript, restoreScript, s3UploadScript } from './backup';
import { isSettingName, postgresqlConf, PostgresSettingValue } from './config';
import { DatabaseGrant, identifierFor, identifierProblem, provisioningScript, provisioningSql } from './provisioning';
import {
  resourceRequirements, ResourceSpec, restrictedContainerSecurityContext, restrictedPodSecurityContext, scratchVolume,
} from '../../core/security';
import { declareSecrets } from '../../core/secrets';

/** TimescaleDB 2.22.1 on PostgreSQL 17 (Alpine based, like the official postgres:17-alpine image). */
export const DEFAULT_POSTGRES_IMAGE = 'timescale/timescaledb:2.22.1-pg17';

/**
 * UID and GID of the `postgres` user in the Alpine-based postgres and timescale/timescaledb
 * images (Alpine's postgres package convention; the Debian-based postgres images use 999).
 */
export const ALPINE_POSTGRES_UID = 70;

/**
 * Extensions an app may ask for: those the timescale/timescaledb image ships — TimescaleDB itself
 * plus PostgreSQL's contrib modules that need no preloading. PostGIS and pgvector are not in this
 * image (they are in timescale/timescaledb-ha), so asking for them fails at synth instead of at
 * CREATE EXTENSION time in a Job.
 */
export const POSTGRES_EXTENSIONS: ReadonlySet<string> = new Set([
  'timescaledb', 'pgcrypto', 'uuid-ossp', 'pg_trgm', 'citext', 'hstore', 'btree_gin', 'btree_gist',
  'unaccent', 'fuzzystrmatch', 'ltree', 'intarray', 'tablefunc',
]);

const PORT = 5432;
const PORT_NAME = 'postgres';
const DATA_MOUNT = '/var/lib/postgresql/data';
/** A sub-folder of the volume: initdb refuses a non-empty folder, and volume roots may hold lost+found. */
const PGDATA = `${DATA_MOUNT}/pgdata`;
const CONFIG_DIR = '/etc/postgresql';
const SOCKET_DIR = '/var/run/postgresql';
const SUPERUSER = 'postgres';
const BACKUP_DIR = '/backups';
const SQL_DIR = '/provisioning';
const ARGO_HOOK = 'argocd.argoproj.io/hook';
/** The Prometheus exporter for PostgreSQL, pinned. */
export const POSTGRES_EXPORTER_IMAGE = 'quay.io/prometheuscommunity/postgres-exporter:v0.17.1';
const METRICS_PORT = 9187;
const MONITOR_ROLE = 'postgres_exporter';
const MONITOR_PASSWORD_ENV = 'MONITOR_PASSWORD';
const ARGO_HOOK_DELETE_POLICY = 'argocd.argoproj.io/hook-delete-policy';

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
  /** @default 'amazon/aws-cli:2.17.0' */
  readonly image?: string;
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
  /** @default - dumps stay on the backups volume only */
  readonly s3?: PostgresS3Upload;
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

/** One app's database on a {@link SharedPostgres}. */
export class PostgresDatabase implements DatabaseHandle {
  constructor(
    public readonly consumer: ServiceConsumer,
    public readonly database: string,
    public readonly role: string,
    public readonly extensions: readonly string[],
    public readonly server: ServerEndpoint,
    /** In the app's namespace; its pods read it. */
    public readonly password: SecretKeyReference,
    /** In the PostgreSQL namespace, same value; the provisioning Job reads it. */
    public readonly serverSidePassword: SecretKeyReference,
  ) {}

  /**
   * `url`: PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, then DATABASE_URL built from them by
   * Kubernetes' `$(VAR)` expansion (which sees only earlier variables). The password is inserted
   * into the URL as is, so it must be URL-safe: generate it alphanumeric (see bootstrap).
   */
  public envVars(style: DatabaseEnvStyle = DatabaseEnvStyles.URL): k8s.EnvVar[] {
    const secret = { valueFrom: { secretKeyRef: { name: this.password.name, key: this.password.key } } };
    if (style === DatabaseEnvStyles.DISCRETE) {
      return [
        { name: 'DB_HOST', value: this.server.host },
        { name: 'DB_PORT', value: String(this.server.port) },
        { name: 'DB_NAME', value: this.database },
        { name: 'DB_USER', value: this.role },
        { name: 'DB_PASSWORD', ...secret },
      ];
    }
    return [
      { name: 'PGHOST', value: this.server.host },
      { name: 'PGPORT', value: String(this.server.port) },
      { name: 'PGDATABASE', value: this.database },
      { name: 'PGUSER', value: this.role },
      { name: 'PGPASSWORD', ...secret },
      { name: 'DATABASE_URL', value: 'postgresql://$(PGUSER):$(PGPASSWORD)@$(PGHOST):$(PGPORT)/$(PGDATABASE)' },
    ];
  }
}

/**
 * One PostgreSQL (TimescaleDB) server that hands out a database per app: a StatefulSet with a
 * retained volume, a client and a headless Service, a provisioning Job that creates each app's
 * role and database after every sync, and nightly `pg_dump` backups to a retained volume.
 *
 * The server never drops a database: removing an app from `main.ts` leaves its data in place.
 */
export class SharedPostgres extends NamespacedConstruct implements DatabaseProvider {
  /** StatefulSet name and base of every object name (the construct id). */
  public readonly name: string;
  public readonly image: string;
  public readonly runAsUser: number;
  /** The client Service, for apps. */
  public readonly endpoint: ServerEndpoint;
  /** The superuser's password (read by initdb on the first start only). */
  public readonly superuserPassword: SecretKeyReference;
  public readonly sharedPreloadLibraries: readonly string[];
  /** Whether the exporter sidecar runs. */
  public readonly metrics: boolean;
  /** The exporter role's password, when metrics are on. */
  public readonly exporterPassword?: SecretKeyReference;
  /** Resolved postgresql.conf settings, in file order. */
  public readonly settings: ReadonlyArray<readonly [string, PostgresSettingValue]>;

  private readonly identity: ComponentIdentity;
  private readonly backup: PostgresBackup & { enabled: boolean; schedule: string; retentionDays: number };
  private readonly databases = new Map<string, PostgresDatabase>();
  private readonly byConsumer = new Map<string, PostgresDatabase>();

  constructor(scope: Construct, id: string, props: SharedPostgresProps = {}) {
    super(scope, id, props.namespace ?? 'shared', { wave: SyncWave.SHARED_SERVICES, holdsData: true });
    declareSecrets(this);
    this.name = checkName(this, 'id', id, NameRules.STATEFULSET);
    checkName(this, 'id (Service name)', id, NameRules.DNS1035_LABEL);
    checkName(this, 'id (headless Service name)', `${id}-headless`, NameRules.DNS1035_LABEL);
    this.image = pinnedImage(this, 'image', props.image ?? DEFAULT_POSTGRES_IMAGE).ref;
    this.runAsUser = props.runAsUser ?? ALPINE_POSTGRES_UID;
    if (!Number.isInteger(this.runAsUser) || this.runAsUser < 1) {
      throw configError(this, { field: 'runAsUser', value: props.runAsUser, problem: 'is not a non-root UID', fix: `use the UID of the image's postgres user (${ALPINE_POSTGRES_UID} for Alpine images, 999 for Debian ones)` });
    }
    this.identity = { name: 'postgres', instance: this.name, component: 'database' };
    this.endpoint = {
      namespace: this.namespace,
      host: `${this.name}.${this.namespace}.svc.cluster.local`,
      port: PORT,
      podLabels: selectorLabels(this.identity),
    };
    this.superuserPassword = {
      namespace: this.namespace,
      name: `${this.name}-superuser`,
      key: 'password',
      description: `PostgreSQL superuser "${SUPERUSER}"; read on the first start only (later: ALTER ROLE ${SUPERUSER} PASSWORD, then update the Secret)`,
      value: { kind: 'generated', length: 32 },
    };
    this.sharedPreloadLibraries = props.sharedPreloadLibraries ?? ['timescaledb'];
    for (const lib of this.sharedPreloadLibraries) {
      if (!/^[a-z_][a-z0-9_]*$/.test(lib)) {
        throw configError(this, { field: 'sharedPreloadLibraries', value: lib, problem: 'is not a library name', fix: 'use names such as "timescaledb"' });
      }
    }
    this.settings = this.resolveSettings(props.settings ?? {});
    this.backup = this.resolveBackup(props.backup ?? {});
    this.metrics = props.metrics ?? false;
    if (this.metrics) {
      this.exporterPassword = {
        namespace: this.namespace,
        name: `${this.name}-exporter`,
        key: 'password',
        description: `password of the role "${MONITOR_ROLE}" (pg_monitor only) that the metrics exporter logs in as`,
        value: { kind: 'generated', length: 32 },
      };
    }

    const storage = this.storageOf('storage', props.storage);
    this.renderServer(props, storage);
    this.allowTraffic();
    if (this.metrics) this.renderMetrics();
    if (this.backup.enabled) this.renderBackupVolume();
    // Provisioning and backups list every database; apps ask for theirs after this constructor.
    this.platform.registry.derive(DeriveStages.SERVERS, this, () => {
      if (this.databases.size || this.metrics) this.renderProvisioning();
      if (this.backup.enabled) this.renderBackupJob();
    });
  }

  /**
   * A database and login role for an app, named after it (`my-app` -> `my_app`) unless
   * `options.name` says otherwise. The role owns the database and is the only one (besides the
   * superuser) that may connect to it.
   */
  public addDatabase(consumer: ServiceConsumer, options: DatabaseOptions = {}): PostgresDatabase {
    const consumerPath = pathOf(consumer);
    const previous = this.byConsumer.get(consumer.node.path);
    if (previous) {
      throw configError(consumer, {
        field: 'database',
        value: options.name ?? previous.database,
        problem: `is a second database request to ${pathOf(this)}, which already gave this app database "${previous.database}"`,
        fix: 'ask for one database per app (apps that need two should be two apps)',
      });
    }
    const field = options.name === undefined ? 'database name (derived from the app name)' : 'database.name';
    const name = options.name ?? identifierFor(consumer.appName);
    const problem = identifierProblem(name);
    if (problem) {
      throw configError(consumer, {
        field,
        value: name,
        problem,
        fix: `pass database: { name: '...' } with a name such as "${suggestIdentifier(name)}"`,
      });
    }
    const taken = this.databases.get(name);
    if (taken) {
      throw configError(consumer, {
        field,
        value: name,
        problem: `is already the database of ${pathOf(taken.consumer)} on ${pathOf(this)} (app names are lower-cased and "-" becomes "_")`,
        fix: `give one of ${pathOf(taken.consumer)} and ${consumerPath} another database name with database: { name: '...' }`,
      });
    }
    const secretOwner = [...this.databases.values()].find((d) => d.consumer.appName === consumer.appName);
    if (secretOwner) {
      throw configError(consumer, {
        field: 'appName',
        value: consumer.appName,
        problem: `is also the name of ${pathOf(secretOwner.consumer)}, and both would use Secret ${this.name}-app-${consumer.appName} in namespace ${this.namespace}`,
        fix: 'give the apps different names',
      });
    }

    const extensions = [...(options.extensions ?? [])];
    const seen = new Set<string>();
    for (const ext of extensions) {
      if (!POSTGRES_EXTENSIONS.has(ext)) {
        throw configError(consumer, {
          field: 'database.extensions',
          value: ext,
          problem: `is not an extension the PostgreSQL image of ${pathOf(this)} ships`,
          fix: `use some of: ${[...POSTGRES_EXTENSIONS].join(', ')}`,
        });
      }
      if (seen.has(ext)) {
        throw configError(consumer, { field: 'database.extensions', value: ext, problem: 'is listed twice', fix: 'list each extension once' });
      }
      seen.add(ext);
      if (ext === 'timescaledb' && !this.sharedPreloadLibraries.includes('timescaledb')) {
        throw configError(consumer, {
          field: 'database.extensions',
          value: ext,
          problem: `needs "timescaledb" in sharedPreloadLibraries of ${pathOf(this)}, which has ${JSON.stringify(this.sharedPreloadLibraries)}`,
          fix: `keep the default sharedPreloadLibraries of ${pathOf(this)}, or drop the extension`,
        });
      }
    }

    const appSecret = `${consumer.appName}-${this.name}`;
    const serverSecret = `${this.name}-app-${consumer.appName}`;
    checkName(consumer, 'database password Secret name', appSecret, NameRules.DNS1123_SUBDOMAIN);
    checkName(this, 'database password Secret name', serverSecret, NameRules.DNS1123_SUBDOMAIN);
    // One generated value for both Secrets; alphanumeric, so it needs no escaping in DATABASE_URL.
    const value = { kind: 'generated', length: 32, group: serverSecret } as const;
    const same = `same value as Secret ${serverSecret} in namespace ${this.namespace}; alphanumeric (it is inserted into DATABASE_URL)`;
    const handle = new PostgresDatabase(
      consumer, name, name, extensions, this.endpoint,
      { namespace: consumer.namespace, name: appSecret, key: 'password', description: `password of PostgreSQL role "${name}" (${same})`, value },
      {
        namespace: this.namespace,
        name: serverSecret,
        key: 'password',
        description: `password of PostgreSQL role "${name}", applied by the provisioning Job (same value as Secret ${appSecret} in namespace ${consumer.namespace})`,
        value,
      },
    );
    this.databases.set(name, handle);
    this.byConsumer.set(consumer.node.path, handle);
    return handle;
  }

  /** Databases handed out so far, sorted by name. */
  public get databaseHandles(): PostgresDatabase[] {
    return [...this.databases.values()].sort((a, b) => a.database.localeCompare(b.database));
  }

  /**
   * Every Secret key this server and its apps need, for the bootstrap instructions: the
   * superuser's, each app's password in both namespaces, and the S3 keys if uploads are on.
   */
  public get secretReferences(): SecretKeyReference[] {
    const refs: SecretKeyReference[] = [this.superuserPassword, ...(this.exporterPassword ? [this.exporterPassword] : [])];
    for (const d of this.databaseHandles) refs.push(d.serverSidePassword, d.password);
    const s3 = this.backup.enabled ? this.backup.s3 : undefined;
    if (s3) {
      refs.push(
        {
          namespace: this.namespace, name: s3.credentialsSecret, key: s3.accessKeyIdKey ?? 'access-key-id',
          description: 'S3 access key id for backup uploads', value: { kind: 'provided', env: 'POSTGRES_BACKUP_S3_ACCESS_KEY_ID' },
        },
        {
          namespace: this.namespace, name: s3.credentialsSecret, key: s3.secretAccessKeyKey ?? 'secret-access-key',
          description: 'S3 secret access key for backup uploads', value: { kind: 'provided', env: 'POSTGRES_BACKUP_S3_SECRET_ACCESS_KEY' },
        },
      );
    }
    return refs;
  }

  /**
   * kubectl commands that create the passwords (not the S3 keys) with fresh random values:
   * alphanumeric, 48 hex characters. Each app's password goes into both of its Secrets at once.
   * Existing Secrets are left alone (`create` fails on them), so rerunning is safe.
   */
  public bootstrapCommands(): string[] {
    const create = (ref: SecretKeyReference, value: string) =>
      `kubectl -n ${ref.namespace} create secret generic ${ref.name} --from-literal=${ref.key}="${value}"`;
    const namespaces = [...new Set([this.namespace, ...this.databaseHandles.map((d) => d.password.namespace)])].sort();
    return [
      ...namespaces.map((ns) => `kubectl create namespace ${ns} --dry-run=client -o yaml | kubectl apply -f -`),
      create(this.superuserPassword, '$(openssl rand -hex 24)'),
      ...this.databaseHandles.flatMap((d) => [
        'PW="$(openssl rand -hex 24)"',
        create(d.serverSidePassword, '$PW'),
        create(d.password, '$PW'),
      ]),
    ];
  }

  /** The restore procedure for one database's dump (`-` reads it from standard input). */
  public restoreCommand(database: string, file = '-'): string {
    const d = this.databases.get(database);
    if (!d) {
      throw configError(this, { field: 'restoreCommand database', value: database, problem: 'is not a database of this server', fix: `use one of: ${[...this.databases.keys()].sort().join(', ')}` });
    }
    return restoreScript({ database, file, timescaledb: d.extensions.includes('timescaledb') });
  }

  private resolveSettings(s: PostgresSettings): Array<[string, PostgresSettingValue]> {
    const memory = (field: keyof PostgresSettings, value: string | undefined, fallback: string): string => {
      const v = value ?? fallback;
      if (typeof v !== 'string' || !/^[1-9][0-9]*(kB|MB|GB)$/.test(v)) {
        throw configError(this, { field: `settings.${field}`, value, problem: 'is not a PostgreSQL memory size', fix: `write it as a whole number with kB, MB or GB, e.g. "${fallback}"` });
      }
      return v;
    };
    const maxConnections = s.maxConnections ?? 100;
    if (!Number.isInteger(maxConnections) || maxConnections < 10 || maxConnections > 1000) {
      throw configError(this, { field: 'settings.maxConnections', value: s.maxConnections, problem: 'is not a whole number from 10 to 1000', fix: 'keep it near 100 on a small node; each connection costs memory' });
    }
    const timescale = this.sharedPreloadLibraries.includes('timescaledb');
    const settings = new Map<string, PostgresSettingValue>([
      ['listen_addresses', '*'],
      ['port', PORT],
      ['unix_socket_directories', SOCKET_DIR],
      ['max_connections', maxConnections],
      ['password_encryption', 'scram-sha-256'],
      ['shared_preload_libraries', this.sharedPreloadLibraries.join(',')],
      ['shared_buffers', memory('sharedBuffers', s.sharedBuffers, '256MB')],
      ['effective_cache_size', memory('effectiveCacheSize', s.effectiveCacheSize, '768MB')],
      ['work_mem', memory('workMem', s.workMem, '8MB')],
      ['maintenance_work_mem', memory('maintenanceWorkMem', s.maintenanceWorkMem, '128MB')],
      // Huge pages in a pod's cgroup can end in SIGBUS when the node has some; shared memory
      // of this size gains little from them.
      ['huge_pages', 'off'],
      ['dynamic_shared_memory_type', 'posix'],
      ['max_worker_processes', 16],
      ['max_parallel_workers', 2],
      ['max_parallel_workers_per_gather', 1],
      ['max_parallel_maintenance_workers', 1],
      ['wal_compression', true],
      ['min_wal_size', '256MB'],
      ['max_wal_size', '1GB'],
      ['checkpoint_completion_target', 0.9],
      ['random_page_cost', 1.1],
      ['effective_io_concurrency', 200],
      ['log_min_duration_statement', '2s'],
      ['log_line_prefix', '%m [%p] %q%u@%d '],
      ['log_timezone', 'UTC'],
      ['timezone', 'UTC'],
      ['datestyle', 'iso, mdy'],
      ['default_text_search_config', 'pg_catalog.english'],
      ...(timescale ? [
        ['timescaledb.telemetry_level', 'off'],
        // One scheduler per TimescaleDB database plus job workers; within max_worker_processes.
        ['timescaledb.max_background_workers', 8],
      ] as Array<[string, PostgresSettingValue]> : []),
    ]);
    for (const [name, value] of Object.entries(s.extra ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
      if (!isSettingName(name) || !['string', 'number', 'boolean'].includes(typeof value)) {
        throw configError(this, { field: `settings.extra.${name}`, value, problem: 'is not a postgresql.conf setting', fix: 'use a setting name such as "work_mem" with a string, number or boolean value' });
      }
      settings.set(name, value);
    }
    return [...settings.entries()];
  }

  private resolveBackup(b: PostgresBackup): SharedPostgres['backup'] {
    const schedule = b.schedule ?? '17 3 * * *';
    if (typeof schedule !== 'string' || !/^(\S+\s+){4}\S+$/.test(schedule.trim())) {
      throw configError(this, { field: 'backup.schedule', value: b.schedule, problem: 'is not a five-field cron schedule', fix: 'write it like "17 3 * * *" (03:17 UTC daily)' });
    }
    const retentionDays = b.retentionDays ?? 7;
    if (!Number.isInteger(retentionDays) || retentionDays < 1 || retentionDays > 3650) {
      throw configError(this, { field: 'backup.retentionDays', value: b.retentionDays, problem: 'is not a whole number of days from 1 to 3650', fix: 'use e.g. 7 (a week of nightly dumps)' });
    }
    if (b.s3) {
      const s3 = b.s3;
      if (!/^https?:\/\/[^\s/]+(:\d+)?\/?$/.test(s3.endpoint ?? '')) {
        throw configError(this, { field: 'backup.s3.endpoint', value: s3.endpoint, problem: 'is not an http(s) endpoint URL without a path', fix: 'use e.g. "https://s3.eu-central-1.amazonaws.com" or "https://minio.example.com"' });
      }
      if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(s3.bucket ?? '')) {
        throw configError(this, { field: 'backup.s3.bucket', value: s3.bucket, problem: 'is not an S3 bucket name', fix: 'use 3-63 lower-case letters, digits, "." and "-"' });
      }
      if (s3.prefix !== undefined && !/^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/.test(s3.prefix)) {
        throw configError(this, { field: 'backup.s3.prefix', value: s3.prefix, problem: 'is not a key prefix without leading or trailing "/"', fix: 'use e.g. "novahost/postgres"' });
      }
      checkName(this, 'backup.s3.credentialsSecret', s3.credentialsSecret, NameRules.DNS1123_SUBDOMAIN);
      pinnedImage(this, 'backup.s3.image', s3.image ?? 'amazon/aws-cli:2.17.0');
    }
    return { ...b, enabled: b.enabled ?? true, schedule: schedule.trim(), retentionDays };
  }

  private storageOf(field: string, s: PostgresStorage | undefined): Required<Pick<PostgresStorage, 'size'>> & PostgresStorage {
    const size = s?.size ?? '20Gi';
    if (typeof size !== 'string' || !/^[1-9][0-9]*(Mi|Gi|Ti)$/.test(size)) {
      throw configError(this, { field: `${field}.size`, value: s?.size, problem: 'is not a storage size', fix: 'write a whole number with Mi, Gi or Ti, e.g. "20Gi"' });
    }
    if (s?.storageClassName !== undefined) checkName(this, `${field}.storageClassName`, s.storageClassName, NameRules.DNS1123_SUBDOMAIN);
    return { size, storageClassName: s?.storageClassName };
  }

  private labels(component = 'database'): Record<string, string> {
    return standardLabels({ ...this.identity, component });
  }

  /** libpq settings for the superuser, as the Job and CronJob containers get them. */
  private superuserEnv(): k8s.EnvVar[] {
    return [
      { name: 'PGHOST', value: this.endpoint.host },
      { name: 'PGPORT', value: String(PORT) },
      { name: 'PGUSER', value: SUPERUSER },
      { name: 'PGDATABASE', value: 'postgres' },
      { name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: this.superuserPassword.name, key: this.superuserPassword.key } } },
      { name: 'PGCONNECT_TIMEOUT', value: '10' },
    ];
  }

  private podSecurity(): k8s.PodSecurityContext {
    return restrictedPodSecurityContext(this.runAsUser);
  }

  private renderServer(props: SharedPostgresProps, storage: PostgresStorage & { size: string }): void {
    const labels = this.labels();
    const podLabels = this.endpoint.podLabels;
    const conf = postgresqlConf(this.settings, [
      `Generated by novahost-infra for ${pathOf(this)}; edit the SharedPostgres props instead.`,
      'pg_hba.conf stays in the data folder: the image writes "host all all all scram-sha-256".',
    ]);
    const configMap = new k8s.KubeConfigMap(this, 'Config', {
      metadata: { name: `${this.name}-config`, labels },
      data: { 'postgresql.conf': conf },
    });

    const identity = { name: this.name, labels, podLabels, ports: [{ name: PORT_NAME, port: PORT }] };
    renderServerServices(this, identity);

    // The image's entrypoint writes only PGDATA, the socket folder and (in its init scripts,
    // through mktemp) /tmp: with those on volumes the root filesystem can be read-only.
    const run = scratchVolume('run', SOCKET_DIR, '16Mi');
    const tmp = scratchVolume('tmp', '/tmp', '256Mi');
    const isReady = ['pg_isready', '--host=127.0.0.1', `--port=${PORT}`, `--username=${SUPERUSER}`, '--timeout=3'];
    renderStatefulServer(this, {
      ...identity,
      // Most settings need a restart: a changed postgresql.conf rolls the pod.
      podAnnotations: { 'novahost.dev/config-sha256': sha256(conf) },
      data: { size: storage.size, storageClassName: storage.storageClassName },
      pod: {
        automountServiceAccountToken: false,
        // A Service named "postgres" would inject POSTGRES_PORT=tcp://..., which the image reads.
        enableServiceLinks: false,
        terminationGracePeriodSeconds: 60,
        securityContext: this.podSecurity(),
        containers: [{
          name: 'postgres',
          image: this.image,
          args: ['-c', `config_file=${CONFIG_DIR}/postgresql.conf`],
          ports: [{ name: PORT_NAME, containerPort: PORT, protocol: 'TCP' }],
          env: [
            { name: 'PGDATA', value: PGDATA },
            { name: 'POSTGRES_USER', value: SUPERUSER },
            { name: 'POSTGRES_PASSWORD', valueFrom: { secretKeyRef: { name: this.superuserPassword.name, key: this.superuserPassword.key } } },
            { name: 'POSTGRES_INITDB_ARGS', value: '--data-checksums' },
            // postgresql.conf comes from the ConfigMap: timescaledb-tune would only edit the
            // unused copy in PGDATA.
            { name: 'NO_TS_TUNE', value: 'true' },
            { name: 'TIMESCALEDB_TELEMETRY', value: 'off' },
          ],
          resources: resourceRequirements(props.resources, { cpuRequest: '250m', memoryRequest: '512Mi', memoryLimit: '1Gi' }),
          securityContext: restrictedContainerSecurityContext(),
          // initdb on an empty volume and crash recovery may take minutes; liveness waits.
          startupProbe: { exec: { command: isReady }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 60 },
          readinessProbe: { exec: { command: isReady }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
          livenessProbe: { exec: { command: isReady }, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 },
          // SIGTERM is a "smart" shutdown that waits for every client to leave; pooled
          // connections never do, and a SIGKILL after the grace period means crash recovery.
          lifecycle: { preStop: { exec: { command: ['pg_ctl', 'stop', '-D', PGDATA, '-m', 'fast', '-w', '-t', '50'] } } },
          volumeMounts: [
            { name: 'data', mountPath: DATA_MOUNT },
            { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
            run.mount,
            tmp.mount,
          ],
        }, ...this.exporterContainers()],
        volumes: [
          { name: 'config', configMap: { name: configMap.name } },
          run.volume,
          tmp.volume,
        ],
      },
    });
  }

  /** The exporter sidecar: localhost to the server, as the pg_monitor-only role. */
  private exporterContainers(): k8s.Container[] {
    if (!this.exporterPassword) return [];
    return [exporterContainer({
      image: POSTGRES_EXPORTER_IMAGE,
      port: METRICS_PORT,
      env: [
        { name: 'DATA_SOURCE_URI', value: `127.0.0.1:${PORT}/postgres?sslmode=disable` },
        { name: 'DATA_SOURCE_USER', value: MONITOR_ROLE },
        { name: 'DATA_SOURCE_PASS', valueFrom: { secretKeyRef: { name: this.exporterPassword.name, key: this.exporterPassword.key } } },
      ],
    })];
  }

  /** A Service for the exporter's port and the ServiceMonitor that scrapes it. */
  private renderMetrics(): void {
    addMetricsEndpoint(this, {
      name: this.name,
      identity: this.identity,
      pods: { namespace: this.namespace, podLabels: this.endpoint.podLabels, name: this.name },
      port: METRICS_PORT,
    });
  }

  /** The Job and CronJob reach the server; with S3 uploads, the backup pods reach the internet. */
  private allowTraffic(): void {
    const network = NetworkPolicies.of(this);
    const server: PodPeer = { namespace: this.namespace, podLabels: this.endpoint.podLabels, name: this.name };
    const peer = (component: string): PodPeer => ({
      namespace: this.namespace,
      podLabels: selectorLabels({ ...this.identity, component }),
      name: `${this.name}-${component}`,
    });
    network.allow(this, { from: peer('provisioning'), to: server, ports: [{ port: PORT }], reason: `${this.name} provisioning creates roles and databases` });
    if (!this.backup.enabled) return;
    network.allow(this, { from: peer('backup'), to: server, ports: [{ port: PORT }], reason: `${this.name} backup dumps databases` });
    const s3 = this.backup.s3;
    if (s3) {
      const url = new URL(s3.endpoint);
      const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
      network.allow(this, { from: peer('backup'), to: Peers.INTERNET, ports: [{ port }], reason: `${this.name} backup uploads to ${url.host}` });
    }
  }

  private get backupVolumeName(): string {
    return `${this.name}-backups`;
  }

  private renderBackupVolume(): void {
    const storage = this.storageOf('backup.storage', this.backup.storage);
    new k8s.KubePersistentVolumeClaim(this, 'BackupVolume', {
      metadata: { name: this.backupVolumeName, labels: this.labels('backup'), annotations: dataProtection() },
      spec: {
        accessModes: ['ReadWriteOnce'],
        storageClassName: storage.storageClassName,
        resources: { requests: { storage: k8s.Quantity.fromString(storage.size) } },
      },
    });
  }

  private renderProvisioning(): void {
    const handles = this.databaseHandles;
    const grants: DatabaseGrant[] = handles.map((d) => ({
      database: d.database,
      role: d.role,
      passwordEnv: passwordEnvOf(d),
      extensions: d.extensions,
    }));
    const monitor = this.exporterPassword ? { role: MONITOR_ROLE, passwordEnv: MONITOR_PASSWORD_ENV } : undefined;
    const labels = this.labels('provisioning');
    const configMap = new k8s.KubeConfigMap(this, 'ProvisioningSql', {
      metadata: { name: `${this.name}-provisioning`, labels },
      data: { 'provision.sql': provisioningSql(grants, monitor) },
    });
    const script = provisioningScript(grants, {
      sqlFile: `${SQL_DIR}/provision.sql`,
      monitor,
      describeSecret: (g) => {
        const ref = handles.find((d) => d.database === g.database)!.serverSidePassword;
        return `key ${ref.key} of Secret ${ref.name} in namespace ${ref.namespace}`;
      },
    });
    const tmp = scratchVolume('tmp', '/tmp', '16Mi');
    new k8s.KubeJob(this, 'Provisioning', {
      metadata: {
        name: `${this.name}-provision`,
        labels,
        // After every sync, once the StatefulSet is healthy; the previous run's Job is replaced.
        // A fixed name (no hash of the SQL) because the Job must also run when only a password
        // Secret changed: the SQL is idempotent, so running it on every sync is the simple rule.
        annotations: immutableJobAnnotations(this, { [ARGO_HOOK]: 'PostSync', [ARGO_HOOK_DELETE_POLICY]: 'BeforeHookCreation' }),
      },
      spec: {
        backoffLimit: 3,
        activeDeadlineSeconds: 900,
        ttlSecondsAfterFinished: 86400,
        template: {
          metadata: { labels },
          spec: {
            restartPolicy: 'Never',
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: this.podSecurity(),
            containers: [{
              name: 'provision',
              image: this.image,
              command: ['sh', '-c', script],
              env: [
                ...this.superuserEnv(),
                ...handles.map((d) => ({
                  name: passwordEnvOf(d),
                  valueFrom: { secretKeyRef: { name: d.serverSidePassword.name, key: d.serverSidePassword.key } },
                })),
                ...(this.exporterPassword
                  ? [{ name: MONITOR_PASSWORD_ENV, valueFrom: { secretKeyRef: { name: this.exporterPassword.name, key: this.exporterPassword.key } } }]
                  : []),
              ],
              resources: resourceRequirements({}, { cpuRequest: '50m', memoryRequest: '64Mi', memoryLimit: '128Mi' }),
              securityContext: restrictedContainerSecurityContext(),
              volumeMounts: [{ name: 'sql', mountPath: SQL_DIR, readOnly: true }, tmp.mount],
            }],
            volumes: [{ name: 'sql', configMap: { name: configMap.name } }, tmp.volume],
          },
        },
      },
    });
  }

  private renderBackupJob(): void {
    const labels = this.labels('backup');
    const s3 = this.backup.s3;
    const tmp = scratchVolume('tmp', '/tmp', '64Mi');
    const backups: k8s.VolumeMount = { name: 'backups', mountPath: BACKUP_DIR };
    const dump: k8s.Container = {
      name: 'dump',
      image: this.image,
      command: ['sh', '-c', backupScript({
        databases: this.databaseHandles.map((d) => d.database),
        directory: BACKUP_DIR,
        retentionDays: this.backup.retentionDays,
      })],
      env: this.superuserEnv(),
      resources: resourceRequirements(this.backup.resources, { cpuRequest: '50m', memoryRequest: '64Mi', memoryLimit: '256Mi' }),
      securityContext: restrictedContainerSecurityContext(),
      volumeMounts: [backups, tmp.mount],
    };
    const upload: k8s.Container | undefined = s3 && {
      name: 'upload',
      image: s3.image ?? 'amazon/aws-cli:2.17.0',
      command: ['sh', '-c', s3UploadScript({
        directory: BACKUP_DIR,
        endpoint: s3.endpoint,
        bucket: s3.bucket,
        prefix: s3.prefix ?? `${this.namespace}/${this.name}`,
      })],
      env: [
        { name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: s3.credentialsSecret, key: s3.accessKeyIdKey ?? 'access-key-id' } } },
        { name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: s3.credentialsSecret, key: s3.secretAccessKeyKey ?? 'secret-access-key' } } },
        { name: 'AWS_DEFAULT_REGION', value: s3.region ?? 'us-east-1' },
        // The CLI writes its cache under HOME; the root filesystem is read-only.
        { name: 'HOME', value: '/tmp' },
      ],
      resources: resourceRequirements({}, { cpuRequest: '50m', memoryRequest: '128Mi', memoryLimit: '256Mi' }),
      securityContext: restrictedContainerSecurityContext(),
      volumeMounts: [{ ...backups, readOnly: true }, tmp.mount],
    };
    new k8s.KubeCronJob(this, 'Backup', {
      metadata: { name: `${this.name}-backup`, labels },
      spec: {
        schedule: this.backup.schedule,
        timeZone: 'Etc/UTC',
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 3600,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          metadata: { labels },
          spec: {
            backoffLimit: 1,
            activeDeadlineSeconds: 3 * 3600,
            template: {
              metadata: { labels },
              spec: {
                restartPolicy: 'Never',
                automountServiceAccountToken: false,
                enableServiceLinks: false,
                securityContext: this.podSecurity(),
                // With an upload, the dump runs first as an init container; the upload sees
                // only finished dumps.
                initContainers: upload ? [dump] : undefined,
                containers: [upload ?? dump],
                volumes: [
                  { name: 'backups', persistentVolumeClaim: { claimName: this.backupVolumeName } },
                  tmp.volume,
                ],
              },
            },
          },
        },
      },
    });
  }
}

/** The provisioning Job's environment variable for one role's password. */
function passwordEnvOf(d: PostgresDatabase): string {
  return `PASSWORD_${d.role.toUpperCase()}`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A valid identifier close to a bad one, for error messages. */
function suggestIdentifier(name: string): string {
  const cleaned = String(name).toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^(pg_|[0-9]+)/, 'app_').slice(0, 63);
  return /^[a-z_]/.test(cleaned) && !['postgres', 'template0', 'template1', 'public'].includes(cleaned) ? cleaned : `app_${cleaned}`.slice(0, 63);
}
