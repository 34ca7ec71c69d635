// Authelia as the platform's single sign-on: forward auth for routes with `sso: true`, storing into
// the shared PostgreSQL and Redis through the same handles apps get.
import { Construct } from 'constructs';
import { SyncWave } from '../core/annotations';
import { CacheHandle, CacheProvider, DatabaseHandle, DatabaseProvider, SecretKeyReference, ServiceConsumer } from '../core/handles';
import { chartResources, ChartResources } from '../core/helm-values';
import { ForwardAuthProvider, HOST_ROUTES, IngressRoute, registerForwardAuth, RouteBackend } from '../routing/ingress-route';
import { checkName, NameRules } from '../core/names';
import { NetworkPolicies, Peers, PodPeer } from '../network/network-policies';
import { NamespacedConstruct } from '../core/platform';
import { DeriveStages } from '../core/registry';
import { declareSecrets } from '../core/secrets';
import { helmChart, PINS } from '../core/pins';
import { checkProps, Rules, ShapeOf } from '../core/prop-schema';
import { cannotContinue } from '../core/problems';

/** The Authelia chart (pre-1.0: pinned exactly). */
export const AUTHELIA_CHART = helmChart(PINS.charts.authelia);

const PORT = 9091;
/** Where the chart mounts `secret.existingSecret` and `secret.additionalSecrets`. */
const SECRETS_DIR = '/secrets';

/** Access policies of Authelia, weakest last. */
export const AutheliaPolicies = {
  TWO_FACTOR: 'two_factor',
  ONE_FACTOR: 'one_factor',
} as const;
export type AutheliaPolicy = (typeof AutheliaPolicies)[keyof typeof AutheliaPolicies];

/** A secret value the chart reads from a file: `{mountPath}/{secret_name}/{path}`, or the main Secret without a name. */
interface ChartSecretFile {
  readonly secret_name?: string;
  readonly path: string;
}

/** Values of the pinned authelia chart (AUTHELIA_CHART) that the platform sets. */
export interface AutheliaValues {
  /** Pins Authelia itself over the chart's appVersion. */
  readonly image: { readonly tag: string };
  readonly pod: {
    readonly kind: 'Deployment';
    readonly replicas: number;
    readonly resources: ChartResources;
    readonly securityContext: { readonly pod: Record<string, unknown>; readonly container: Record<string, unknown> };
  };
  readonly service: { readonly port: number };
  readonly secret: { readonly existingSecret: string; readonly additionalSecrets: Record<string, Record<string, never>> };
  readonly configMap: {
    readonly identity_validation: { readonly reset_password: { readonly secret: ChartSecretFile } };
    readonly authentication_backend: {
      readonly password_reset: { readonly disable: boolean };
      readonly file: { readonly enabled: boolean; readonly path: string; readonly watch: boolean };
    };
    readonly session: {
      readonly encryption_key: ChartSecretFile;
      readonly cookies: Array<{ readonly domain: string; readonly subdomain: string }>;
      readonly redis: {
        readonly enabled: boolean;
        readonly host: string;
        readonly port: number;
        readonly username: string;
        readonly database_index: number;
        readonly password: ChartSecretFile;
      };
    };
    readonly storage: {
      readonly encryption_key: ChartSecretFile;
      readonly postgres: {
        readonly enabled: boolean;
        readonly address: string;
        readonly database: string;
        readonly username: string;
        readonly password: ChartSecretFile;
      };
    };
    readonly notifier: { readonly filesystem: { readonly enabled: boolean; readonly filename: string } };
    readonly access_control: {
      readonly default_policy: 'deny';
      /** Filled at synth: one rule per host with sso routes. */
      readonly rules: Array<{ readonly domain: string[]; readonly policy: AutheliaPolicy }>;
    };
  };
}

export interface AutheliaProps {
  /** @default 'auth' */
  readonly namespace?: string;
  /** Authelia's portal is served at `<subdomain>.<platform domain>`. @default 'auth' */
  readonly subdomain?: string;
  /** Where Authelia keeps its state: a database asked of this server (the same handle apps use). */
  readonly database: DatabaseProvider;
  /** Where sessions live: a logical database of this Redis (keys are not prefixed: Authelia names its own). */
  readonly cache: { readonly server: CacheProvider; readonly index: number };
  /**
   * Secret (namespace of Authelia) with the chart's secret files: `identity_validation.reset_password.jwt.hmac.key`,
   * `session.encryption.key`, `storage.encryption.key`. @default 'authelia'
   */
  readonly secret?: string;
  /** Secret with the users file (`users_database.yml`, argon2id hashes). @default 'authelia-users' */
  readonly usersSecret?: string;
  /** Policy of every sso host. @default AutheliaPolicies.TWO_FACTOR */
  readonly policy?: AutheliaPolicy;
  /** @default 25m / 64Mi requested, 192Mi limit */
  readonly resources?: ChartResources;
}

