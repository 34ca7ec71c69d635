// NovahostApp: an app's services (Deployments, Services, routes, probes) wired to the data it asks
// for.
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { configError, pathOf } from '../core/errors';
import { hasProblems, reportProblem } from '../core/problems';
import { PropChecks } from '../core/validate';
import { checkAppProps } from './app-props';
import type { AppServiceProps, NovahostAppProps, ProbeSpec } from './app-props';

export type { AppCacheProps, AppDatabaseProps, AppMetrics, AppServiceProps, NovahostAppProps, ProbeSpec, SecretEnvSource, ServiceRoute } from './app-props';
import { CacheHandle, DatabaseHandle, SecretKeyReference, ServiceConsumer } from '../core/handles';
import { pinnedImage } from '../core/image';
import { IngressRoute } from '../routing/ingress-route';
import { checkName, ComponentIdentity, NameRules, selectorLabels, standardLabels, suggestName } from '../core/names';
import { SyncWave } from '../core/annotations';
import { KUBE_API_PORTS, NetworkPolicies, Peers, PodPeer } from '../network/network-policies';
import { addScrapeTarget } from '../services/monitoring/scrape';
import { NamespacedConstruct } from '../core/platform';
import {
  resourceRequirements, restrictedContainerSecurityContext, restrictedPodSecurityContext, scratchVolume,
} from '../core/security';
import { declareSecrets } from '../core/secrets';
import { availability } from './availability';
import { defaultEnvName } from '../checks/secrets/inventory';

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
    super(scope, id, typeof props?.namespace === 'string' ? props.namespace : id, { wave: SyncWave.APPS });
    declareSecrets(this);
    this.appName = id;
    // Synthesis does not type-check: every prop is checked first, and an app with a bad prop
    // renders nothing (its problems are reported, and synth fails listing all of them).
    const idOk = new PropChecks(this).string('id', id, { rule: NameRules.DNS1123_LABEL, fix: `rename it, for example "${suggestName(String(id))}"` }) !== undefined;
    const ok = checkAppProps(this, props, () => this.platform.registry.problems.length) && idOk;
    this.host = props?.host ?? `${id}.${this.platform.domain}`;
    this.node.addValidation({ validate: () => this.checkNamespaceIsOwn() });
    if (!ok) return;
    this.host = checkName(this, 'host', this.host, NameRules.HOSTNAME);

    const names = Object.keys(props.services ?? {});
    if (names.length === 0) {
      reportProblem(this, { field: 'services', value: props.services, problem: 'declares no service', fix: 'declare at least one service, e.g. { web: { image, port } }' });
      return;
    }
    if (props.database) this.database = props.database.server.addDatabase(this, props.database);
    if (props.cache) this.cache = props.cache.server.addCache(this, props.cache);

    for (const name of names.sort()) this.addService(name, props.services[name], props);
  }

  /**
   * An app shares its namespace with other apps only: a platform namespace (`shared`, `monitoring`)
   * holds the platform's Secrets, such as the PostgreSQL superuser's, which any pod there can mount.
   */
  private checkNamespaceIsOwn(): string[] {
    const owner = this.chart.node.children.find((c) => c instanceof NamespacedConstruct && !(c instanceof NovahostApp));
    if (!owner) return [];
    return [`namespace ${JSON.stringify(this.namespace)} is the namespace of ${pathOf(owner)}, whose Secrets any pod there can read. Fix: give the app another id, or a namespace of its own (namespace: "...")`];
  }

  /** Every service's handle, sorted by name. */
  public get allServices(): AppService[] {
    return [...this.services.values()];
  }

  /** The handle of one service, for routes and other wiring. */
  public service(name: string): AppService {
    const svc = this.services.get(name);
    if (!svc && hasProblems(this)) {
      // The app rendered nothing because of a bad prop (reported): a stand-in keeps construction going.
      return { app: this, name, serviceName: name, namespace: this.namespace, port: 1, portName: 'http', podLabels: {}, serviceAccountName: name, uses: { database: false, cache: false } };
    }
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

  /**
   * The pull Secret of the cluster's own registry when the image is in it (DOCR on DOKS): the
   * services' own ServiceAccounts do not get the one the registry integration adds to `default`.
   */
  private registryPullSecret(image: string): string | undefined {
    const registry = this.platform.cluster.containerRegistry;
    if (!registry || !image.startsWith(`${registry.server}/`)) return undefined;
    this.secretRefs.set(`${registry.pullSecret}/.dockerconfigjson`, {
      namespace: this.namespace, name: registry.pullSecret, key: '.dockerconfigjson', type: 'kubernetes.io/dockerconfigjson',
      description: registry.pullSecretHowTo, value: { kind: 'provided', env: 'DOCR_PULL_DOCKERCONFIGJSON' },
    });
    return registry.pullSecret;
  }

  private addService(name: string, svc: AppServiceProps, app: NovahostAppProps): void {
    const scope = new Construct(this, name);
    const field = (f: string) => `services.${name}.${f}`;
    checkName(this, 'services key', name, NameRules.DNS1035_LABEL);
    const image = pinnedImage(this, field('image'), svc.image);
    const pullSecret = this.registryPullSecret(image.ref);
    // Ports, replicas, paths and the rest were checked by checkAppProps (./app-props.ts).
    const metricsPort = svc.metrics?.port ?? svc.port;
    // Routed services get the cluster's default (2 on a node pool, so a drain keeps them up).
    const replicas = svc.replicas ?? (svc.route ? this.platform.cluster.defaultReplicas : 1);

    const id: ComponentIdentity = { name: this.appName, instance: this.appName, component: name };
    const labels = standardLabels(id);
    const podLabels = selectorLabels(id);
    const portName = 'http';
    const handle: AppService = { app: this, name, serviceName: name, namespace: this.namespace, port: svc.port, portName, podLabels, serviceAccountName: name,
      uses: { database: !!svc.database, cache: !!svc.cache } };
    this.services.set(name, handle);

    const env = this.envFor(name, svc, app);
    const writable = (svc.writablePaths ?? ['/tmp']).map((p, i) => scratchVolume(`writable-${i}`, p));
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
            imagePullSecrets: pullSecret ? [{ name: pullSecret }] : undefined,
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
      // Names and secret-looking values were checked by checkAppProps (./app-props.ts).
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
        value: ref.value ?? { kind: 'provided', env: defaultEnvName({ name: ref.secret.startsWith(`${this.namespace}-`) ? ref.secret : `${this.namespace}-${ref.secret}`, key: ref.key }) },
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
