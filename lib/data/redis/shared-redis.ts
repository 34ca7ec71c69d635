// SharedRedis: one Redis for every app, with a stable logical database and an ACL user per app;
// passwords reach the server only as hashes assembled at pod start.
import { createHash } from 'crypto';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { configError, pathOf, PlatformError } from '../../core/errors';
import { SyncWave } from '../../core/annotations';
import {
  CacheHandle, CacheOptions, CacheProvider, SecretKeyReference, ServerEndpoint, ServiceConsumer,
} from '../../core/handles';
import { PinnedImage, pinnedImage } from '../../core/image';
import { checkName, ComponentIdentity, NameRules, selectorLabels, standardLabels } from '../../core/names';
import { addMetricsEndpoint } from '../../services/monitoring/scrape';
import { NamespacedConstruct } from '../../core/platform';
import { DeriveStages } from '../../core/registry';
import { renderServerServices, renderStatefulServer, StatefulServerIdentity } from '../stateful-server';
import {
  appAclUser, ASSEMBLE_ACL_SCRIPT, assembleAclCommand, renderAclTemplate, RESERVED_USERS, systemAclUsers, SystemUsers,
} from './acl';
import {
  ACL_TEMPLATE_FILE, ASSEMBLE_SCRIPT_FILE, CONFIG_FILE, EvictionPolicies, EvictionPolicy,
  parseMaxmemory, Persistence, PersistenceMode, REDIS_PORT, RedisPaths, renderRedisConf,
} from './config';
import {
  resourceRequirements, ResourceSpec, restrictedContainerSecurityContext, restrictedPodSecurityContext, scratchVolume,
} from '../../core/security';
import { declareSecrets } from '../../core/secrets';
import { BackupDeclarer, BackupPlan, declareBackups } from '../../core/backups';
import { snapshotVolumes } from '../volume-snapshots';
import { memoryBytes } from '../../core/quantity';
import { checkVolumeSize, dataStorageClass } from '../../core/volumes';
import { GENERATED_PASSWORD, PASSWORD_KEY, RedisCache } from './cache';
import { MAXMEMORY_SHARE_OF_LIMIT, SharedRedisProps } from './props';
import { SHARED_REDIS_PROPS } from './props-schema';
import { checkProps } from '../../core/prop-schema';
import { reportProblem } from '../../core/problems';
import { imageRef, PINS } from '../../core/pins';
import {
  allowBackupTraffic, backupSecretName, backupSecretReferences, RedisBackupParts, REDIS_GID, REDIS_UID, redisBackupPlan, renderBackups,
  resolveRedisBackup, ResolvedRedisBackup,
} from './backup-jobs';
import { RedisRestoreOptions, redisRestoreSteps } from './restore-steps';
import { healthProbe, METRICS_PORT, redisExporterContainer } from './sidecars';

export type { RedisS3Upload, SharedRedisBackup, SharedRedisProps } from './props';
export type { RedisRestoreOptions } from './restore-steps';


export { EvictionPolicies, Persistence } from './config';
export { HEALTH_CHECK_SCRIPT, REDIS_EXPORTER_IMAGE } from './sidecars';
export type { EvictionPolicy, PersistenceMode } from './config';

/** The server image, pinned. */
export const DEFAULT_REDIS_IMAGE = imageRef(PINS.images.redis);
const PORT_NAME = 'redis';
const DEFAULT_RESOURCES: ResourceSpec = { cpuRequest: '50m', memoryRequest: '128Mi', memoryLimit: '512Mi' };

/**
 * A single Redis shared by the platform's apps. Each app gets its own ACL user, password and
 * logical database (declared explicitly and checked: an index never moves), and by default its
 * own key prefix that the ACL enforces.
 *
 * Renders a StatefulSet with a retained volume, a headless and a client Service, and a ConfigMap
 * with redis.conf and a password-free ACL template that an init container completes from Secrets;
 * by default also an hourly snapshot CronJob with a retained backups volume (and, with
 * `backup.s3`, an encrypted off-site upload), restored with {@link SharedRedis.restoreSteps}.
 *
 * @example
 * const redis = new SharedRedis(platform, 'redis', {});
 * new NovahostApp(platform, 'novahost', { cache: { server: redis, index: 0 }, services: { api: { ..., cache: true } } });
 */
