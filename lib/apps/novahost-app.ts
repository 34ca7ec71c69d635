// NovahostApp: an app's services (Deployments, Services, routes, probes) wired to the data it asks
// for.
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { configError } from '../core/errors';
import {
  CacheHandle, CacheOptions, CacheProvider, DatabaseEnvStyle, DatabaseHandle, DatabaseOptions,
  DatabaseProvider, SecretKeyReference, ServiceConsumer,
} from '../core/handles';
import { pinnedImage } from '../core/image';
import { IngressRoute } from '../routing/ingress-route';
import { checkName, ComponentIdentity, NameRules, selectorLabels, standardLabels } from '../core/names';
import { SyncWave } from '../core/annotations';
import { KUBE_API_PORTS, NetworkPolicies, Peers, PodPeer } from '../network/network-policies';
import { addScrapeTarget } from '../services/monitoring/scrape';
import { NamespacedConstruct } from '../core/platform';
import {
  resourceRequirements, ResourceSpec, restrictedContainerSecurityContext, restrictedPodSecurityContext, scratchVolume,
} from '../core/security';
import { declareSecrets } from '../core/secrets';
import { availability } from './availability';

/** How Kubernetes checks a container. */
export interface ProbeSpec {
  /** HTTP GET on the service port at this path. */
  readonly httpPath?: string;
  /** A TCP connect to the service port (for non-HTTP services). */
  readonly tcp?: boolean;
  /** A command run in the container. */
  readonly exec?: string[];
  /** @default 5 */
  readonly initialDelaySeconds?: number;
  /** @default 10 */
  readonly periodSeconds?: number;
  /** @default 3 */
  readonly failureThreshold?: number;
}

/** A public route to a service. */
export interface ServiceRoute {
  /** Path prefix, starting with `/`. */
  readonly path: string;
  /** @default - the app's host */
  readonly host?: string;
  /** Remove the prefix before the request reaches the service. @default false (prefix kept) */
  readonly stripPrefix?: boolean;
  /** Only signed-in users get through (the platform's SSO provider, Authelia). @default false */
  readonly sso?: boolean;
}

/** Reference to one key of a Secret in the app's namespace. */
export interface SecretEnvSource {
  readonly secret: string;
  readonly key: string;
}

/** One service of an app: a Deployment behind a Service. */
export interface AppServiceProps {
  /** Image pinned to a tag or digest; `latest` or no tag fails synth. */
  readonly image: string;
  /** Port the container listens on; the Service exposes the same port. */
  readonly port: number;
  /** @default - the cluster profile's defaultReplicas for a routed service (1 on one node, 2 on a pool), else 1 */
  readonly replicas?: number;
  /** @default - the image's entrypoint */
  readonly command?: string[];
  /** @default - the image's arguments */
  readonly args?: string[];
  /** Plain settings. Secret-looking names (PASSWORD, TOKEN, SECRET, KEY) must use `secretEnv`. @default {} */
  readonly env?: Record<string, string>;
  /** Variables read from Secrets of the app's namespace. @default {} */
  readonly secretEnv?: Record<string, SecretEnvSource>;
  /** Whole Secrets exposed as variables. @default [] */
  readonly envFromSecrets?: string[];
  /** @default 50m / 128Mi requested, 256Mi memory limit, no CPU limit */
  readonly resources?: ResourceSpec;
  /** @default HTTP GET / on the service port */
  readonly readiness?: ProbeSpec;
  /** @default HTTP GET / on the service port, starting later than readiness */
  readonly liveness?: ProbeSpec;
  /** Served publicly on this route; without it the service is internal only. @default - internal */
  readonly route?: ServiceRoute;
  /** Non-root user the container runs as. @default 10001 */
  readonly runAsUser?: number;
  /** Directories the container writes to; the root filesystem is read-only. @default ['/tmp'] */
  readonly writablePaths?: string[];
  /** Receives the app's database settings (`DATABASE_URL`, `PG*`). @default false */
  readonly database?: boolean;
  /** Receives the app's cache settings (`REDIS_URL`). @default false */
  readonly cache?: boolean;
  /**
   * Mounts a Kubernetes API token for the service's ServiceAccount (e.g. a build server that
   * creates Jobs); what the account may do is granted by RBAC elsewhere. @default false
   */
  readonly apiAccess?: boolean;
  /**
   * May open connections to the public internet (ports 80 and 443; never private ranges).
   * @default false - only DNS and the database/cache it was granted
   */
  readonly internetEgress?: boolean;
  /**
   * Prometheus scrapes the service (a ServiceMonitor, and a NetworkPolicy from Prometheus). Needs
   * a Monitoring in the platform. @default - not scraped
   */
  readonly metrics?: AppMetrics;
}

