/**
 * The subset of each third-party chart's values that the platform sets, typed so that a typo is a
 * compile error. Tests check the rendered values against the chart's own values.schema.json (or
 * against its values.yaml where the chart ships no schema).
 */

/** Requests and limits in the charts' common shape. */
export interface ChartResources {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly memory: string; readonly cpu?: string };
}

/** cert-manager chart (jetstack), values used by the platform. */
export interface CertManagerValues {
  readonly crds: { readonly enabled: boolean; readonly keep: boolean };
  readonly global: { readonly leaderElection: { readonly namespace: string } };
  readonly replicaCount: number;
  readonly resources: ChartResources;
  readonly webhook: { readonly replicaCount: number; readonly resources: ChartResources };
  readonly cainjector: { readonly replicaCount: number; readonly resources: ChartResources };
  readonly startupapicheck: { readonly resources: ChartResources };
}

/** How the Traefik Service is reached from outside. */
export type TraefikServiceType = 'LoadBalancer' | 'NodePort' | 'ClusterIP';

/** An entrypoint's redirection (`--entryPoints.<name>.http.redirections.entryPoint.*`). */
export interface TraefikRedirections {
  readonly entryPoint: { readonly to: string; readonly scheme: 'https'; readonly permanent: boolean; readonly priority: number };
}

/** The keys both Traefik charts the platform configures take alike (41.x and k3s's 37.x). */
interface TraefikCommonValues {
  readonly deployment: { readonly replicas: number };
  readonly ingressClass: { readonly enabled: boolean; readonly isDefaultClass: boolean; readonly name: string };
  readonly providers: {
    readonly kubernetesCRD: { readonly enabled: boolean; readonly allowCrossNamespace: boolean };
    readonly kubernetesIngress: { readonly enabled: boolean };
  };
  readonly resources: ChartResources;
}

/** The load balancer's side of the Service, and PROXY protocol per entrypoint (the same keys in both charts). */
interface TraefikExposureValues {
  /** The cloud load balancer's settings (DigitalOcean's annotations on DOKS). */
  readonly annotations?: Readonly<Record<string, string>>;
}
/** PROXY protocol from the load balancer: the addresses whose headers are trusted. */
export interface TraefikProxyProtocol {
  readonly proxyProtocol?: { readonly trustedIPs: readonly string[] };
}

/**
 * Traefik chart 41.x, values used by the platform. Its values.schema.json has no `service.type`:
 * the type goes into `service.spec`, which the Service template copies.
 */
export interface TraefikValues extends TraefikCommonValues {
  readonly service: TraefikExposureValues & { readonly spec: { readonly type: TraefikServiceType } };
  readonly ports: {
    readonly web: TraefikProxyProtocol & { readonly http: { readonly redirections: TraefikRedirections } };
    readonly websecure: TraefikProxyProtocol & { readonly http: { readonly middlewares: readonly string[] } };
  };
}

/**
 * k3s's bundled Traefik chart 37.x (no values.schema.json), values used by the platform. Its
 * Service template writes `type: {{ default "LoadBalancer" .service.type }}` and then
 * `toYaml .service.spec`, so a type under `service.spec` would render `spec.type` twice.
 */
export interface K3sTraefikValues extends TraefikCommonValues {
  readonly service: TraefikExposureValues & { readonly type: TraefikServiceType };
  /** 37.x: the same entrypoint settings one level up (41.x moved them under `http`). */
  readonly ports: {
    readonly web: TraefikProxyProtocol & { readonly redirections: TraefikRedirections };
    readonly websecure: TraefikProxyProtocol & { readonly middlewares: readonly string[] };
  };
}

/** argo-cd chart (argo-helm), values used by the platform. */
export interface ArgoCdValues {
  /** `image.tag` pins Argo CD itself over the chart's appVersion. */
  readonly global: { readonly domain: string; readonly image: { readonly tag: string }; readonly networkPolicy: { readonly create: boolean } };
  readonly configs: {
    readonly cm: Record<string, string>;
    readonly params: Record<string, string | boolean | number>;
  };
  readonly controller: { readonly resources: ChartResources };
  readonly server: { readonly resources: ChartResources };
  readonly repoServer: { readonly resources: ChartResources };
  readonly redis: { readonly resources: ChartResources };
  /** The pre-install/pre-upgrade hook Job that creates the Redis password Secret. */
  readonly redisSecretInit: { readonly resources: ChartResources };
  readonly applicationSet: { readonly replicas: number; readonly resources: ChartResources };
  readonly notifications: { readonly enabled: boolean };
  readonly dex: { readonly enabled: boolean };
}

/** Shorthand for the common resources shape. */
export function chartResources(cpu: string, memory: string, memoryLimit: string): ChartResources {
  return { requests: { cpu, memory }, limits: { memory: memoryLimit } };
}
