// A host + path routed to a Service with TLS, and the per-host Ingresses and Certificate derived
// from every route of the platform.
import { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { Certificate } from '../../imports/certmanager-certificate-cert-manager.io';
import { Middleware } from '../../imports/traefik-middleware-traefik.io';
import { configError, pathOf } from '../core/errors';
import { reportProblem } from '../core/problems';
import { ingressPathProblem } from '../core/validate';
import { needsCrd } from '../core/annotations';
import { NetworkPolicies } from '../network/network-policies';
import type { IConstruct } from 'constructs';
import { checkName, fitName, hostToName, NameRules, PART_OF, MANAGED_BY } from '../core/names';
import { Platform } from '../core/platform';
import { NamespaceChart } from '../core/namespace-chart';
import { DeriveStages, FactKey, PlatformRegistry, SlotKey } from '../core/registry';

/**
 * What a route needs of the Service that answers it. A NovahostApp's AppService is one; a chart's
 * Service (Grafana) is described by the construct that installs the chart.
 */
export interface RouteBackend {
  /** Short DNS-1123 name, used in NetworkPolicy names. */
  readonly name: string;
  readonly serviceName: string;
  readonly namespace: string;
  /** Service port. */
  readonly port: number;
  /** Labels of the pods behind the Service. */
  readonly podLabels: Record<string, string>;
  /** Port the pods listen on, for the NetworkPolicy. @default - the Service port */
  readonly targetPort?: number;
}

/** Something that answers Traefik forward-auth requests for routes with `sso: true` (Authelia). */
export interface ForwardAuthProvider extends IConstruct {
  /** URL Traefik calls before every request of an sso route. */
  readonly forwardAuthAddress: string;
  /** Response headers of the provider passed on to the app (`Remote-User`, ...). */
  readonly authResponseHeaders: readonly string[];
}

/** The platform's forward-auth provider (one per platform). */
const FORWARD_AUTH = new SlotKey<ForwardAuthProvider>('single sign-on', 'declare one SSO provider per platform', (existing) => `is already provided by ${existing}`);

/** Called by the construct that answers forward-auth requests; one per platform. */
export function registerForwardAuth(provider: ForwardAuthProvider): void {
  Platform.of(provider).registry.claim(FORWARD_AUTH, provider, provider);
}

/** The platform's forward-auth provider, if one is declared. */
export function forwardAuthOf(platform: Platform): ForwardAuthProvider | undefined {
  return platform.registry.slot(FORWARD_AUTH);
}

/** Name of the forward-auth Middleware in each namespace with sso routes (Middlewares stay in their namespace). */
export const SSO_MIDDLEWARE = 'sso-forward-auth';

export interface IngressRouteProps {
  /** Fully qualified host, e.g. `novahost.shakalabs.com`. */
  readonly host: string;
  /** Path prefix, starting with `/`. @default '/' */
  readonly path?: string;
  /** The service that answers. */
  readonly backend: RouteBackend;
  /** Port of the backend; must be the service's port. @default - the service's port */
  readonly port?: number;
  /**
   * Remove the path prefix before the request reaches the service (a Traefik StripPrefix
   * Middleware). @default false - the service sees the full path
   */
  readonly stripPrefix?: boolean;
  /**
   * Only signed-in users get through: Traefik asks the platform's SSO provider (Authelia) first,
   * with a forwardAuth Middleware. Synth fails when no provider is declared.
   * @default false
   */
  readonly sso?: boolean;
}

/**
 * A host + path prefix routed to a service port, with TLS. Routes of one host share one Ingress
 * and exactly one cert-manager Certificate (Let's Encrypt limits duplicate certificates).
 */
export class IngressRoute extends Construct {
  public readonly host: string;
  public readonly path: string;
  public readonly backend: RouteBackend;
  public readonly stripPrefix: boolean;
  /** Whether only signed-in users get through (forward auth). */
  public readonly sso: boolean;
  /** Name of the Traefik Middleware, when the prefix is stripped. */
  public readonly middlewareName?: string;

  constructor(scope: Construct, id: string, props: IngressRouteProps) {
    super(scope, id);
    const platform = Platform.of(this);
    this.host = checkName(this, 'host', props.host, NameRules.HOSTNAME);
    const path = normalizePath(this, props.path ?? '/');
    this.path = path ?? '/';
    this.backend = props.backend;
    this.stripPrefix = props.stripPrefix ?? false;
    this.sso = props.sso ?? false;

    if (props.port !== undefined && props.port !== props.backend.port) {
      throw configError(this, {
        field: 'port',
        value: props.port,
        problem: `is not a port of service ${props.backend.namespace}/${props.backend.serviceName} (it has ${props.backend.port})`,
        fix: `use port ${props.backend.port} or leave port unset`,
      });
    }
    const chart = Chart.of(this);
    if (!(chart instanceof NamespaceChart) || chart.namespace !== props.backend.namespace) {
      throw configError(this, {
        field: 'backend',
        value: `${props.backend.namespace}/${props.backend.serviceName}`,
        problem: `is in another namespace than the route (${chart.namespace ?? 'none'}); an Ingress can only reach Services of its own namespace`,
        fix: 'create the route inside the app that owns the service',
      });
    }
    if (this.stripPrefix) {
      if (!platform.ingressClass.supportsStripPrefix) {
        throw configError(this, {
          field: 'stripPrefix',
          value: true,
          problem: `is not supported by ingress class "${platform.ingressClass.name}"`,
          fix: 'keep the prefix and serve it in the app, or use the Traefik ingress class',
        });
      }
      if (this.path === '/') {
        throw configError(this, { field: 'stripPrefix', value: true, problem: 'has nothing to strip on path "/"', fix: 'remove stripPrefix' });
      }
      this.middlewareName = fitName(`${props.backend.serviceName}-strip-${pathSlug(this.path)}`);
      new Middleware(this, 'StripPrefix', {
        metadata: { name: this.middlewareName, labels: routeLabels(this.host), annotations: needsCrd() },
        spec: { stripPrefix: { prefixes: [this.path] } },
      });
    }
    if (path !== undefined) platform.registry.fact(HOST_ROUTES).add(this);
  }
}

/**
 * `/api/` -> `/api`. A path Kubernetes' Ingress validation refuses (`/../`, `%2F`, a `/.` suffix)
 * or that Traefik would splice into its router rule (PathPrefix(`...`): backticks, regex and
 * template syntax) is reported, and the route is left out.
 */
function normalizePath(scope: Construct, path: unknown): string | undefined {
  const problem = typeof path !== 'string' ? `is a ${typeof path}, not a string` : ingressPathProblem(path);
  if (problem) {
    reportProblem(scope, { field: 'path', value: path, problem, fix: 'use a plain path prefix such as "/" or "/api" (Prefix matching: "/api" also serves "/api/v1")' });
    return undefined;
  }
  const p = path as string;
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}

function pathSlug(path: string): string {
  return path.replace(/^\/+/, '').replace(/[^a-z0-9]+/gi, '-').toLowerCase().replace(/^-|-$/g, '') || 'root';
}

function routeLabels(host: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'ingress',
    'app.kubernetes.io/instance': fitName(hostToName(host)),
    'app.kubernetes.io/component': 'route',
    'app.kubernetes.io/part-of': PART_OF,
    'app.kubernetes.io/managed-by': MANAGED_BY,
  };
}

