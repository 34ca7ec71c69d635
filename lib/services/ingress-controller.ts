// Traefik as the platform's ingress controller: from its Helm chart, or k3s's bundled copy
// configured with the same typed values.
import { k8s } from 'cdk8s-plus-28';
import { Middleware } from '../../imports/traefik-middleware-traefik.io';
import { Construct } from 'constructs';
import { addScrapeTarget } from './monitoring/scrape';
import { needsCrd, SyncWave } from '../core/annotations';
import { chartResources, K3sTraefikValues, TraefikServiceType, TraefikValues } from '../core/helm-values';
import { configError } from '../core/errors';
import { KUBE_API_PORTS, NetworkPolicies, Peers, PodPeer } from '../network/network-policies';
import { IngressClasses, NamespacedConstruct, TRAEFIK_ENTRYPOINTS } from '../core/platform';
import { HelmChartConfig, K3S_SYSTEM_NAMESPACE } from '../cluster/k3s';
import { gitOpsEngines } from '../core/gitops-engine';
import { INGRESS_CONTROLLER } from '../core/platform';
import { MANAGED_BY, PART_OF } from '../core/names';
import { helmChart, PINS } from '../core/pins';
import { checkProps, Rules, ShapeOf } from '../core/prop-schema';

/** Where the Traefik the platform uses comes from. */
export const TraefikInstalls = {
  /** The platform installs Traefik's chart; k3s runs with `--disable=traefik`. */
  HELM_CHART: 'helm-chart',
  /**
   * k3s's bundled Traefik (kube-system), configured with a HelmChartConfig; no second Traefik and
   * no Helm release. The HelmChartConfig lives in the controller's namespace folder with
   * `metadata.namespace: kube-system`, which the Flux engine applies (Kustomizations are not
   * confined to a namespace) and Argo CD's `platform` AppProject does not admit.
   */
  K3S_BUNDLED: 'k3s-bundled',
} as const;
export type TraefikInstall = (typeof TraefikInstalls)[keyof typeof TraefikInstalls];

const SERVICE_TYPES: readonly TraefikServiceType[] = ['LoadBalancer', 'NodePort', 'ClusterIP'];

const HSTS_MIDDLEWARE = 'hsts';
/** `Strict-Transport-Security: max-age` of every HTTPS response: one year. */
export const HSTS_MAX_AGE_SECONDS = 31_536_000;

/** The Traefik chart the platform installs. */
export const TRAEFIK_CHART = helmChart(PINS.charts.traefik);

export interface IngressControllerProps {
  /** @default 'shared' */
  readonly namespace?: string;
  /** How the controller is reached from outside. @default - the cluster profile's (LoadBalancer: k3s ServiceLB, DigitalOcean's load balancer) */
  readonly serviceType?: TraefikServiceType;
  /** @default TraefikInstalls.HELM_CHART */
  readonly install?: TraefikInstall;
}

const INGRESS_CONTROLLER_PROPS = {
  namespace: Rules.any(),
  serviceType: Rules.oneOf(SERVICE_TYPES),
  install: Rules.enumLike(TraefikInstalls, 'TraefikInstalls'),
} satisfies ShapeOf<IngressControllerProps>;

/**
 * Traefik as the platform's ingress controller, installed from its Helm chart (k3s must then be
 * started with `--disable=traefik` so that the bundled copy does not fight it for ports 80/443), or
 * k3s's bundled Traefik configured with the same typed values (`install: TraefikInstalls.K3S_BUNDLED`).
 */
export class IngressController extends NamespacedConstruct {
  /** Values given to the chart: Traefik's 41.x chart, or k3s's bundled 37.x (see `install`). */
  public readonly values: TraefikValues | K3sTraefikValues;
  /** Traefik's pods (the chart labels them with its name). */
  public readonly peer: PodPeer;
  public readonly install: TraefikInstall;
  /**
   * The HSTS Middleware every HTTPS response passes (`<namespace>-hsts@kubernetescrd`). Traefik
   * refuses the routes of an entrypoint whose middleware is missing, so it must never be removed
   * while Traefik references it.
   */
  public readonly hstsMiddleware: string;