/** Where a service serves Prometheus metrics. */
export interface AppMetrics {
  /** @default - the service port */
  readonly port?: number;
  /** @default '/metrics' */
  readonly path?: string;
}

/** The app's database, asked of a shared PostgreSQL. */
export interface AppDatabaseProps extends DatabaseOptions {
  readonly server: DatabaseProvider;
  /** @default DatabaseEnvStyles.URL */
  readonly envStyle?: DatabaseEnvStyle;
}

/** The app's cache, asked of a shared Redis. */
export interface AppCacheProps extends CacheOptions {
  readonly server: CacheProvider;
}

export interface NovahostAppProps {
  /** @default - the construct id */
  readonly namespace?: string;
  /** Host of the app's routes. @default - `<id>.<platform domain>` */
  readonly host?: string;
  /** Services by name (DNS-1035: the name becomes the Service name). */
  readonly services: Record<string, AppServiceProps>;
  /** @default - no database */
  readonly database?: AppDatabaseProps;
  /** @default - no cache */
  readonly cache?: AppCacheProps;
}

/** What other constructs may know of one service. */
export interface AppService {
  readonly app: NovahostApp;
  readonly name: string;
  /** Service object name. */
  readonly serviceName: string;
  readonly namespace: string;
  readonly port: number;
  readonly portName: string;
  readonly podLabels: Record<string, string>;
  /** ServiceAccount the pods run as (same name as the service). */
  readonly serviceAccountName: string;
  /** Whether the service was given the app's database and cache settings. */
  readonly uses: { readonly database: boolean; readonly cache: boolean };
}

const SECRET_LOOKING = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIALS?)$/i;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DEFAULT_UID = 10001;
const METRICS_PORT_NAME = 'metrics';

/**
 * One hosted application made of services, in a namespace of its own. Each service renders a
 * Deployment, a Service and a ServiceAccount (no token); routed services get an IngressRoute.
 */
export class NovahostApp extends NamespacedConstruct implements ServiceConsumer {
  public readonly appName: string;
  public readonly host: string;
  public readonly database?: DatabaseHandle;
  public readonly cache?: CacheHandle;
  private readonly services = new Map<string, AppService>();

  constructor(scope: Construct, id: string, props: NovahostAppProps) {
    super(scope, id, props.namespace ?? id, { wave: SyncWave.APPS });
    declareSecrets(this);
    this.appName = checkName(this, 'id', id, NameRules.DNS1123_LABEL);
    this.host = checkName(this, 'host', props.host ?? this.platform.host(id), NameRules.HOSTNAME);

    const names = Object.keys(props.services ?? {});
    if (names.length === 0) {
      throw configError(this, { field: 'services', value: props.services, problem: 'declares no service', fix: 'declare at least one service, e.g. { web: { image, port } }' });
    }
    if (props.database) this.database = props.database.server.addDatabase(this, props.database);
    if (props.cache) this.cache = props.cache.server.addCache(this, props.cache);

    for (const name of names.sort()) this.addService(name, props.services[name], props);
  }

  /** Every service's handle, sorted by name. */
  public get allServices(): AppService[] {
    return [...this.services.values()];
  }

  /** The handle of one service, for routes and other wiring. */
  public service(name: string): AppService {
    const svc = this.services.get(name);
    if (!svc) {
      throw configError(this, {
        field: 'service',
        value: name,
        problem: `is not a service of app "${this.appName}"`,
        fix: `use one of: ${[...this.services.keys()].join(', ')}`,
      });
    }
    return svc;
  }

  /** Every Secret key the app's pods read, for the bootstrap instructions. */
  public get secretReferences(): SecretKeyReference[] {
    return [...this.secretRefs.values()];
  }

  private readonly secretRefs = new Map<string, SecretKeyReference>();