export class SharedRedis extends NamespacedConstruct implements CacheProvider, BackupDeclarer, RedisBackupParts {
  /** StatefulSet and client Service name. */
  public readonly name: string;
  public readonly image: PinnedImage;
  public readonly persistence: PersistenceMode;
  public readonly maxmemory: string;
  public readonly evictionPolicy: EvictionPolicy;
  public readonly databases: number;
  public readonly storageSize: string;
  public readonly storageClass?: string;
  public readonly resources: ResourceSpec;
  public readonly keyPrefix: boolean;
  /** Whether the exporter sidecar runs. */
  public readonly metrics: boolean;
  /** Where apps connect. */
  public readonly server: ServerEndpoint;
  /** The headless Service that gives the StatefulSet's pod its DNS name. */
  public readonly headlessServiceName: string;
  public readonly configMapName: string;
  /** Resolved backup settings; undefined when backups are off. */
  public readonly backup?: ResolvedRedisBackup;

  private readonly identity: ComponentIdentity;
  private readonly caches = new Map<string, RedisCache>();
  private readonly indexes = new Map<number, RedisCache>();
  private rendered = false;

  constructor(scope: Construct, id: string, props: SharedRedisProps = {}) {
    super(scope, id, props?.namespace ?? 'shared', { wave: SyncWave.SHARED_SERVICES, holdsData: true });
    // Synthesis does not type-check: each bad prop is reported, and its default used instead.
    props = checkProps<SharedRedisProps>(this, props, SHARED_REDIS_PROPS);
    declareSecrets(this);
    declareBackups(this);
    this.name = checkName(this, 'id', id, NameRules.STATEFULSET);
    snapshotVolumes(this, { name: this.name, claims: [`data-${this.name}-0`] });
    checkName(this, 'id', id, NameRules.DNS1035_LABEL);
    this.headlessServiceName = checkName(this, 'id', `${id}-headless`, NameRules.DNS1035_LABEL);
    this.configMapName = `${id}-config`;
    this.image = pinnedImage(this, 'image', props.image ?? DEFAULT_REDIS_IMAGE);
    this.persistence = props.persistence ?? Persistence.AOF;
    // Types, enum-likes and ranges were checked by SHARED_REDIS_PROPS (./props-schema.ts).
    this.evictionPolicy = props.evictionPolicy ?? EvictionPolicies.NO_EVICTION;
    this.databases = props.databases ?? 16;
    this.storageSize = props.storageSize ?? '2Gi';
    checkVolumeSize(this, 'storageSize', this.storageSize);
    this.storageClass = dataStorageClass(this, 'storageClass', props.storageClass);
    this.resources = { ...DEFAULT_RESOURCES, ...props.resources };
    this.maxmemory = props.maxmemory ?? '256mb';
    const maxmemoryBytes = parseMaxmemory(this, 'maxmemory', this.maxmemory);
    const limitBytes = memoryBytes(this, 'resources.memoryLimit', this.resources.memoryLimit!);
    if (maxmemoryBytes > limitBytes * MAXMEMORY_SHARE_OF_LIMIT) {
      reportProblem(this, {
        field: 'maxmemory',
        value: this.maxmemory,
        problem: `is more than ${MAXMEMORY_SHARE_OF_LIMIT * 100}% of the memory limit ${this.resources.memoryLimit}, so the kernel would kill Redis (forks for AOF rewrites and snapshots need headroom) before Redis refuses a write`,
        fix: `lower maxmemory to at most ${Math.floor((limitBytes * MAXMEMORY_SHARE_OF_LIMIT) / 1024 ** 2)}mb, or raise resources.memoryLimit`,
      });
    }
    this.keyPrefix = props.keyPrefix ?? true;
    this.metrics = props.metrics ?? false;
    this.backup = resolveRedisBackup(this, props.backup, this.storageClass);

    this.identity = { name: 'redis', instance: id, component: 'cache' };
    this.server = {
      namespace: this.namespace,
      host: `${this.name}.${this.namespace}.svc.cluster.local`,
      port: REDIS_PORT,
      podLabels: selectorLabels(this.identity),
    };
    this.renderServices();
    if (this.metrics) this.renderMetrics();
    renderBackups(this);
    allowBackupTraffic(this);
    // The ConfigMap and StatefulSet list every app's user; they are rendered once all apps exist.
    this.platform.registry.derive(DeriveStages.SERVERS, this, () => this.renderServer());
  }

