// cert-manager from its Helm chart, with the Let's Encrypt ClusterIssuers every route's
// Certificate names.
import { Construct } from 'constructs';
import { addScrapeTarget } from './monitoring/scrape';
import { ClusterIssuer } from '../../imports/certmanager-clusterissuer-cert-manager.io';
import { needsCrd, SyncWave } from '../core/annotations';
import { CertManagerValues, chartResources } from '../core/helm-values';
import { SecretKeyReference } from '../core/handles';
import { checkName, MANAGED_BY, NameRules, PART_OF } from '../core/names';
import { declareSecrets } from '../core/secrets';
import { KUBE_API_PORTS, NetworkPolicies, Peers, PodPeer } from '../network/network-policies';
import { AcmeIssuers, NamespacedConstruct } from '../core/platform';
import { helmChart, PINS } from '../core/pins';
import { checkProps, Rules, ShapeOf } from '../core/prop-schema';

const CERT_MANAGER_PROPS = {
  namespace: Rules.any(),
  digitalOceanDns01: Rules.object<DigitalOceanDns01>({ tokenSecret: Rules.name(NameRules.DNS1123_SUBDOMAIN), tokenKey: Rules.pattern(/^[-._a-zA-Z0-9]{1,253}$/, 'a Secret key (letters, digits, "-", "_", ".")', 'use e.g. "access-token"') }),
} satisfies ShapeOf<CertManagerProps>;

/** The cert-manager chart the platform installs. */
export const CERT_MANAGER_CHART = helmChart(PINS.charts.certManager);

/** The DNS-01 solver with DigitalOcean's DNS: wildcard certificates, and hosts not yet public. */
export interface DigitalOceanDns01 {
  /** Secret (in cert-manager's namespace) with a DigitalOcean API token that may write the domain's records. @default 'digitalocean-dns' */
  readonly tokenSecret?: string;
  /** @default 'access-token' */
  readonly tokenKey?: string;
}

export interface CertManagerProps {
  /** @default 'shared' */
  readonly namespace?: string;
  /**
   * Solve ACME challenges with DNS-01 through DigitalOcean's DNS instead of HTTP-01 through the
   * ingress. @default - HTTP-01
   */
  readonly digitalOceanDns01?: DigitalOceanDns01;
}

/**
 * cert-manager (Helm, CRDs included) and the two Let's Encrypt ClusterIssuers, staging and prod,
 * solving HTTP-01 through the platform's ingress class. Which one signs certificates is the
 * platform's `issuer` setting.
 */
export class CertManager extends NamespacedConstruct {
  /** Values passed to the chart. */
  public readonly values: CertManagerValues;
  /** The DigitalOcean token cert-manager reads, with DNS-01. */
  public readonly dnsToken?: SecretKeyReference;