/**
 * All routes of the platform, by host. Checks that no two routes claim one host + path and that a
 * host stays in one namespace, then renders one Certificate and the Ingresses per host in the
 * routes stage.
 */
export class HostRoutes {
  private readonly hosts = new Map<string, IngressRoute[]>();

  /** @internal Created by the registry (HOST_ROUTES), once per platform. */
  constructor(private readonly registry: PlatformRegistry, platform: Platform) {
    registry.derive(DeriveStages.ROUTES, platform, () => this.render(platform));
  }

  /** Hosts with at least one sso route, sorted. */
  public get ssoHosts(): string[] {
    return [...this.hosts.keys()].filter((h) => this.hosts.get(h)!.some((r) => r.sso)).sort();
  }

  public add(route: IngressRoute): void {
    this.registry.assertOpen(DeriveStages.ROUTES, route, `route ${route.host}${route.path}`);
    const routes = this.hosts.get(route.host) ?? [];
    for (const other of routes) {
      if (other.path === route.path) {
        throw configError(route, {
          field: 'route',
          value: `${route.host}${route.path}`,
          problem: `is already served by ${pathOf(other)}`,
          fix: 'give one of the two routes another path or host',
        });
      }
      if (other.backend.namespace !== route.backend.namespace) {
        throw configError(route, {
          field: 'host',
          value: route.host,
          problem: `is already routed from namespace "${other.backend.namespace}" by ${pathOf(other)}; one host's routes must stay in one namespace (one Certificate per host)`,
          fix: 'serve this path from the app that owns the host, or use another host',
        });
      }
    }
    routes.push(route);
    this.hosts.set(route.host, routes);
  }

