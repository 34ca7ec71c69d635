// Monitoring's props: Prometheus, Loki, Grafana and the wiring to the ingress controller and
// cert-manager, and their run-time checks.
import { NameRules } from '../../core/names';
import { Rule, Rules, ShapeOf } from '../../core/prop-schema';
import type { ResourceSpec } from '../../core/security';
import type { CertManager } from '../cert-manager';
import type { IngressController } from '../ingress-controller';
import type { AlertOptions } from './alerts';
import type { DatabaseProvider } from '../../core/handles';
import { IPV4_CIDR } from '../../core/validate';

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

/** Where Grafana keeps its own state. */
export interface GrafanaDatabaseOptions {
  /**
   * The server that holds Grafana's database (the SharedPostgres of main.ts). It provisions a
   * database and role for Grafana like for any app, so its backups, point-in-time recovery,
   * off-site copies and restore drill cover Grafana's state.
   */
  readonly server: DatabaseProvider;
  /** Database and role name. @default 'grafana' */
  readonly name?: string;
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
  /**
   * Grafana's own state (users, teams, preferences, stars, dashboards and folders made in the UI,
   * annotations, service accounts, alert silences) in a database of this server.
   * @default - SQLite inside the pod, lost on every restart (the README's data-safety table says so)
   */
  readonly database?: GrafanaDatabaseOptions;
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

const handle = (what: string, method: string): Rule => Rules.is((x) => typeof (x as Record<string, unknown> | null)?.[method] === 'function', what, `pass the ${what} construct declared in main.ts, or leave it out`);

/** A regex Prometheus can take inside `=~"..."`: it compiles, and has no quote or line break to end the string. */
const promRegex: Rule<string> = (v, field, value) => {
  if (typeof value !== 'string') return Rules.string()(v, field, value);
  let compiles = true;
  try {
    new RegExp(value);
  } catch {
    compiles = false;
  }
  if (!compiles || /["\\\n\r\0`]/.test(value) || value === '') {
    v.report(field, value, compiles ? 'has a quote, backslash, backtick or line break, which would end the PromQL string it is written into' : 'is not a regular expression', 'use a plain RE2 pattern such as ".*backup.*"');
    return undefined;
  }
  return value;
};

/** Monitoring's props, checked at run time (core/prop-schema.ts). */
export const MONITORING_PROPS = {
  // Checked by the platform when it makes the namespace chart.
  namespace: Rules.any(),
  prometheus: Rules.object<PrometheusOptions>({
    retention: Rules.prometheusDuration(),
    storageSize: Rules.quantity('memory'),
    storageClass: Rules.name(NameRules.DNS1123_SUBDOMAIN),
    scrapeInterval: Rules.prometheusDuration('"30s" or "60s"'),
    resources: Rules.resources({ cpuRequest: '50m', memoryRequest: '128Mi', memoryLimit: '512Mi' }),
  }),
  loki: Rules.object<LokiOptions>({
    retention: Rules.prometheusDuration('"168h" or "7d"'),
    storageSize: Rules.quantity('memory'),
    storageClass: Rules.name(NameRules.DNS1123_SUBDOMAIN),
    resources: Rules.resources({ cpuRequest: '20m', memoryRequest: '96Mi', memoryLimit: '384Mi' }),
  }),
  grafana: Rules.object<GrafanaOptions>({
    adminSecret: Rules.name(NameRules.DNS1123_SUBDOMAIN),
    host: Rules.name(NameRules.HOSTNAME, 'use a host such as "grafana.example.com"'),
    routed: Rules.boolean(),
    database: Rules.object<GrafanaDatabaseOptions>({
      server: Rules.required(Rules.is((x) => typeof (x as { addDatabase?: unknown } | null)?.addDatabase === 'function', 'a database server', 'pass the SharedPostgres of main.ts'), undefined, 'pass database: { server: postgres } with the SharedPostgres of main.ts'),
      name: Rules.string('use a lower-case PostgreSQL identifier such as "grafana"'),
    }),
  }),
  alertmanager: Rules.boolean(),
  nodeCidr: Rules.pattern(IPV4_CIDR, 'an IPv4 CIDR', 'use the node subnet, e.g. "10.110.0.0/20"'),
  ingressController: handle('IngressController', 'enableMetrics'),
  certManager: handle('CertManager', 'enableMetrics'),
  alerts: Rules.object<Partial<AlertOptions>>({
    backupCronJobPattern: promRegex,
    backupMaxAgeHours: Rules.integer(1, 8760, 'use a little more than the backup interval, e.g. 26 for a daily backup'),
    certificateExpiryDays: Rules.integer(1, 89, "use e.g. 14 (Let's Encrypt certificates last 90 days and renew at 30)"),
    volumeFullRatio: Rules.number(0.1, 0.99, 'use a share such as 0.8'),
    walArchiveMaxAgeSeconds: Rules.integer(60, 86400, 'use about twice the RPO, e.g. 600'),
    uploadMaxAgeHours: Rules.integer(1, 168, 'use e.g. 1'),
    backupShrinkRatio: Rules.number(0.01, 0.99, 'use a share such as 0.5'),
  }),
} satisfies ShapeOf<MonitoringProps>;
