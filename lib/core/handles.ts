// Contracts between shared services and the apps that use them (database and cache handles, Secret
// references).
import { k8s } from 'cdk8s-plus-28';
import { IConstruct } from 'constructs';

/**
 * Contracts between shared services and the apps that use them. An app asks a provider for a
 * database or cache and receives a handle; the provider owns every name, port and Secret key.
 */

/** Where a server listens, for connection settings and NetworkPolicies. */
export interface ServerEndpoint {
  readonly namespace: string;
  /** In-cluster DNS name of the client Service. */
  readonly host: string;
  readonly port: number;
  /** Labels of the server's pods. */
  readonly podLabels: Record<string, string>;
}

/** A Secret key an app's pods read; the secrets tooling creates it. */
export interface SecretKeyReference {
  readonly namespace: string;
  readonly name: string;
  readonly key: string;
  /** How the value comes to be, for the bootstrap instructions. */
  readonly description: string;
  /**
   * Where the value comes from, for `npm run secrets`.
   * @default - provided by the user, read from an environment variable named after the Secret and key
   */
  readonly value?: SecretValue;
  /** The Secret's type. @default 'Opaque' */
  readonly type?: 'Opaque' | 'kubernetes.io/dockerconfigjson';
  /**
   * Labels the Secret carries, for a controller that finds it by them (Argo CD's
   * `argocd.argoproj.io/secret-type: repository`). @default - none
   */
  readonly labels?: Readonly<Record<string, string>>;
}

/** How a Secret value comes to be. */
export type SecretValue =
  | {
    /** Random: `length` characters of [A-Za-z0-9] (URL-safe, so it can sit in a connection URL). */
    readonly kind: 'generated';
    /** @default 32 */
    readonly length?: number;
    /**
     * Keys with the same group get the same value (an app's password in its own namespace and in
     * the server's). @default - a value of its own
     */
    readonly group?: string;
  }
  | {
    /** Supplied by the user (cloud credentials, a registry login). */
    readonly kind: 'provided';
    /** Environment variable `npm run secrets -- --kubectl` reads it from (else it prompts). */
    readonly env: string;
  }
  | {
    /**
     * Not secret, and known to the constructs (an Argo CD repository's `type` and `url`): written
     * as is by the secrets tooling; it still never appears in dist/.
     */
    readonly kind: 'literal';
    readonly value: string;
  };

/** The app side of a connection request: who is asking, and in which namespace its pods run. */
export interface ServiceConsumer extends IConstruct {
  /** DNS-1123 name of the app (`novahost`). */
  readonly appName: string;
  /** Namespace of the app's pods, where its connection Secrets live. */
  readonly namespace: string;
}

/** How database settings reach a container. */
export const DatabaseEnvStyles = {
  /** `PGHOST`, `PGPORT`, `PGDATABASE`, `PGUSER`, `PGPASSWORD` and `DATABASE_URL` (libpq and most ORMs). */
  URL: 'url',
  /** `DB_HOST`, `DB_PORT`, `DB_NAME`, `DB_USER`, `DB_PASSWORD` (frameworks that assemble their own DSN). */
  DISCRETE: 'discrete',
} as const;
export type DatabaseEnvStyle = (typeof DatabaseEnvStyles)[keyof typeof DatabaseEnvStyles];

export interface DatabaseOptions {
  /** Database name. @default - derived from the app name */
  readonly name?: string;
  /** Extensions to create in the database (e.g. `timescaledb`, `pgcrypto`). @default [] */
  readonly extensions?: string[];
}

/** One app's database on a shared PostgreSQL. */
export interface DatabaseHandle {
  readonly consumer: ServiceConsumer;
  readonly database: string;
  readonly role: string;
  readonly server: ServerEndpoint;
  /** The Secret (in the app's namespace) that holds the role's password. */
  readonly password: SecretKeyReference;
  /** Environment variables for a container, in the order `$(VAR)` expansion needs. */
  envVars(style?: DatabaseEnvStyle): k8s.EnvVar[];
}

/** Something that hands out databases (SharedPostgres). */
export interface DatabaseProvider {
  addDatabase(consumer: ServiceConsumer, options?: DatabaseOptions): DatabaseHandle;
}

export interface CacheOptions {
  /** Logical database index; see the provider for how indexes stay stable. */
  readonly index?: number;
  /** Confine the app's ACL user to keys `<app>:*` (the secure mode). @default provider's default */
  readonly keyPrefix?: boolean;
}

/** One app's logical database and ACL user on a shared Redis. */
export interface CacheHandle {
  readonly consumer: ServiceConsumer;
  readonly user: string;
  readonly index: number;
  /** Key prefix the user is confined to, if any (`novahost:`). */
  readonly keyPrefix?: string;
  readonly server: ServerEndpoint;
  readonly password: SecretKeyReference;
  /** `REDIS_PASSWORD` (secret) then `REDIS_URL` assembled from it at runtime. */
  envVars(): k8s.EnvVar[];
}

/** Something that hands out caches (SharedRedis). */
export interface CacheProvider {
  addCache(consumer: ServiceConsumer, options?: CacheOptions): CacheHandle;
}
