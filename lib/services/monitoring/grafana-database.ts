// Grafana's own state (users, teams, preferences, stars, UI-made dashboards and folders,
// annotations, service accounts and tokens, alerting silences): a database asked of a shared
// PostgreSQL through the core DatabaseProvider contract, the chart values that point Grafana at it,
// the network rule, and what the README's data-safety table says with or without it.
import { Construct } from 'constructs';
import type { BackupRow } from '../../core/backups';
import type { DatabaseHandle, DatabaseProvider, ServiceConsumer } from '../../core/handles';
import { NetworkPolicies, PodPeer } from '../../network/network-policies';

/** `[database]` of grafana.ini, as the grafana chart renders it into its ConfigMap. */
export interface GrafanaDatabaseIni {
  readonly type: 'postgres';
  /** Host without the port; `port` carries it (see grafanaDatabaseValues). */
  readonly host: string;
  readonly port: number;
  readonly name: string;
  readonly user: string;
  readonly ssl_mode: 'disable';
}

/** The grafana chart values that move Grafana's database out of the pod. */
export interface GrafanaDatabaseValues {
  readonly 'grafana.ini': { readonly database: GrafanaDatabaseIni };
  /** The chart's `envValueFrom`: one `valueFrom` per variable of the grafana container. */
  readonly envValueFrom: Readonly<Record<string, { readonly secretKeyRef: { readonly name: string; readonly key: string } }>>;
}

/** The consumer SharedPostgres sees: app "grafana" in the monitoring namespace. */
class GrafanaDatabaseClient extends Construct implements ServiceConsumer {
  public readonly appName = 'grafana';
  constructor(scope: Construct, id: string, public readonly namespace: string) {
    super(scope, id);
  }
}

/**
 * Asks `server` for Grafana's database and role (named "grafana" unless `name` says otherwise), as
 * any app does: the server provisions them, declares the password in both namespaces, and never
 * drops them.
 */
export function addGrafanaDatabase(scope: Construct, namespace: string, server: DatabaseProvider, name?: string): DatabaseHandle {
  // Its own construct id: the consumer's path is how the server tells its clients apart.
  const client = new GrafanaDatabaseClient(scope, 'GrafanaDatabase', namespace);
  return server.addDatabase(client, name === undefined ? {} : { name });
}

/**
 * Facts from Grafana's source (grafana/grafana `pkg/services/sqlstore/database_config.go`,
 * `sqlstore.go`; the index holds versions of the 11-13 era, not one pinned to the chart's
 * appVersion 13.2.0, so the settings below are chosen to mean the same in each):
 * - `[database]` keys: `type` (`postgres`), `host`, `name`, `user`, `password`, `ssl_mode`; the
 *   connection string is libpq key=value with `password=<value>` unquoted, so the password must
 *   have no space or quote (the server generates it alphanumeric).
 * - `host` is split into host and port (port 5432 when missing); one stored version instead
 *   appends `":" + port` from a `port` key. Host without a port, plus `port`, is right for both.
 * - `ssl_mode` goes to lib/pq as `sslmode`; lib/pq requires TLS when it is empty, and SharedPostgres
 *   serves no TLS (its pg_hba.conf has `host` rows, its exporter connects with sslmode=disable).
 *   The traffic stays inside the cluster, between two namespaces the NetworkPolicies pin.
 * - Every key can be set by `GF_<SECTION>_<KEY>` (docs: "Override configuration with environment
 *   variables"); `GF_DATABASE_PASSWORD` carries the password from the Secret, so it is in neither
 *   the ConfigMap nor dist/ (the chart's `assertNoLeakedSecrets` also refuses a literal
 *   `database.password`).
 * - On start Grafana runs its migrations (`Migrate` in `sqlstore.ProvideService`), which create
 *   every table in an empty database as the configured user, under a migration lock (on PostgreSQL
 *   an advisory lock, `migration_locking` defaults to true), then creates the admin user (from the
 *   admin Secret) and the main org when the user table is empty. The role owns its database, and
 *   on PostgreSQL 15+ the `public` schema of a database made from template0 belongs to the owner,
 *   so it may create tables there (__tests__/postgres/provisioning.test.ts runs that as the role).
 * - Grafana does not wait for its database: an unreachable or missing database fails the start
 *   (`failed to connect to database` / the first migration query), the process exits and the
 *   kubelet restarts it with back-off until provisioning has run. Hence Monitoring puts the
 *   kube-prometheus-stack release in the database's sync wave when Grafana has a database.
 * - Unified storage (dashboards in Grafana 12+) uses `[resource_api]` when it names a database type,
 *   else "the core Grafana database config" (`pkg/storage/unified/sql/db/dbimpl`): the same one.
 *   Its search index (`unified_storage.index_path`) stays in the pod and is rebuilt.
 * - Alerting keeps silences and the notification log in the `kvstore` table
 *   (`ngalert/notifier/file_store.go`), so they move to PostgreSQL too.
 */