  private render(platform: Platform): void {
    const controller = platform.ingressPeer;
    if (!controller && this.hosts.size) {
      const first = [...this.hosts.values()][0][0];
      throw configError(first, {
        field: 'ingress controller',
        value: undefined,
        problem: 'is not declared, so no NetworkPolicy can let routed traffic in',
        fix: 'declare new IngressController(platform, ...) or use an ingress class that names its controller pods',
      });
    }
    const sso = forwardAuthOf(platform);
    const needsSso = [...this.hosts.values()].flat().find((r) => r.sso);
    if (needsSso && !sso) {
      throw configError(needsSso, {
        field: 'sso',
        value: true,
        problem: 'asks for single sign-on, but the platform declares no SSO provider',
        fix: "declare new Authelia(platform, 'authelia', {...}) or remove sso from the route",
      });
    }
    const network = NetworkPolicies.of(platform);
    const solverNamespaces = new Set<string>();
    const ssoNamespaces = new Set<string>();
    for (const host of [...this.hosts.keys()].sort()) {
      const routes = [...this.hosts.get(host)!].sort((a, b) => a.path.localeCompare(b.path));
      const chart = platform.namespace(routes[0].backend.namespace);
      const scope = new Construct(chart, `Host-${host}`);
      // A host of up to 253 characters is valid; the names derived from it are cut to fit (core/names.ts fitName).
      const name = fitName(hostToName(host));
      const tlsSecret = fitName(hostToName(host), 253, '-tls');
      const labels = routeLabels(host);

      new Certificate(scope, 'Certificate', {
        metadata: { name, labels, annotations: needsCrd() },
        spec: {
          secretName: tlsSecret,
          dnsNames: [host],
          issuerRef: { group: 'cert-manager.io', kind: 'ClusterIssuer', name: platform.issuer.name },
          privateKey: { algorithm: 'ECDSA' as any, size: 256, rotationPolicy: 'Always' as any },
        },
      });

      const withClass = (annotations: Record<string, string>) => {
        const all = { ...platform.ingressClass.routeAnnotations, ...annotations };
        return Object.keys(all).length ? all : undefined;
      };
      const ingress = (id: string, ingressName: string, group: IngressRoute[], annotations: Record<string, string>) =>
        new k8s.KubeIngress(scope, id, {
          metadata: { name: ingressName, labels, annotations: withClass(annotations) },
          spec: {
            ingressClassName: platform.ingressClass.name,
            tls: [{ hosts: [host], secretName: tlsSecret }],
            rules: [{
              host,
              http: {
                paths: group.map((r) => ({
                  path: r.path,
                  pathType: 'Prefix',
                  backend: { service: { name: r.backend.serviceName, port: { number: r.backend.port } } },
                })),
              },
            }],
          },
        });

      for (const r of routes) {
        network.allow(r, {
          from: controller!,
          to: { namespace: r.backend.namespace, podLabels: r.backend.podLabels, name: r.backend.name },
          ports: [{ port: r.backend.targetPort ?? r.backend.port }],
          reason: `route ${host}${r.path}`,
          sides: 'ingress',
        });
      }
      if (!solverNamespaces.has(chart.namespaceName)) {
        solverNamespaces.add(chart.namespaceName);
        // cert-manager's HTTP-01 solver pods answer the ACME challenge in the Certificate's namespace.
        network.allow(routes[0], {
          from: controller!,
          to: { namespace: chart.namespaceName, podLabels: { 'acme.cert-manager.io/http01-solver': 'true' }, name: 'acme-solver' },
          ports: [{ port: 8089 }],
          reason: 'ACME HTTP-01 challenge',
          sides: 'ingress',
        });
      }
      const ns = chart.namespaceName;
      if (sso && routes.some((r) => r.sso) && !ssoNamespaces.has(ns)) {
        ssoNamespaces.add(ns);
        // Middlewares may not cross namespaces, so each namespace with sso routes gets its own.
        new Middleware(chart, 'SsoForwardAuth', {
          metadata: { name: SSO_MIDDLEWARE, labels: { ...routeLabels(host), 'app.kubernetes.io/instance': 'sso' }, annotations: needsCrd() },
          spec: { forwardAuth: { address: sso.forwardAuthAddress, trustForwardHeader: true, authResponseHeaders: [...sso.authResponseHeaders] } },
        });
      }
      // Annotations are per Ingress: routes are grouped by the Middlewares they need, and the
      // sign-in check runs before the prefix is stripped (the provider sees the original URL).
      const middlewares = (r: IngressRoute) => [
        ...(r.sso ? [`${ns}-${SSO_MIDDLEWARE}@kubernetescrd`] : []),
        ...(r.stripPrefix ? [`${r.backend.namespace}-${r.middlewareName}@kubernetescrd`] : []),
      ].join(',');
      const plain = routes.filter((r) => !r.stripPrefix && !r.sso);
      if (plain.length) ingress('Ingress', name, plain, {});
      const signedIn = routes.filter((r) => !r.stripPrefix && r.sso);
      if (signedIn.length) {
        ingress('IngressSso', fitName(name, 253, '-sso'), signedIn, {
          'traefik.ingress.kubernetes.io/router.middlewares': middlewares(signedIn[0]),
        });
      }
      for (const r of routes.filter((x) => x.stripPrefix)) {
        const ingressName = fitName(`${name}-${pathSlug(r.path)}`, 253);
        ingress(`Ingress-${r.path}`, ingressName, [r], {
          'traefik.ingress.kubernetes.io/router.middlewares': middlewares(r),
        });
      }
    }
  }
}

/** The platform's routes, by host. */
export const HOST_ROUTES = new FactKey('host routes', (registry, platform) => new HostRoutes(registry, platform as Platform));
