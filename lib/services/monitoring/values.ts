/**
 * The subset of the monitoring charts' values that the platform sets, typed so that a typo is a
 * compile error. `__tests__/helm-values.test.ts` checks the rendered values against each chart's
 * values.yaml (kube-prometheus-stack, alloy: no schema) or values.schema.json (loki).
 *
 * Keys under kube-prometheus-stack's subcharts (grafana, kube-state-metrics,
 * prometheus-node-exporter) are checked against the subcharts' own values.yaml.
 */
import type { ChartResources } from '../../core/helm-values';
import type { GrafanaDatabaseValues } from './grafana-database';

/** A PVC template as the Prometheus operator takes it (`storageSpec.volumeClaimTemplate`). */
export interface StorageSpec {
  readonly volumeClaimTemplate: {
    readonly spec: {
      readonly storageClassName?: string;
      readonly accessModes: readonly string[];
      readonly resources: { readonly requests: { readonly storage: string } };
    };
  };
}

/** A Grafana datasource as the grafana chart's provisioning file takes it. */
export interface GrafanaDatasource {
  readonly name: string;
  readonly uid: string;
  readonly type: string;
  readonly url: string;
  readonly access: 'proxy';
  readonly isDefault?: boolean;
  readonly jsonData?: Record<string, unknown>;
}

type Toggle = { readonly enabled: boolean };

/** kube-prometheus-stack 88.x, values used by the platform. */
export interface KubePrometheusStackValues {
  readonly crds: Toggle;
  readonly defaultRules: { readonly create: boolean; readonly rules: Record<string, boolean> };
  readonly windowsMonitoring: Toggle;
  readonly alertmanager: Toggle & {
    readonly alertmanagerSpec?: { readonly replicas: number; readonly retention: string; readonly resources: ChartResources };
  };
  /** With a database, also GrafanaDatabaseValues (`grafana.ini` `[database]`, `envValueFrom`). */
  readonly grafana: Toggle & Partial<GrafanaDatabaseValues> & {
    readonly defaultDashboardsEnabled: boolean;
    readonly defaultDashboardsTimezone: string;
    readonly admin: { readonly existingSecret: string };
    readonly sidecar: {
      readonly dashboards: Toggle & { readonly label: string; readonly labelValue: string; readonly searchNamespace: string };
      readonly datasources: Toggle & { readonly uid: string; readonly alertmanager: Toggle };
      /** One key for both sidecar containers (dashboards, datasources). */
      readonly resources: ChartResources;
    };
    readonly additionalDataSources: readonly GrafanaDatasource[];
    readonly resources: ChartResources;
    /** The chart's `helm test` Pod. */
    readonly testFramework: Toggle;
  };
  readonly 'kube-state-metrics': { readonly resources: ChartResources };
  readonly 'prometheus-node-exporter': { readonly resources: ChartResources };
  readonly kubeControllerManager: Toggle;
  readonly kubeScheduler: Toggle;
  readonly kubeProxy: Toggle;
  readonly kubeEtcd: Toggle;
  readonly coreDns: Toggle;
  readonly kubelet: { readonly enabled: boolean; readonly jobNameOverride: string };
  readonly prometheusOperator: {
    readonly tls: Toggle;
    readonly admissionWebhooks: Toggle;
    readonly resources: ChartResources;
    readonly prometheusConfigReloader: { readonly resources: ChartResources };
  };
  readonly prometheus: {
    readonly prometheusSpec: {
      readonly replicas: number;
      readonly retention: string;
      readonly retentionSize: string;
      readonly scrapeInterval: string;
      readonly walCompression: boolean;
      readonly resources: ChartResources;
      readonly storageSpec: StorageSpec;
      readonly serviceMonitorSelectorNilUsesHelmValues: boolean;
      readonly podMonitorSelectorNilUsesHelmValues: boolean;
      readonly ruleSelectorNilUsesHelmValues: boolean;
      readonly probeSelectorNilUsesHelmValues: boolean;
      readonly scrapeConfigSelectorNilUsesHelmValues: boolean;
    };
  };
}

/** loki 18.x (grafana-community), values used by the platform. */
export interface LokiValues {
  readonly deploymentMode: 'Monolithic';
  readonly loki: {
    readonly auth_enabled: boolean;
    readonly commonConfig: { readonly replication_factor: number };
    readonly storage: { readonly type: 'filesystem' };
    readonly schemaConfig: {
      readonly configs: ReadonlyArray<{
        readonly from: string;
        readonly store: 'tsdb';
        readonly object_store: 'filesystem';
        readonly schema: 'v13';
        readonly index: { readonly prefix: string; readonly period: '24h' };
      }>;
    };
    readonly limits_config: { readonly retention_period: string };
    readonly compactor: { readonly retention_enabled: boolean; readonly delete_request_store: 'filesystem'; readonly working_directory: string };
    readonly analytics: { readonly reporting_enabled: boolean };
  };
  readonly singleBinary: {
    readonly replicas: number;
    readonly sidecar: boolean;
    readonly resources: ChartResources;
    readonly persistence: {
      readonly enabled: boolean;
      readonly size: string;
      readonly storageClass?: string;
      readonly whenDeleted: 'Retain';
      readonly whenScaled: 'Retain';
    };
  };
  readonly read: { readonly replicas: number };
  readonly write: { readonly replicas: number };
  readonly backend: { readonly replicas: number };
  readonly gateway: Toggle;
  readonly chunksCache: Toggle;
  readonly resultsCache: Toggle;
  readonly minio: Toggle;
  readonly lokiCanary: Toggle;
  readonly test: Toggle;
  readonly monitoring: { readonly serviceMonitor: Toggle };
}

/** alloy 1.x (grafana), values used by the platform. */
export interface AlloyValues {
  readonly crds: { readonly create: boolean };
  readonly alloy: {
    readonly configMap: { readonly create: boolean; readonly content: string };
    readonly mounts: { readonly varlog: boolean };
    readonly enableReporting: boolean;
    readonly resources: ChartResources;
  };
  /** The chart's default has requests only, and the checker allows no key it does not list. */
  readonly configReloader: { readonly resources: { readonly requests: ChartResources['requests'] } };
  readonly controller: { readonly type: 'daemonset' };
  readonly serviceMonitor: Toggle;
}