export function grafanaDatabaseValues(db: DatabaseHandle): GrafanaDatabaseValues {
  const host = db.server.host;
  return {
    'grafana.ini': { database: { type: 'postgres', host, port: db.server.port, name: db.database, user: db.role, ssl_mode: 'disable' } },
    envValueFrom: { GF_DATABASE_PASSWORD: { secretKeyRef: { name: db.password.name, key: db.password.key } } },
  };
}

/** Grafana's pods may open connections to the database server's port, and nothing more of it. */
export function allowGrafanaDatabase(scope: Construct, grafana: PodPeer, db: DatabaseHandle): void {
  const server = db.server;
  const name = server.podLabels['app.kubernetes.io/instance'] ?? 'database';
  NetworkPolicies.of(scope).allow(scope, {
    from: grafana, to: { namespace: server.namespace, podLabels: server.podLabels, name }, ports: [{ port: server.port }], reason: 'Grafana stores its state in its database',
  });
}

/** The grafana subchart's Deployment (release kube-prometheus-stack; facts/charts/reference). */
const GRAFANA_DEPLOYMENT = 'kube-prometheus-stack-grafana';

/** The README row of Grafana's state, with or without a database. */
export function grafanaBackupRows(namespace: string, adminSecret: string, db: DatabaseHandle | undefined): BackupRow[] {
  const git = {
    state: 'Grafana dashboards and data sources',
    what: `the JSON files in \`dashboards/\` and the chart values; the admin login is the Secret \`${namespace}/${adminSecret}\``,
    where: 'Git; `npm run secrets`',
    schedule: 'every commit',
    restore: 'Argo CD re-creates them',
  };
  const what = 'users, teams, preferences, stars, dashboards and folders made in the UI, annotations, service accounts and tokens, alert silences';
  if (!db) {
    return [git, {
      state: `Grafana's own state \`${namespace}/${GRAFANA_DEPLOYMENT}\``,
      what: `${what}, in SQLite on the pod's emptyDir`,
      where: 'the pod only',
      schedule: '-',
      restore: 'not backed up: lost whenever the pod is replaced (upgrade, eviction, node drain); give Monitoring `grafana: { database: { server: postgres } }`',
    }];
  }
  const server = `PostgreSQL \`${db.server.namespace}/${db.server.podLabels['app.kubernetes.io/instance'] ?? db.server.host}\``;
  return [git, {
    state: `Grafana's own state \`${namespace}/${GRAFANA_DEPLOYMENT}\``,
    what: `${what}: database \`${db.database}\` on ${server}`,
    where: `with every database of ${server} (its row)`,
    schedule: 'as that server',
    restore: `with the server, or alone: \`npm run -s postgres-restore -- ${db.database} --to '<time>'\`; then \`kubectl -n ${namespace} rollout restart deployment/${GRAFANA_DEPLOYMENT}\``,
  }];
}
