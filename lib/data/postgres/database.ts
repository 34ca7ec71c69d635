// The handle an app receives for its database on a SharedPostgres: names, the server, the
// password Secrets and the environment variables that connect to it.
import { k8s } from 'cdk8s-plus-28';
import { DatabaseEnvStyle, DatabaseEnvStyles, DatabaseHandle, SecretKeyReference, ServerEndpoint, ServiceConsumer } from '../../core/handles';

/** One app's database on a {@link SharedPostgres}. */
export class PostgresDatabase implements DatabaseHandle {
  constructor(
    public readonly consumer: ServiceConsumer,
    public readonly database: string,
    public readonly role: string,
    public readonly extensions: readonly string[],
    public readonly server: ServerEndpoint,
    /** In the app's namespace; its pods read it. */
    public readonly password: SecretKeyReference,
    /** In the PostgreSQL namespace, same value; the provisioning Job reads it. */
    public readonly serverSidePassword: SecretKeyReference,
  ) {}

  /**
   * `url`: PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, then DATABASE_URL built from them by
   * Kubernetes' `$(VAR)` expansion (which sees only earlier variables). The password is inserted
   * into the URL as is, so it must be URL-safe: generate it alphanumeric (see bootstrap).
   */
  public envVars(style: DatabaseEnvStyle = DatabaseEnvStyles.URL): k8s.EnvVar[] {
    const secret = { valueFrom: { secretKeyRef: { name: this.password.name, key: this.password.key } } };
    if (style === DatabaseEnvStyles.DISCRETE) {
      return [
        { name: 'DB_HOST', value: this.server.host },
        { name: 'DB_PORT', value: String(this.server.port) },
        { name: 'DB_NAME', value: this.database },
        { name: 'DB_USER', value: this.role },
        { name: 'DB_PASSWORD', ...secret },
      ];
    }
    return [
      { name: 'PGHOST', value: this.server.host },
      { name: 'PGPORT', value: String(this.server.port) },
      { name: 'PGDATABASE', value: this.database },
      { name: 'PGUSER', value: this.role },
      { name: 'PGPASSWORD', ...secret },
      { name: 'DATABASE_URL', value: 'postgresql://$(PGUSER):$(PGPASSWORD)@$(PGHOST):$(PGPORT)/$(PGDATABASE)' },
    ];
  }
}
