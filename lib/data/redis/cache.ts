// The handle an app receives for its cache on a SharedRedis: ACL user, logical database, key
// prefix, password Secrets and the environment variables that connect to it.
import { k8s } from 'cdk8s-plus-28';
import { IConstruct } from 'constructs';
import { pathOf } from '../../core/errors';
import { CacheHandle, SecretKeyReference, ServerEndpoint, ServiceConsumer } from '../../core/handles';
import { checkName, NameRules } from '../../core/names';

/** Passwords are random and URL-safe: they sit inside REDIS_URL. */
export const GENERATED_PASSWORD = { kind: 'generated', length: 32 } as const;
/** The key of every password Secret. */
export const PASSWORD_KEY = 'password';

/** What a cache handle needs of its server (SharedRedis), without importing it. */
export interface CacheServer extends IConstruct {
  readonly name: string;
  readonly namespace: string;
  readonly server: ServerEndpoint;
  userSecretName(user: string): string;
}

/** One app's cache on a SharedRedis. */
export class RedisCache implements CacheHandle {
  public readonly server: ServerEndpoint;
  public readonly password: SecretKeyReference;
  /** The same password, in the server's namespace, for the ACL file. */
  public readonly serverPassword: SecretKeyReference;

  constructor(
    redis: CacheServer,
    public readonly consumer: ServiceConsumer,
    public readonly user: string,
    public readonly index: number,
    public readonly keyPrefix: string | undefined,
  ) {
    this.server = redis.server;
    const appSecret = checkName(consumer, 'cache password secret', `${user}-${redis.name}`, NameRules.DNS1123_SUBDOMAIN);
    const serverSecret = redis.userSecretName(user);
    this.password = {
      namespace: consumer.namespace,
      name: appSecret,
      key: PASSWORD_KEY,
      description: `password of Redis user "${user}" on ${pathOf(redis)}; the same value as ${redis.namespace}/${serverSecret}; random, URL-safe, at least 16 characters, e.g. \`openssl rand -hex 24\``,
      value: { ...GENERATED_PASSWORD, group: `${redis.namespace}/${redis.name}/${user}` },
    };
    this.serverPassword = {
      namespace: redis.namespace,
      name: serverSecret,
      key: PASSWORD_KEY,
      description: `password of Redis user "${user}" for the server's ACL file; the same value as ${consumer.namespace}/${appSecret}`,
      value: { ...GENERATED_PASSWORD, group: `${redis.namespace}/${redis.name}/${user}` },
    };
  }

  /**
   * `REDIS_PASSWORD` from the app's Secret, then `REDIS_URL` built from it by Kubernetes' `$(VAR)`
   * expansion (so the password is never in the manifest), then `REDIS_KEY_PREFIX` in prefix mode.
   */
  public envVars(): k8s.EnvVar[] {
    const env: k8s.EnvVar[] = [
      { name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: this.password.name, key: this.password.key } } },
      { name: 'REDIS_URL', value: `redis://${this.user}:$(REDIS_PASSWORD)@${this.server.host}:${this.server.port}/${this.index}` },
    ];
    if (this.keyPrefix !== undefined) env.push({ name: 'REDIS_KEY_PREFIX', value: this.keyPrefix });
    return env;
  }
}