  private addService(name: string, svc: AppServiceProps, app: NovahostAppProps): void {
    const scope = new Construct(this, name);
    const field = (f: string) => `services.${name}.${f}`;
    checkName(this, 'services key', name, NameRules.DNS1035_LABEL);
    const image = pinnedImage(this, field('image'), svc.image);
    if (!Number.isInteger(svc.port) || svc.port < 1 || svc.port > 65535) {
      throw configError(this, { field: field('port'), value: svc.port, problem: 'is not a TCP port', fix: 'use the port the container listens on, 1-65535' });
    }
    const metricsPort = svc.metrics?.port ?? svc.port;
    if (!Number.isInteger(metricsPort) || metricsPort < 1 || metricsPort > 65535) {
      throw configError(this, { field: field('metrics.port'), value: svc.metrics?.port, problem: 'is not a TCP port', fix: 'use the port the metrics endpoint listens on, 1-65535' });
    }
    // Routed services get the cluster's default (2 on a node pool, so a drain keeps them up).
    const replicas = svc.replicas ?? (svc.route ? this.platform.cluster.defaultReplicas : 1);
    if (!Number.isInteger(replicas) || replicas < 0) {
      throw configError(this, { field: field('replicas'), value: svc.replicas, problem: 'is not a whole number ≥ 0', fix: 'use 1 for a small node' });
    }

    const id: ComponentIdentity = { name: this.appName, instance: this.appName, component: name };
    const labels = standardLabels(id);
    const podLabels = selectorLabels(id);
    const portName = 'http';
    const handle: AppService = { app: this, name, serviceName: name, namespace: this.namespace, port: svc.port, portName, podLabels, serviceAccountName: name,
      uses: { database: !!svc.database, cache: !!svc.cache } };
    this.services.set(name, handle);

    const env = this.envFor(name, svc, app);
    const writable = (svc.writablePaths ?? ['/tmp']).map((p, i) => {
      if (!p.startsWith('/')) {
        throw configError(this, { field: field('writablePaths'), value: p, problem: 'is not an absolute path', fix: 'use a path such as "/tmp"' });
      }
      return scratchVolume(`writable-${i}`, p);
    });
    const uid = svc.runAsUser ?? DEFAULT_UID;
    const podSecurity = restrictedPodSecurityContext(uid);

    const automountToken = svc.apiAccess ?? false;
    new k8s.KubeServiceAccount(scope, 'ServiceAccount', {
      metadata: { name, labels },
      automountServiceAccountToken: automountToken,
    });

    const spread = availability(scope, { name, labels, podLabels, replicas });
    new k8s.KubeDeployment(scope, 'Deployment', {
      metadata: { name, labels },
      spec: {
        replicas,
        revisionHistoryLimit: 3,
        selector: { matchLabels: podLabels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: name,
            automountServiceAccountToken: automountToken,
            enableServiceLinks: false,
            securityContext: svc.port < 1024
              // Binding a port below 1024 without NET_BIND_SERVICE: the safe sysctl allowed by
              // restricted Pod Security lets a non-root process do it.
              ? { ...podSecurity, sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }] }
              : podSecurity,
            containers: [{
              name,
              image: image.ref,
              command: svc.command,
              args: svc.args,
              ports: [
                { name: portName, containerPort: svc.port, protocol: 'TCP' },
                ...(metricsPort !== svc.port ? [{ name: METRICS_PORT_NAME, containerPort: metricsPort, protocol: 'TCP' }] : []),
              ],
              env: env.length ? env : undefined,
              envFrom: svc.envFromSecrets?.map((s) => ({ secretRef: { name: s } })),
              resources: resourceRequirements(svc.resources),
              readinessProbe: probe(svc.readiness, portName, { initialDelaySeconds: 5 }),
              livenessProbe: probe(svc.liveness, portName, { initialDelaySeconds: 15 }),
              securityContext: restrictedContainerSecurityContext(),
              volumeMounts: writable.map((w) => w.mount),
            }],
            volumes: writable.map((w) => w.volume),
            topologySpreadConstraints: spread,
          },
        },
      },
    });

    new k8s.KubeService(scope, 'Service', {
      metadata: { name, labels },
      spec: {
        type: 'ClusterIP',
        selector: podLabels,
        ports: [
          { name: portName, port: svc.port, targetPort: k8s.IntOrString.fromString(portName), protocol: 'TCP' },
          ...(metricsPort !== svc.port ? [{ name: METRICS_PORT_NAME, port: metricsPort, targetPort: k8s.IntOrString.fromString(METRICS_PORT_NAME), protocol: 'TCP' }] : []),
        ],
      },
    });

    this.allowTraffic(scope, handle, svc);

    if (svc.metrics) {
      addScrapeTarget(scope, 'ServiceMonitor', {
        name, labels, serviceSelector: labels, portName: metricsPort === svc.port ? portName : METRICS_PORT_NAME, path: svc.metrics.path,
        pods: { namespace: this.namespace, podLabels, name }, containerPort: metricsPort,
      });
    }

    if (svc.route) {
      new IngressRoute(scope, 'Route', {
        host: svc.route.host ?? this.host,
        path: svc.route.path,
        stripPrefix: svc.route.stripPrefix,
        sso: svc.route.sso,
        backend: handle,
      });
    }
  }

  /** Egress the service was granted through its wiring; everything else stays denied. */
  private allowTraffic(scope: Construct, svc: AppService, props: AppServiceProps): void {
    const network = NetworkPolicies.of(this);
    const pods: PodPeer = { namespace: this.namespace, podLabels: svc.podLabels, name: svc.name };
    const servers = [props.database ? this.database : undefined, props.cache ? this.cache : undefined];
    for (const handle of servers) {
      if (!handle) continue;
      const s = handle.server;
      const serverName = s.podLabels['app.kubernetes.io/instance'] ?? s.podLabels['app.kubernetes.io/name'] ?? 'server';
      network.allow(scope, {
        from: pods,
        to: { namespace: s.namespace, podLabels: s.podLabels, name: serverName },
        ports: [{ port: s.port }],
        reason: `${this.appName}/${svc.name} uses ${serverName}`,
      });
    }
    if (props.apiAccess) network.allow(scope, { from: pods, to: Peers.KUBE_API, ports: KUBE_API_PORTS, reason: `${this.appName}/${svc.name} calls the Kubernetes API` });
    if (props.internetEgress) network.allow(scope, { from: pods, to: Peers.INTERNET, ports: [{ port: 80 }, { port: 443 }], reason: `${this.appName}/${svc.name} calls the internet` });
  }

  private envFor(name: string, svc: AppServiceProps, app: NovahostAppProps): k8s.EnvVar[] {
    const field = (f: string) => `services.${name}.${f}`;
    const env: k8s.EnvVar[] = [];
    for (const [key, value] of Object.entries(svc.env ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
      if (!ENV_NAME.test(key)) {
        throw configError(this, { field: field('env'), value: key, problem: 'is not a valid variable name', fix: 'use letters, digits and "_"' });
      }
      if (SECRET_LOOKING.test(key)) {
        throw configError(this, {
          field: field(`env.${key}`),
          value: '<redacted>',
          problem: 'looks like a secret, and plain env values are written to dist/ in clear text',
          fix: `move it to secretEnv: { ${key}: { secret: '<secret name>', key: '<key>' } }`,
        });
      }
      env.push({ name: key, value });
    }
    for (const [key, ref] of Object.entries(svc.secretEnv ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
      checkName(this, field(`secretEnv.${key}.secret`), ref.secret, NameRules.DNS1123_SUBDOMAIN);
      env.push({ name: key, valueFrom: { secretKeyRef: { name: ref.secret, key: ref.key } } });
      this.secretRefs.set(`${ref.secret}/${ref.key}`, {
        namespace: this.namespace,
        name: ref.secret,
        key: ref.key,
        description: `${this.appName}/${name} reads it as ${key}`,
        value: { kind: 'provided', env: key },
      });
    }
    if (svc.database) {
      if (!this.database) {
        throw configError(this, { field: field('database'), value: true, problem: 'asks for a database the app does not have', fix: 'add database: { server: postgres } to the app' });
      }
      env.push(...this.database.envVars(app.database?.envStyle));
      this.secretRefs.set(`${this.database.password.name}/${this.database.password.key}`, this.database.password);
    }
    if (svc.cache) {
      if (!this.cache) {
        throw configError(this, { field: field('cache'), value: true, problem: 'asks for a cache the app does not have', fix: 'add cache: { server: redis, index } to the app' });
      }
      env.push(...this.cache.envVars());
      this.secretRefs.set(`${this.cache.password.name}/${this.cache.password.key}`, this.cache.password);
    }
    const seen = new Set<string>();
    for (const e of env) {
      if (seen.has(e.name)) {
        throw configError(this, { field: field('env'), value: e.name, problem: 'is set twice (env, secretEnv, database or cache)', fix: 'set each variable in one place' });
      }
      seen.add(e.name);
    }
    return env;
  }
}

function probe(spec: ProbeSpec | undefined, portName: string, defaults: { initialDelaySeconds: number }): k8s.Probe {
  const s = spec ?? { httpPath: '/' };
  const timing = {
    initialDelaySeconds: s.initialDelaySeconds ?? defaults.initialDelaySeconds,
    periodSeconds: s.periodSeconds ?? 10,
    failureThreshold: s.failureThreshold ?? 3,
    timeoutSeconds: 3,
  };
  const port = k8s.IntOrString.fromString(portName);
  if (s.exec) return { exec: { command: s.exec }, ...timing };
  if (s.tcp) return { tcpSocket: { port }, ...timing };
  return { httpGet: { path: s.httpPath ?? '/', port }, ...timing };
}
