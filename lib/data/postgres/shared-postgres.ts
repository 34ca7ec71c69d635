// SharedPostgres: one PostgreSQL (TimescaleDB) for every app, handing out a database and role
// per app; the server, its Jobs and its settings live in the files beside this one.
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { SyncWave } from '../../core/annotations';
import { configError, pathOf } from '../../core/errors';
import { DatabaseOptions, DatabaseProvider, SecretKeyReference, ServerEndpoint, ServiceConsumer } from '../../core/handles';
import { pinnedImage } from '../../core/image';
import { checkName, ComponentIdentity, NameRules, selectorLabels, standardLabels } from '../../core/names';
import { NamespacedConstruct } from '../../core/platform';
import { DeriveStages } from '../../core/registry';
import { declareSecrets } from '../../core/secrets';
import { BackupDeclarer, BackupPlan, declareBackups } from '../../core/backups';
import { snapshotVolumes } from '../volume-snapshots';
import { postgresBackupPlan } from './backup-plan';
import { restrictedPodSecurityContext } from '../../core/security';
import { restoreScript } from './backup';
import { pointInTimeSteps, serverRestoreSteps } from './restore-steps';
import { PostgresSettingValue } from './config';
import { PostgresDatabase } from './database';
import { PostgresServerParts } from './parts';
import { renderBackupJob, renderBackupVolume, renderProvisioning } from './jobs';
import { encryptionSecretOf, renderBaseBackupJob, renderDrillJob, renderOffsiteJob } from './backup-jobs';
import { identifierFor, identifierProblem } from './provisioning';
import {
  ALPINE_POSTGRES_UID, DEFAULT_POSTGRES_IMAGE, MONITOR_ROLE, PORT, POSTGRES_EXTENSIONS, REPLICATION_ROLE, SharedPostgresProps, SUPERUSER,
} from './props';
import { allowTraffic, renderMetrics, renderServer } from './server';
import { archiveSettings, resolveBackup, ResolvedBackup, resolveSettings, storageOf } from './settings';
import { SHARED_POSTGRES_PROPS } from './props-schema';
import { checkProps } from '../../core/prop-schema';

export * from './props';
export { PostgresDatabase } from './database';

/**
 * One PostgreSQL (TimescaleDB) server that hands out a database per app: a StatefulSet with a
 * retained volume, a client and a headless Service, a provisioning Job that creates each app's
 * role and database after every sync, nightly `pg_dump` backups, continuous WAL archiving with base
 * backups for point-in-time recovery, a nightly restore drill, and encrypted off-site copies.
 *
 * The server never drops a database: removing an app from `main.ts` leaves its data in place.
 */
export class SharedPostgres extends NamespacedConstruct implements DatabaseProvider, PostgresServerParts, BackupDeclarer {
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
  /** The base backups' replication role's password, when continuous archiving is on. */
  public readonly replicationPassword?: SecretKeyReference;
  /** Resolved postgresql.conf settings, in file order. */
  public readonly settings: ReadonlyArray<readonly [string, PostgresSettingValue]>;

  /** @internal Labels' identity, for the server's files. */
  public readonly identity: ComponentIdentity;
  /** @internal Resolved backup settings. */
  public readonly backup: ResolvedBackup;
  private readonly databases = new Map<string, PostgresDatabase>();
  private readonly byConsumer = new Map<string, PostgresDatabase>();