  /**
   * Gives an app its ACL user (named after the app), its logical database and, in key-prefix mode,
   * its key prefix. `options.index` is required: it is the app's database for ever, so it is
   * declared in main.ts rather than derived from declaration order.
   */
  public addCache(consumer: ServiceConsumer, options: CacheOptions = {}): CacheHandle {
    const field = 'cache.index';
    if (this.rendered) {
      throw new PlatformError(`${pathOf(consumer)}: asked ${pathOf(this)} for a cache after synthesis started; create apps before platform.synth()`);
    }
    const user = checkName(consumer, 'appName', consumer.appName, NameRules.DNS1123_LABEL);
    if (RESERVED_USERS.has(user)) {
      throw configError(consumer, {
        field: 'appName',
        value: user,
        problem: `is a Redis user that ${pathOf(this)} keeps for itself (${[...RESERVED_USERS].join(', ')})`,
        fix: 'give the app another name',
      });
    }
    const existing = this.caches.get(user);
    if (existing) {
      throw configError(consumer, {
        field: 'appName',
        value: user,
        problem: `already has a Redis user on ${pathOf(this)}, created for ${pathOf(existing.consumer)}`,
        fix: 'ask for one cache per app; apps sharing a name need distinct names',
      });
    }
    const index = options.index;
    if (index === undefined) {
      throw configError(consumer, {
        field,
        value: index,
        problem: `is required: it is the app's logical database on ${pathOf(this)} and must never change`,
        fix: `declare it, e.g. cache: { server: redis, index: ${this.nextFreeIndex()} } (the lowest free index)`,
      });
    }
    if (!Number.isInteger(index) || index < 0 || index >= this.databases) {
      throw configError(consumer, {
        field,
        value: index,
        problem: `is not a logical database of ${pathOf(this)}, which has databases 0 to ${this.databases - 1}`,
        fix: `use a free index in that range (the lowest free one is ${this.nextFreeIndex()}), or raise the server's databases prop`,
      });
    }
    const clash = this.indexes.get(index);
    if (clash) {
      throw configError(consumer, {
        field,
        value: index,
        problem: `is already the logical database of ${pathOf(clash.consumer)} on ${pathOf(this)}`,
        fix: `give ${pathOf(consumer)} a free index (the lowest free one is ${this.nextFreeIndex()}); never renumber ${pathOf(clash.consumer)}, its data lives in database ${index}`,
      });
    }
    const prefixed = options.keyPrefix ?? this.keyPrefix;
    const cache = new RedisCache(this, consumer, user, index, prefixed ? `${user}:` : undefined);
    this.caches.set(user, cache);
    this.indexes.set(index, cache);
    return cache;
  }

  /** The apps' caches, sorted by user name. */
  public get cacheHandles(): readonly CacheHandle[] {
    return this.sortedCaches();
  }

  /** What the README's data-safety block says of this server (`npm run backups`). */
  public get backupPlan(): BackupPlan {
    return redisBackupPlan(this, this.platform.cluster.kind === 'doks');
  }

  /**
   * The restore procedure as shell: hold the server, turn a snapshot (the newest, or `snapshot`;
   * from the backups volume, or from the bucket with `offsite`) into its data volume, start it.
   */
  public restoreSteps(options: RedisRestoreOptions = {}): string {
    return redisRestoreSteps(this, options);
  }

