import { Construct } from 'constructs';
import { SyncWave } from './gitops/annotations';
import { chartResources, TraefikValues } from './helm-values';
import { configError } from './errors';
import { KUBE_API_PORTS, NetworkPolicies, Peers, PodPeer } from './network-policies';
import { IngressClasses, NamespacedConstruct } from './platform';

/** The Traefik chart the platform installs. */
export const TRAEFIK_CHART = {
  repoURL: 'https://traefik.github.io/charts',
  chart: 'traefik',
  version: '41.3.0',
} as const;

export interface IngressControllerProps {
  /** @default 'shared' */
  readonly namespace?: string;
  /** How the controller is reached from outside. @default 'LoadBalancer' (k3s ServiceLB) */
  readonly serviceType?: TraefikValues['service']['spec']['type'];
}

/**
 * Traefik as the platform's ingress controller, installed from its Helm chart. It serves the
 * platform's ingress class; k3s must be started with `--disable=traefik` so that the bundled copy
 * does not fight it for ports 80/443.
 */
export class IngressController extends NamespacedConstruct {
  public readonly values: TraefikValues;
  /** Traefik's pods (the chart labels them with its name). */
  public readonly peer: PodPeer;

  constructor(scope: Construct, id: string, props: IngressControllerProps = {}) {
    super(scope, id, props.namespace ?? 'shared', { wave: SyncWave.SHARED_SERVICES });
    const cls = this.platform.ingressClass;
    if (cls.name !== IngressClasses.TRAEFIK.name) {
      throw configError(this, {
        field: 'platform ingressClass',
        value: cls.name,
        problem: 'is not served by the Traefik ingress controller',
        fix: 'remove the IngressController from main.ts when you keep an existing controller, or use IngressClasses.TRAEFIK',
      });
    }
    this.values = {
      deployment: { replicas: 1 },
      ingressClass: { enabled: true, isDefaultClass: true, name: cls.name },
      providers: {
        // Middlewares (strip-prefix) are CRD objects; they may not cross namespaces.
        kubernetesCRD: { enabled: true, allowCrossNamespace: false },
        kubernetesIngress: { enabled: true },
      },
      resources: chartResources('50m', '64Mi', '192Mi'),
      service: { spec: { type: props.serviceType ?? 'LoadBalancer' } },
    };
    this.peer = { namespace: this.namespace, podLabels: { 'app.kubernetes.io/name': 'traefik' }, name: 'traefik' };
    this.platform.setIngressPeer(this, this.peer);
    const network = NetworkPolicies.of(this);
    // The chart's entrypoints: web 8000 and websecure 8443 behind the Service's 80/443.
    network.allow(this, { from: Peers.WORLD, to: this.peer, ports: [{ port: 8000 }, { port: 8443 }], reason: 'public HTTP and HTTPS' });
    network.allow(this, { from: this.peer, to: Peers.KUBE_API, ports: KUBE_API_PORTS, reason: 'Traefik watches Ingresses and Services' });
    // Routed services decide, in their own ingress policies, whether Traefik may reach them.
    network.allow(this, { from: this.peer, to: Peers.ALL_PODS, ports: [], reason: 'forward routed requests' });
    this.platform.addHelmRelease(this, {
      name: 'traefik',
      namespace: this.namespace,
      ...TRAEFIK_CHART,
      values: this.values,
      wave: SyncWave.OPERATORS,
    });
  }
}