const REQUIRED_FIX = 'pass database: postgres and cache: { server: redis, index: <free index> }';
const quantity = (kind: 'cpu' | 'memory') => Rules.required(Rules.quantity(kind), undefined, 'give requests { cpu, memory } and limits { memory }');
const AUTHELIA_PROPS = {
  // Checked by the platform when it makes the namespace chart.
  namespace: Rules.any(),
  subdomain: Rules.name(NameRules.DNS1123_LABEL, 'use e.g. "auth"'),
  database: Rules.required(Rules.is((d) => typeof (d as { addDatabase?: unknown } | null)?.addDatabase === 'function', 'a database server', 'pass the SharedPostgres of main.ts'), undefined, REQUIRED_FIX),
  cache: Rules.required(Rules.object<AutheliaProps['cache']>({
    server: Rules.required(Rules.is((c) => typeof (c as { addCache?: unknown } | null)?.addCache === 'function', 'a cache server', 'pass the SharedRedis of main.ts'), undefined, REQUIRED_FIX),
    index: Rules.required(Rules.integer(0, 10000, 'use a free logical database index of the Redis, e.g. 2'), undefined, 'give a free logical database index of the Redis'),
  }), undefined, REQUIRED_FIX),
  secret: Rules.name(NameRules.DNS1123_SUBDOMAIN),
  usersSecret: Rules.name(NameRules.DNS1123_SUBDOMAIN),
  policy: Rules.enumLike(AutheliaPolicies, 'AutheliaPolicies'),
  resources: Rules.object<ChartResources>({
    requests: Rules.required(Rules.object({ cpu: quantity('cpu'), memory: quantity('memory') }), undefined, 'give requests { cpu, memory }'),
    limits: Rules.required(Rules.object({ memory: quantity('memory'), cpu: Rules.quantity('cpu') }), undefined, 'give limits { memory }'),
  }),
} satisfies ShapeOf<AutheliaProps>;

/**
 * Authelia as the platform's single sign-on: the chart as one Deployment, its state in a database
 * of the shared PostgreSQL and its sessions in the shared Redis (asked for through the same handles
 * apps use), users from a Secret, and the portal at `auth.<domain>`. Routes with `sso: true` get a
 * Traefik forwardAuth Middleware that calls it; each of their hosts gets an access rule.
 */
export class Authelia extends NamespacedConstruct implements ServiceConsumer, ForwardAuthProvider {
  public readonly appName = 'authelia';
  public readonly host: string;
  /** Values without the access rules, which are derived from the routes (see `values`). */
  private readonly baseValues: AutheliaValues;
  public readonly database: DatabaseHandle;
  public readonly cache: CacheHandle;
  public readonly forwardAuthAddress: string;
  public readonly authResponseHeaders = ['Remote-User', 'Remote-Groups', 'Remote-Email', 'Remote-Name'] as const;
  /** The chart's Service and pods. */
  public readonly backend: RouteBackend;
  public readonly policy: AutheliaPolicy;
  private readonly secretName: string;
  private readonly usersSecret: string;