  /**
   * Every Secret key the server and its apps need, for the bootstrap instructions. An app's two
   * password Secrets (its namespace and the server's) hold the same value.
   */
  public get secretReferences(): SecretKeyReference[] {
    const rule = 'random, URL-safe and at least 16 characters, e.g. `openssl rand -hex 24`';
    const refs: SecretKeyReference[] = [
      { namespace: this.namespace, name: this.systemSecretName(SystemUsers.ADMIN), key: PASSWORD_KEY, description: `password of the Redis user "admin" (operators); ${rule}`, value: GENERATED_PASSWORD },
      { namespace: this.namespace, name: this.systemSecretName(SystemUsers.HEALTHCHECK), key: PASSWORD_KEY, description: `password of the Redis user "healthcheck" (probes, PING only); ${rule}`, value: GENERATED_PASSWORD },
      ...(this.metrics
        ? [{ namespace: this.namespace, name: this.systemSecretName(SystemUsers.METRICS), key: PASSWORD_KEY, description: `password of the Redis user "metrics" (the exporter: INFO and diagnostics only); ${rule}`, value: GENERATED_PASSWORD }]
        : []),
    ];
    refs.push(...backupSecretReferences(this));
    for (const c of this.sortedCaches()) refs.push(c.serverPassword, c.password);
    return refs;
  }

  /** The Secret (server namespace) with the password of one Redis user. */
  public userSecretName(user: string): string {
    return checkName(this, 'user secret', `${this.name}-user-${user}`, NameRules.DNS1123_SUBDOMAIN);
  }

  private systemSecretName(user: string): string {
    return user === SystemUsers.BACKUP ? backupSecretName(this) : `${this.name}-${user}`;
  }

  /** @internal Labels of the server's objects of one component. */
  public labels(component: string): Record<string, string> {
    return standardLabels({ ...this.identity, component });
  }

  /** @internal Selector labels of one component's pods. */
  public podLabels(component: string): Record<string, string> {
    return selectorLabels({ ...this.identity, component });
  }

  private sortedCaches(): RedisCache[] {
    return [...this.caches.values()].sort((a, b) => a.user.localeCompare(b.user));
  }

  private nextFreeIndex(): number | string {
    for (let i = 0; i < this.databases; i++) if (!this.indexes.has(i)) return i;
    return '(none: raise the server\'s databases prop)';
  }

  /** A Service for the exporter's port and the ServiceMonitor that scrapes it. */
  private renderMetrics(): void {
    addMetricsEndpoint(this, {
      name: this.name,
      identity: this.identity,
      pods: { namespace: this.namespace, podLabels: this.server.podLabels, name: this.name },
      port: METRICS_PORT,
    });
  }

  private renderServices(): void {
    renderServerServices(this, this.serverIdentity());
  }

  private serverIdentity(): StatefulServerIdentity {
    return { name: this.name, labels: standardLabels(this.identity), podLabels: this.server.podLabels, ports: [{ name: PORT_NAME, port: REDIS_PORT }] };
  }

  /** redis.conf, the ACL template and the assembly script, as the ConfigMap holds them. */
  public configFiles(): Record<string, string> {
    const users = [...systemAclUsers({ metrics: this.metrics, backup: this.backup !== undefined }), ...this.sortedCaches().map((c) => appAclUser(c.user, c.keyPrefix, c.index))];
    return {
      [CONFIG_FILE]: renderRedisConf({
        databases: this.databases,
        maxmemory: this.maxmemory,
        evictionPolicy: this.evictionPolicy,
        persistence: this.persistence,
      }),
      [ACL_TEMPLATE_FILE]: renderAclTemplate(users),
      [ASSEMBLE_SCRIPT_FILE]: ASSEMBLE_ACL_SCRIPT,
    };
  }