  constructor(scope: Construct, id: string, props: IngressControllerProps = {}) {
    super(scope, id, props?.namespace ?? 'shared', { wave: SyncWave.SHARED_SERVICES });
    // Synthesis does not type-check: each bad prop is reported, and its default used instead.
    props = checkProps<IngressControllerProps>(this, props, INGRESS_CONTROLLER_PROPS);
    const cls = this.platform.ingressClass;
    const exposure = this.platform.cluster.ingress;
    if (cls.name !== IngressClasses.TRAEFIK.name) {
      throw configError(this, {
        field: 'platform ingressClass',
        value: cls.name,
        problem: 'is not served by the Traefik ingress controller',
        fix: 'remove the IngressController from main.ts when you keep an existing controller, or use IngressClasses.TRAEFIK',
      });
    }
    this.install = props.install ?? TraefikInstalls.HELM_CHART;
    const bundled = this.install === TraefikInstalls.K3S_BUNDLED;
    const serviceType = props.serviceType ?? exposure.type;
    const common = {
      deployment: { replicas: 1 },
      ingressClass: { enabled: true, isDefaultClass: true, name: cls.name },
      providers: {
        // Middlewares (strip-prefix) are CRD objects; they may not cross namespaces.
        kubernetesCRD: { enabled: true, allowCrossNamespace: false },
        kubernetesIngress: { enabled: true },
      },
      resources: chartResources('50m', '64Mi', '192Mi'),
    };
    // HTTPS only. Plain HTTP on `web` redirects permanently, from a catch-all router of the
    // lowest priority: cert-manager's HTTP-01 solver Ingress (no entrypoint annotation, so on
    // `web` too) has a longer rule and wins, so challenges are answered on port 80, as
    // Let's Encrypt and cert-manager's self-check first ask; Traefik's default priority
    // (MaxInt32 - 1) would redirect them too. The platform's own routes are on `websecure` only
    // (IngressClasses.TRAEFIK.routeAnnotations), so nothing else answers on `web`. HSTS on every
    // HTTPS response, from an entrypoint middleware.
    const redirections = {
      entryPoint: { to: TRAEFIK_ENTRYPOINTS.WEBSECURE, scheme: 'https', permanent: true, priority: 1 },
    } as const;
    this.hstsMiddleware = `${this.namespace}-${HSTS_MIDDLEWARE}@kubernetescrd`;
    const middlewares = [this.hstsMiddleware];
    // The keys the two chart versions spell differently.
    // Behind a load balancer that sends PROXY headers, the entrypoints read the client's address from them.
    const proxy = exposure.proxyProtocolTrustedCidrs ? { proxyProtocol: { trustedIPs: [...exposure.proxyProtocolTrustedCidrs] } } : {};
    const annotations = Object.keys(exposure.annotations).length ? { annotations: exposure.annotations } : {};
    const k3sValues: K3sTraefikValues = {
      ...common,
      service: { type: serviceType, ...annotations },
      ports: { web: { ...proxy, redirections }, websecure: { ...proxy, middlewares } },
    };
    const chartValues: TraefikValues = {
      ...common,
      service: { spec: { type: serviceType }, ...annotations },
      ports: { web: { ...proxy, http: { redirections } }, websecure: { ...proxy, http: { middlewares } } },
    };
    this.values = bundled ? k3sValues : chartValues;
    new Middleware(this, 'Hsts', {
      metadata: {
        name: HSTS_MIDDLEWARE,
        labels: { 'app.kubernetes.io/name': 'traefik', 'app.kubernetes.io/component': 'hsts', 'app.kubernetes.io/part-of': PART_OF, 'app.kubernetes.io/managed-by': MANAGED_BY },
        annotations: needsCrd(),
      },
      // One year; not includeSubDomains or preload: hosts under the domain outside this platform
      // may still serve plain HTTP.
      spec: { headers: { stsSeconds: HSTS_MAX_AGE_SECONDS } },
    });
    // k3s's Traefik runs in kube-system with the same chart labels.
    this.peer = { namespace: bundled ? K3S_SYSTEM_NAMESPACE : this.namespace, podLabels: { 'app.kubernetes.io/name': 'traefik' }, name: 'traefik' };
    this.platform.registry.claim(INGRESS_CONTROLLER, this, this.peer);
    const network = NetworkPolicies.of(this);
    // The chart's entrypoints: web 8000 and websecure 8443 behind the Service's 80/443.
    network.allow(this, { from: Peers.WORLD, to: this.peer, ports: [{ port: 8000 }, { port: 8443 }], reason: 'public HTTP and HTTPS' });
    network.allow(this, { from: this.peer, to: Peers.KUBE_API, ports: KUBE_API_PORTS, reason: 'Traefik watches Ingresses and Services' });
    // Routed services decide, in their own ingress policies, whether Traefik may reach them.
    network.allow(this, { from: this.peer, to: Peers.ALL_PODS, ports: [], reason: 'forward routed requests' });
    if (bundled) {
      new HelmChartConfig(this, 'K3sTraefik', {
        metadata: {
          name: 'traefik',
          namespace: K3S_SYSTEM_NAMESPACE,
          labels: { 'app.kubernetes.io/name': 'traefik', 'app.kubernetes.io/component': 'ingress-controller', 'app.kubernetes.io/part-of': PART_OF, 'app.kubernetes.io/managed-by': MANAGED_BY },
        },
        spec: { valuesContent: HelmChartConfig.valuesContent(k3sValues) },
      });
      this.node.addValidation({
        validate: () => gitOpsEngines(this.platform).some((e) => e.name === 'ArgoCd')
          ? [`install "${this.install}" renders a HelmChartConfig in kube-system, which Argo CD's "platform" AppProject does not admit. Fix: use the Flux engine, or install: TraefikInstalls.HELM_CHART (k3s --disable=traefik)`]
          : [],
      });
    } else {
      this.platform.addHelmRelease(this, {
        name: 'traefik',
        namespace: this.namespace,
        ...TRAEFIK_CHART,
        values: chartValues,
        wave: SyncWave.OPERATORS,
      });
    }
  }

  /**
   * Exposes Traefik's metrics to Prometheus: the chart serves them on its `metrics` entrypoint
   * (9100) but creates no Service for it by default; this one lives next to Traefik so a
   * ServiceMonitor can select it. Called by Monitoring; idempotent.
   */
  public enableMetrics(): void {
    if (this.node.tryFindChild('Metrics')) return;
    const scope = new Construct(this, 'Metrics');
    const labels = { 'app.kubernetes.io/name': 'traefik', 'app.kubernetes.io/component': 'metrics', 'app.kubernetes.io/part-of': PART_OF, 'app.kubernetes.io/managed-by': MANAGED_BY };
    new k8s.KubeService(scope, 'Service', {
      metadata: { name: 'traefik-metrics', labels },
      spec: { type: 'ClusterIP', selector: this.peer.podLabels, ports: [{ name: 'metrics', port: 9100, targetPort: k8s.IntOrString.fromString('metrics'), protocol: 'TCP' }] },
    });
    addScrapeTarget(scope, 'ServiceMonitor', {
      name: 'traefik', labels, serviceSelector: { 'app.kubernetes.io/name': 'traefik', 'app.kubernetes.io/component': 'metrics' },
      portName: 'metrics', pods: this.peer, containerPort: 9100,
    });
  }
}
