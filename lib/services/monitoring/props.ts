// Monitoring's props: Prometheus, Loki, Grafana and the wiring to the ingress controller and cert-manager.
import type { ResourceSpec } from '../../core/security';
import type { CertManager } from '../cert-manager';
import type { IngressController } from '../ingress-controller';
import type { AlertOptions } from './alerts';

export interface PrometheusOptions {
  /** How long samples are kept. @default '7d' */
  readonly retention?: string;
  /** Size of the Prometheus PVC; the TSDB is capped at 85% of it. @default '8Gi' */
  readonly storageSize?: string;
  /** @default - the cluster profile's data StorageClass (else the cluster's default class) */
  readonly storageClass?: string;
  /** @default '60s' */
  readonly scrapeInterval?: string;
  /** @default 50m / 128Mi requested, 512Mi memory limit */
  readonly resources?: ResourceSpec;
}

export interface LokiOptions {
  /** How long log lines are kept (the compactor deletes older chunks). @default '168h' */
  readonly retention?: string;
  /** Size of Loki's PVC. @default '5Gi' */
  readonly storageSize?: string;
  /** @default - the cluster profile's data StorageClass (else the cluster's default class) */
  readonly storageClass?: string;
  /** @default 20m / 96Mi requested, 384Mi memory limit */
  readonly resources?: ResourceSpec;
}

export interface GrafanaOptions {
  /**
   * Secret in the monitoring namespace with keys `admin-user` and `admin-password`; Grafana reads
   * its admin login from it, so the password is never in dist/. @default 'grafana-admin'
   */
  readonly adminSecret?: string;
  /** Public host of Grafana, served with TLS. @default - `grafana.<platform domain>` */
  readonly host?: string;
  /** Serve Grafana publicly. @default true */
  readonly routed?: boolean;
}

export interface MonitoringProps {
  /**
   * Namespace of the whole stack. Not `shared`: node-exporter (host network, host PID) and Alloy
   * (host /var/log) need the privileged Pod Security level, which must not extend to the namespace
   * that holds Redis and PostgreSQL. @default 'monitoring'
   */
  readonly namespace?: string;
  /** @default - defaults of PrometheusOptions */
  readonly prometheus?: PrometheusOptions;
  /** @default - defaults of LokiOptions */
  readonly loki?: LokiOptions;
  /** @default - defaults of GrafanaOptions */
  readonly grafana?: GrafanaOptions;
  /**
   * Run an Alertmanager (one replica, 10m / 32Mi). Off by default: nothing would receive its
   * notifications until receivers are configured, and the alerts stay visible in Grafana and
   * Prometheus without it. @default false
   */
  readonly alertmanager?: boolean;
  /**
   * Addresses of the nodes, for the kubelet (10250) and node-exporter (9100) scrapes. @default
   * '0.0.0.0/0' (only those two ports); narrow it to the node subnet when it is known
   */
  readonly nodeCidr?: string;
  /** Scrape Traefik (a metrics Service and ServiceMonitor next to it). @default - not scraped */
  readonly ingressController?: IngressController;
  /** Scrape cert-manager (certificate expiry). @default - not scraped */
  readonly certManager?: CertManager;
  /** Thresholds of the platform alerts. @default DEFAULT_ALERT_OPTIONS */
  readonly alerts?: Partial<AlertOptions>;
}