  constructor(scope: Construct, id: string, props: SharedPostgresProps = {}) {
    super(scope, id, props?.namespace ?? 'shared', { wave: SyncWave.SHARED_SERVICES, holdsData: true });
    // Synthesis does not type-check: each bad prop is reported, and its default used instead.
    props = checkProps<SharedPostgresProps>(this, props, SHARED_POSTGRES_PROPS);
    declareSecrets(this);
    declareBackups(this);
    this.name = checkName(this, 'id', id, NameRules.STATEFULSET);
    snapshotVolumes(this, { name: this.name, claims: [`data-${this.name}-0`] });
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
    this.backup = resolveBackup(this, props.backup ?? {});
    const pitr = this.backup.enabled ? this.backup.pitr : undefined;
    this.settings = resolveSettings(this, props.settings ?? {}, this.sharedPreloadLibraries, archiveSettings(pitr));
    if (pitr) {
      this.replicationPassword = {
        namespace: this.namespace,
        name: `${this.name}-replication`,
        key: 'password',
        description: `password of the role "${REPLICATION_ROLE}" (REPLICATION only) that takes base backups`,
        value: { kind: 'generated', length: 32 },
      };
    }
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

    const storage = storageOf(this, 'storage', props.storage);
    renderServer(this, props, storage);
    allowTraffic(this);
    if (this.metrics) renderMetrics(this);
    if (this.backup.enabled) renderBackupVolume(this);
    // Provisioning and backups list every database; apps ask for theirs after this constructor.
    this.platform.registry.derive(DeriveStages.SERVERS, this, () => {
      if (this.databases.size || this.metrics || this.replicationPassword) renderProvisioning(this);
      if (this.backup.enabled) {
        renderBackupJob(this);
        renderBaseBackupJob(this);
        renderOffsiteJob(this);
        renderDrillJob(this);
      }
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
  /** What the README's data-safety block says of this server (`npm run backups`). */
  public get backupPlan(): BackupPlan {
    return postgresBackupPlan(this, this.platform.cluster.kind === 'doks');
  }

  public get databaseHandles(): PostgresDatabase[] {
    return [...this.databases.values()].sort((a, b) => a.database.localeCompare(b.database));
  }

  /**
   * Every Secret key this server and its apps need, for the bootstrap instructions: the
   * superuser's, the exporter's and replication role's, each app's password in both namespaces,
   * and the S3 keys and encryption passphrase if uploads are on.
   */
  public get secretReferences(): SecretKeyReference[] {
    const refs: SecretKeyReference[] = [this.superuserPassword, ...[this.exporterPassword, this.replicationPassword].filter((r) => r !== undefined)];
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
        {
          namespace: this.namespace, ...encryptionSecretOf(this),
          description: 'passphrase the off-site backup copies are encrypted with (gpg); keep a copy outside the cluster, the remote backups cannot be read without it',
          value: { kind: 'provided', env: 'POSTGRES_BACKUP_ENCRYPTION_PASSPHRASE' },
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

  /**
   * The steps (shell, with this installation's names) that bring one database back as it was at
   * `to`, from base backups and archived WAL, leaving the other databases as they are.
   */
  public pointInTimeRestore(database: string, to: Date): string {
    if (!this.backup.enabled || !this.backup.pitr) {
      throw configError(this, { field: 'backup.pitr', value: false, problem: 'is off, so there is no WAL archive to restore from', fix: 'restore the nightly dump instead (npm run postgres-restore -- <database>)' });
    }
    return pointInTimeSteps(this, database, to);
  }

  /** The steps that restore the whole server (off-site copy when uploads are on), to the end of the archive or to `to`. */
  public serverRestore(to?: Date): string {
    if (!this.backup.enabled || !this.backup.pitr) {
      throw configError(this, { field: 'backup.pitr', value: false, problem: 'is off, so there is no base backup to restore from', fix: 'restore the nightly dumps into a new server instead' });
    }
    return serverRestoreSteps(this, to);
  }




  /** @internal Labels of the server's objects of one component. */
  public labels(component = 'database'): Record<string, string> {
    return standardLabels({ ...this.identity, component });
  }

  /** @internal libpq settings for the superuser, as the Job and CronJob containers get them. */
  public superuserEnv(): k8s.EnvVar[] {
    return [
      { name: 'PGHOST', value: this.endpoint.host },
      { name: 'PGPORT', value: String(PORT) },
      { name: 'PGUSER', value: SUPERUSER },
      { name: 'PGDATABASE', value: 'postgres' },
      { name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: this.superuserPassword.name, key: this.superuserPassword.key } } },
      { name: 'PGCONNECT_TIMEOUT', value: '10' },
    ];
  }

  /** @internal The restricted pod security context as the image's postgres user. */
  public podSecurity(): k8s.PodSecurityContext {
    return restrictedPodSecurityContext(this.runAsUser);
  }








}

/** A valid identifier close to a bad one, for error messages. */
function suggestIdentifier(name: string): string {
  const cleaned = String(name).toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^(pg_|[0-9]+)/, 'app_').slice(0, 63);
  return /^[a-z_]/.test(cleaned) && !['postgres', 'template0', 'template1', 'public'].includes(cleaned) ? cleaned : `app_${cleaned}`.slice(0, 63);
}