  constructor(scope: Construct, id: string, props: AutheliaProps) {
    // After the shared services it stores into; its Helm release carries the same wave.
    super(scope, id, props?.namespace ?? 'auth', { wave: SyncWave.SHARED_SERVICES });
    // Synthesis does not type-check: each bad prop is reported, and its default used instead.
    props = checkProps<AutheliaProps>(this, props, AUTHELIA_PROPS);
    declareSecrets(this);
    this.host = this.platform.host(checkName(this, 'subdomain', props.subdomain ?? 'auth', NameRules.DNS1123_LABEL));
    this.secretName = checkName(this, 'secret', props.secret ?? 'authelia', NameRules.DNS1123_SUBDOMAIN);
    this.usersSecret = checkName(this, 'usersSecret', props.usersSecret ?? 'authelia-users', NameRules.DNS1123_SUBDOMAIN);
    this.policy = props.policy ?? AutheliaPolicies.TWO_FACTOR;
    // Construction cannot go on without them; a bad one was reported, the line is not repeated.
    if (!props.database || !props.cache) {
      cannotContinue(this, { field: props.database ? 'cache' : 'database', value: undefined, problem: 'is required', fix: REQUIRED_FIX });
    }

    // Before asking for a database: a second provider is the problem to report, not its database name.
    registerForwardAuth(this);
    // The same handles apps get: a database and role named after "authelia", a Redis ACL user.
    this.database = props.database.addDatabase(this, { name: 'authelia' });
    // Authelia names its session keys itself, so the ACL user cannot be confined to "authelia:*".
    this.cache = props.cache.server.addCache(this, { index: props.cache.index, keyPrefix: false });

    const podLabels = { 'app.kubernetes.io/name': 'authelia', 'app.kubernetes.io/instance': 'authelia' };
    this.backend = { name: 'authelia', namespace: this.namespace, serviceName: 'authelia', port: PORT, podLabels };
    this.forwardAuthAddress = `http://authelia.${this.namespace}.svc.cluster.local:${PORT}/api/authz/forward-auth`;

    const restricted = {
      runAsNonRoot: true, runAsUser: 8000, runAsGroup: 8000, allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
    };
    this.baseValues = {
      image: { tag: PINS.images.authelia.tag },
      pod: {
        kind: 'Deployment',
        replicas: 1,
        resources: props.resources ?? chartResources('25m', '64Mi', '192Mi'),
        // The namespace enforces restricted Pod Security; the chart sets no security context.
        securityContext: { pod: { runAsNonRoot: true, fsGroup: 8000, seccompProfile: { type: 'RuntimeDefault' } }, container: restricted },
      },
      // The Service port equals the pod port, so the route's NetworkPolicy and the Service agree.
      service: { port: PORT },
      // Never generated by the chart: under GitOps they would change on every render.
      secret: { existingSecret: this.secretName, additionalSecrets: { [this.database.password.name]: {}, [this.cache.password.name]: {}, [this.usersSecret]: {} } },
      configMap: {
        identity_validation: { reset_password: { secret: { path: 'identity_validation.reset_password.jwt.hmac.key' } } },
        authentication_backend: {
          // The users file is a read-only Secret: passwords change by editing the Secret.
          password_reset: { disable: true },
          file: { enabled: true, path: `${SECRETS_DIR}/${this.usersSecret}/users_database.yml`, watch: false },
        },
        session: {
          encryption_key: { path: 'session.encryption.key' },
          cookies: [{ domain: this.platform.domain, subdomain: props.subdomain ?? 'auth' }],
          redis: {
            enabled: true,
            host: this.cache.server.host,
            port: this.cache.server.port,
            username: this.cache.user,
            database_index: this.cache.index,
            password: { secret_name: this.cache.password.name, path: this.cache.password.key },
          },
        },
        storage: {
          encryption_key: { path: 'storage.encryption.key' },
          postgres: {
            enabled: true,
            address: `tcp://${this.database.server.host}:${this.database.server.port}`,
            database: this.database.database,
            username: this.database.role,
            password: { secret_name: this.database.password.name, path: this.database.password.key },
          },
        },
        // One-time codes (TOTP registration) are written to a file in the pod: `kubectl exec` to read
        // them. Configure SMTP instead when there is a mail server.
        notifier: { filesystem: { enabled: true, filename: '/tmp/notification.txt' } },
        access_control: { default_policy: 'deny', rules: [] },
      },
    };

    new IngressRoute(this, 'Route', { host: this.host, path: '/', backend: this.backend });
    const pods: PodPeer = { namespace: this.namespace, podLabels, name: 'authelia' };
    const network = NetworkPolicies.of(this);
    for (const [handle, what] of [[this.database, 'database'], [this.cache, 'sessions']] as const) {
      const server = handle.server;
      const name = server.podLabels['app.kubernetes.io/instance'] ?? 'server';
      network.allow(this, { from: pods, to: { namespace: server.namespace, podLabels: server.podLabels, name }, ports: [{ port: server.port }], reason: `authelia ${what}` });
    }
    // Authelia checks the time against NTP at start-up (it refuses to start on a skewed clock).
    network.allow(this, { from: pods, to: Peers.INTERNET, ports: [{ port: 123, protocol: 'UDP' }], reason: 'authelia NTP check' });

    // Once every route exists: the access rules name the sso hosts, and Traefik calls the
    // forward-auth endpoint for every request of an sso route.
    this.platform.registry.derive(DeriveStages.CONNECTIONS, this, () => {
      const ingress = this.platform.ingressPeer;
      if (ingress) network.allow(this, { from: ingress, to: pods, ports: [{ port: PORT }], reason: 'forward auth', sides: 'ingress' });
      this.platform.addHelmRelease(this, { name: 'authelia', namespace: this.namespace, ...AUTHELIA_CHART, values: this.values, wave: SyncWave.SHARED_SERVICES });
    });
  }

  /** The chart values: the constructor's, with one access rule per sso host declared so far. */
  public get values(): AutheliaValues {
    const rules = this.ssoHosts().map((host) => ({ domain: [host], policy: this.policy }));
    const configMap = { ...this.baseValues.configMap, access_control: { ...this.baseValues.configMap.access_control, rules } };
    return { ...this.baseValues, configMap };
  }

  /** Hosts with at least one sso route, sorted. */
  public ssoHosts(): string[] {
    return this.platform.registry.fact(HOST_ROUTES).ssoHosts;
  }

  /** Secret keys Authelia reads (its database and cache passwords are declared by the servers). */
  public get secretReferences(): SecretKeyReference[] {
    const generated = (key: string, description: string): SecretKeyReference => ({
      namespace: this.namespace, name: this.secretName, key, description, value: { kind: 'generated', length: 64 },
    });
    return [
      generated('identity_validation.reset_password.jwt.hmac.key', 'HMAC key of Authelia\'s identity-validation tokens'),
      generated('session.encryption.key', 'encryption key of Authelia sessions in Redis'),
      generated('storage.encryption.key', 'encryption key of Authelia\'s PostgreSQL data (never change it: the data becomes unreadable)'),
      {
        namespace: this.namespace,
        name: this.usersSecret,
        key: 'users_database.yml',
        description: 'Authelia users file (users: <name>: { displayname, email, password: <argon2id hash from `authelia crypto hash generate argon2`>, groups })',
        value: { kind: 'provided', env: 'AUTHELIA_USERS_DATABASE_YML' },
      },
    ];
  }
}