  private renderServer(): void {
    this.rendered = true;
    const labels = standardLabels(this.identity);
    const files = this.configFiles();
    new k8s.KubeConfigMap(this, 'Config', { metadata: { name: this.configMapName, labels }, data: files });
    // A changed config (a new app's user) restarts the pod, which reassembles the ACL file.
    const checksum = createHash('sha256').update(JSON.stringify(files)).digest('hex');

    const systemUsers: string[] = [
      SystemUsers.ADMIN, SystemUsers.HEALTHCHECK, ...(this.metrics ? [SystemUsers.METRICS] : []), ...(this.backup ? [SystemUsers.BACKUP] : []),
    ];
    const users = [...systemUsers, ...this.sortedCaches().map((c) => c.user)];
    const tmp = scratchVolume('tmp', '/tmp');
    const configMount = { name: 'config', mountPath: RedisPaths.CONFIG, readOnly: true };
    const aclMount = { name: 'acl', mountPath: RedisPaths.ACL_DIR };
    const containerSecurity = restrictedContainerSecurityContext();

    renderStatefulServer(this, {
      ...this.serverIdentity(),
      podAnnotations: { 'checksum/config': checksum },
      data: { size: this.storageSize, storageClassName: this.storageClass },
      pod: {
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        // A snapshot on shutdown (RDB) may take a while; SIGKILL before it ends loses it.
        terminationGracePeriodSeconds: 60,
        securityContext: restrictedPodSecurityContext(REDIS_UID, REDIS_GID),
        initContainers: [{
          name: 'assemble-acl',
          image: this.image.ref,
          command: assembleAclCommand(),
          resources: resourceRequirements({ cpuRequest: '10m', memoryRequest: '16Mi', memoryLimit: '32Mi' }),
          securityContext: containerSecurity,
          volumeMounts: [
            configMount,
            aclMount,
            { name: 'passwords', mountPath: RedisPaths.PASSWORDS, readOnly: true },
          ],
        }],
        containers: [{
          name: 'redis',
          image: this.image.ref,
          command: ['redis-server', `${RedisPaths.CONFIG}/${CONFIG_FILE}`],
          // redis.conf has no `dir`: the working directory is the data directory.
          workingDir: RedisPaths.DATA,
          ports: [{ name: PORT_NAME, containerPort: REDIS_PORT, protocol: 'TCP' }],
          // redis-cli reads its password from REDISCLI_AUTH (valkey-cli 8.0 too: CLI_AUTH_ENV in
          // src/valkey-cli.c), so the probes authenticate without putting the password on a
          // command line. Scripts for later valkey-cli releases use VALKEYCLI_AUTH: both are set.
          env: ['REDISCLI_AUTH', 'VALKEYCLI_AUTH'].map((name) => ({
            name,
            valueFrom: { secretKeyRef: { name: this.systemSecretName(SystemUsers.HEALTHCHECK), key: PASSWORD_KEY } },
          })),
          resources: resourceRequirements(this.resources),
          startupProbe: healthProbe({ periodSeconds: 5, failureThreshold: 60 }),
          readinessProbe: healthProbe({ periodSeconds: 10, failureThreshold: 3 }),
          livenessProbe: healthProbe({ periodSeconds: 20, failureThreshold: 3 }),
          securityContext: containerSecurity,
          volumeMounts: [
            { name: 'data', mountPath: RedisPaths.DATA },
            configMount,
            { ...aclMount, readOnly: true },
            tmp.mount,
          ],
        }, ...(this.metrics ? [redisExporterContainer(this.systemSecretName(SystemUsers.METRICS))] : [])],
        volumes: [
          { name: 'config', configMap: { name: this.configMapName, defaultMode: 0o444 } },
          // Memory-backed: the assembled file holds password hashes, never on a node's disk.
          { name: 'acl', emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString('1Mi') } },
          {
            name: 'passwords',
            projected: {
              // Owned by root, readable by the pod's group (fsGroup 1000) only.
              defaultMode: 0o440,
              sources: users.map((user) => ({
                secret: {
                  name: systemUsers.includes(user) ? this.systemSecretName(user) : this.userSecretName(user),
                  items: [{ key: PASSWORD_KEY, path: user }],
                },
              })),
            },
          },
          tmp.volume,
        ],
      },
    });
  }
}
