import { parser } from '@prometheus-io/lezer-promql';
import { DEFAULT_ALERT_OPTIONS, platformAlerts } from '../../lib/services/monitoring/monitoring';
import { Datasources, loadDashboards } from '../../lib/services/monitoring/dashboards';

/**
 * Metric names the exporters emit, by source (metric names as documented at the versions the
 * platform pins). A query that names anything else is a typo or a metric that is not scraped.
 */
const KNOWN_METRICS: Record<string, readonly string[]> = {
  // Prometheus itself: synthetic series.
  'prometheus': ['up', 'ALERTS'],
  // kube-state-metrics 2.x (kube-prometheus-stack 88.5.3 subchart 8.4.0), docs/metrics/.
  'kube-state-metrics': [
    'kube_pod_container_status_restarts_total', 'kube_pod_container_status_waiting_reason', 'kube_pod_status_ready', 'kube_pod_info',
    'kube_pod_container_resource_requests', 'kube_node_status_condition', 'kube_cronjob_status_last_successful_time', 'kube_cronjob_info',
    'kube_cronjob_created', 'kube_job_status_failed', 'kube_job_owner',
    // docs/metrics/workload/cronjob-metrics.md (STABLE).
    'kube_cronjob_next_schedule_time', 'kube_cronjob_status_last_schedule_time',
  ],
  // kubelet /metrics (volume stats) and /metrics/cadvisor.
  'kubelet': ['kubelet_volume_stats_used_bytes', 'kubelet_volume_stats_capacity_bytes', 'container_memory_working_set_bytes', 'container_cpu_usage_seconds_total', 'machine_memory_bytes'],
  // node_exporter (prometheus-node-exporter subchart), collectors meminfo and cpu.
  'node-exporter': ['node_memory_MemAvailable_bytes', 'node_memory_MemTotal_bytes', 'node_cpu_seconds_total'],
  // cert-manager controller, pkg/metrics.
  'cert-manager': ['certmanager_certificate_expiration_timestamp_seconds'],
  // oliver006/redis_exporter README.
  'redis_exporter': ['redis_up', 'redis_memory_used_bytes', 'redis_memory_max_bytes', 'redis_connected_clients', 'redis_commands_processed_total', 'redis_db_keys', 'redis_evicted_keys_total', 'redis_expired_keys_total'],
  // prometheus-community/postgres_exporter default collectors (database, stat_database).
  // pg_stat_archiver (collector/pg_stat_archiver.go at v0.20.1: archived_count, failed_count, last_archive_age).
  'postgres_exporter': [
    'pg_up', 'pg_stat_database_numbackends', 'pg_stat_database_xact_commit', 'pg_stat_database_xact_rollback', 'pg_database_size_bytes',
    'pg_stat_database_tup_inserted', 'pg_stat_database_tup_updated', 'pg_stat_database_tup_deleted',
    'pg_stat_archiver_archived_count', 'pg_stat_archiver_failed_count', 'pg_stat_archiver_last_archive_age',
  ],
  // Traefik v3 Prometheus metrics (docs: observability/metrics/prometheus).
  'traefik': ['traefik_service_requests_total', 'traefik_service_request_duration_seconds_bucket', 'traefik_open_connections'],
};
const KNOWN = new Set(Object.values(KNOWN_METRICS).flat());

/** Parses with Prometheus' own grammar; returns syntax problems and the metric names selected. */
function parsePromQL(expr: string): { errors: string[]; metrics: string[] } {
  const tree = parser.parse(expr);
  const errors: string[] = [];
  const metrics: string[] = [];
  tree.iterate({
    enter(n) {
      if (n.type.isError) errors.push(`syntax error at ${n.from}: "${expr.slice(Math.max(0, n.from - 10), n.to + 10)}"`);
      if (n.name === 'Identifier' && n.node.parent?.name === 'VectorSelector') metrics.push(expr.slice(n.from, n.to));
    },
  });
  return { errors, metrics };
}

/** Grafana's variables, replaced as Grafana does before the query reaches Prometheus. */
function interpolate(expr: string): string {
  return expr.replace(/\$__rate_interval/g, '5m').replace(/\$namespace/g, 'novahost');
}

describe('PromQL of the alert rules', () => {
  const rules = Object.values(platformAlerts(DEFAULT_ALERT_OPTIONS)).flat();

  it('the parser rejects what Prometheus rejects', () => {
    expect(parsePromQL('sum(rate(up[5m])').errors).not.toEqual([]);
    expect(parsePromQL('up{job="x"} == 0 and on() absent(up)').errors).toEqual([]);
  });

  it.each(rules.map((r) => [r.alert, r]))('%s parses and names only emitted metrics', (_name, rule) => {
    const { errors, metrics } = parsePromQL(rule.expr);
    expect(errors).toEqual([]);
    expect(metrics.length).toBeGreaterThan(0);
    expect(metrics.filter((m) => !KNOWN.has(m))).toEqual([]);
    expect(rule.for).toMatch(/^[0-9]+[smhd]$/);
    expect(rule.summary).not.toEqual('');
  });

  it('covers what the platform must alert on', () => {
    const all = rules.map((r) => r.expr).join('\n');
    for (const m of ['redis_up', 'pg_up', 'kubelet_volume_stats_used_bytes', 'kube_cronjob_status_last_successful_time', 'kube_job_status_failed',
      'certmanager_certificate_expiration_timestamp_seconds', 'kube_pod_container_status_waiting_reason', 'kube_node_status_condition']) {
      expect(all).toContain(m);
    }
    expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length);
  });
});

describe('dashboards/', () => {
  const dashboards = loadDashboards();
  const datasourceUids = new Set<string>(Object.values(Datasources).map((d) => d.uid));

  it('has the platform, data service, ingress and app dashboards, each with its own uid', () => {
    expect(dashboards.map((d) => d.name)).toEqual(expect.arrayContaining(['platform-overview', 'postgresql', 'redis', 'traefik', 'apps']));
    expect(new Set(dashboards.map((d) => d.uid)).size).toBe(dashboards.length);
  });

  describe.each(dashboards.map((d) => [d.name, d]))('%s', (_name, d) => {
    const json = JSON.parse(d.json);
    const panels: any[] = json.panels;

    it('names existing datasources on every panel and target, and every target has a query', () => {
      expect(panels.length).toBeGreaterThan(0);
      expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
      for (const p of panels) {
        expect(datasourceUids).toContain(p.datasource?.uid);
        expect(p.targets.length).toBeGreaterThan(0);
        for (const t of p.targets) {
          expect(datasourceUids).toContain((t.datasource ?? p.datasource).uid);
          expect(typeof t.expr).toBe('string');
          expect(t.expr.trim()).not.toEqual('');
        }
      }
    });

    it('queries Prometheus in valid PromQL with emitted metrics only', () => {
      const queries = [
        ...panels.flatMap((p) => p.targets.filter((t: any) => (t.datasource ?? p.datasource).uid === Datasources.PROMETHEUS.uid).map((t: any) => t.expr)),
        ...(json.templating?.list ?? []).map((v: any) => v.query?.query).filter((q: string) => q && !q.startsWith('label_values(')),
      ];
      for (const expr of queries) {
        const { errors, metrics } = parsePromQL(interpolate(expr));
        expect({ expr, errors }).toEqual({ expr, errors: [] });
        expect({ expr, unknown: metrics.filter((m) => !KNOWN.has(m)) }).toEqual({ expr, unknown: [] });
      }
    });
  });
});