  constructor(scope: Construct, id: string, props: CertManagerProps = {}) {
    super(scope, id, props?.namespace ?? 'shared', { wave: SyncWave.SHARED_SERVICES });
    // Synthesis does not type-check: each bad prop is reported, and its default used instead.
    props = checkProps<CertManagerProps>(this, props, CERT_MANAGER_PROPS);
    declareSecrets(this);
    const dns = props.digitalOceanDns01;
    if (dns) {
      this.dnsToken = {
        namespace: this.namespace,
        name: checkName(this, 'digitalOceanDns01.tokenSecret', dns.tokenSecret ?? 'digitalocean-dns', NameRules.DNS1123_SUBDOMAIN),
        key: dns.tokenKey ?? 'access-token',
        description: 'DigitalOcean API token with write access to the domain\'s DNS records (cert-manager DNS-01)',
        value: { kind: 'provided', env: 'DIGITALOCEAN_DNS_TOKEN' },
      };
    }
    this.values = {
      crds: { enabled: true, keep: true },
      // The default lease namespace is kube-system, which would need a Role there.
      global: { leaderElection: { namespace: this.namespace } },
      replicaCount: 1,
      resources: chartResources('10m', '64Mi', '192Mi'),
      webhook: { replicaCount: 1, resources: chartResources('10m', '32Mi', '96Mi') },
      cainjector: { replicaCount: 1, resources: chartResources('10m', '64Mi', '192Mi') },
      startupapicheck: { resources: chartResources('10m', '32Mi', '64Mi') },
    };
    this.platform.addHelmRelease(this, {
      name: 'cert-manager',
      namespace: this.namespace,
      ...CERT_MANAGER_CHART,
      values: this.values,
      wave: SyncWave.OPERATORS,
    });

    // The chart labels every component with the release name as instance.
    const pods: PodPeer = { namespace: this.namespace, podLabels: { 'app.kubernetes.io/instance': 'cert-manager' }, name: 'cert-manager' };
    const network = NetworkPolicies.of(this);
    network.allow(this, { from: pods, to: Peers.KUBE_API, ports: KUBE_API_PORTS, reason: 'cert-manager controllers' });
    network.allow(this, { from: pods, to: Peers.INTERNET, ports: [{ port: 443 }], reason: "Let's Encrypt ACME API" });
    if (dns) {
      // DNS-01: the propagation check asks the domain's authoritative name servers directly.
      network.allow(this, { from: pods, to: Peers.INTERNET, ports: [{ port: 53, protocol: 'UDP' }, { port: 53 }], reason: 'DNS-01 propagation check' });
    }
    // The HTTP-01 self-check fetches the challenge through the host's public address, which
    // may be the node's own (private) address.
    network.allow(this, { from: pods, to: Peers.WORLD, ports: [{ port: 80 }], reason: 'HTTP-01 self-check' });
    network.allow(this, {
      from: Peers.WORLD,
      to: { namespace: this.namespace, podLabels: { 'app.kubernetes.io/instance': 'cert-manager', 'app.kubernetes.io/component': 'webhook' }, name: 'cert-manager-webhook' },
      ports: [{ port: 10250 }],
      reason: 'the API server calls the admission webhook',
    });

    for (const issuer of Object.values(AcmeIssuers)) {
      new ClusterIssuer(this, issuer.name, {
        metadata: {
          name: issuer.name,
          labels: { 'app.kubernetes.io/name': 'cert-manager', 'app.kubernetes.io/component': 'issuer', 'app.kubernetes.io/part-of': PART_OF, 'app.kubernetes.io/managed-by': MANAGED_BY },
          annotations: needsCrd(),
        },
        spec: {
          acme: {
            email: this.platform.acmeEmail,
            server: issuer.server,
            // The ACME account key; cert-manager creates this Secret itself on first use.
            privateKeySecretRef: { name: `${issuer.name}-account-key` },
            solvers: [this.dnsToken
              ? { dns01: { digitalocean: { tokenSecretRef: { name: this.dnsToken.name, key: this.dnsToken.key } } } }
              : { http01: { ingress: { ingressClassName: this.platform.ingressClass.name } } }],
          },
        },
      });
    }
  }

  /** The DNS-01 token, when DigitalOcean DNS solves the challenges. */
  public get secretReferences(): SecretKeyReference[] {
    return this.dnsToken ? [this.dnsToken] : [];
  }

  /**
   * Lets Prometheus scrape the controller: the chart's controller Service exposes 9402 as port
   * `http-metrics` (`prometheus.enabled`, default true; chart v1.21 `templates/service.yaml`, which
   * renamed it from `tcp-prometheus-servicemonitor`). Called by Monitoring; idempotent.
   */
  public enableMetrics(): void {
    if (this.node.tryFindChild('Metrics')) return;
    const scope = new Construct(this, 'Metrics');
    const controller = { 'app.kubernetes.io/instance': 'cert-manager', 'app.kubernetes.io/component': 'controller' };
    addScrapeTarget(scope, 'ServiceMonitor', {
      name: 'cert-manager',
      labels: { 'app.kubernetes.io/name': 'cert-manager', 'app.kubernetes.io/component': 'metrics', 'app.kubernetes.io/part-of': PART_OF, 'app.kubernetes.io/managed-by': MANAGED_BY },
      serviceSelector: controller,
      portName: 'http-metrics',
      pods: { namespace: this.namespace, podLabels: controller, name: 'cert-manager-controller' },
      containerPort: 9402,
    });
  }
}
