// NovahostApp's props, and their run-time checks (synthesis does not type-check): every problem
// reported with its field, before anything is rendered.
import { IConstruct } from 'constructs';
import { credentialShape, isSecretLiteral } from '../checks/policies/no-secret-literals';
import { NameRules } from '../core/names';
import { propKeys, PropChecks } from '../core/validate';
import { checkFitsANode } from '../core/prop-schema';
import type { CacheOptions, CacheProvider, DatabaseEnvStyle, DatabaseOptions, DatabaseProvider, SecretValue } from '../core/handles';
import type { ResourceSpec } from '../core/security';

/** How Kubernetes checks a container. */
export interface ProbeSpec {
  /** HTTP GET on the service port at this path. */
  readonly httpPath?: string;
  /** A TCP connect to the service port (for non-HTTP services). */
  readonly tcp?: boolean;
  /** A command run in the container. */
  readonly exec?: string[];
  /** @default 5 */
  readonly initialDelaySeconds?: number;
  /** @default 10 */
  readonly periodSeconds?: number;
  /** @default 3 */
  readonly failureThreshold?: number;
}

/** A public route to a service. */
export interface ServiceRoute {
  /** Path prefix, starting with `/`. */
  readonly path: string;
  /** @default - the app's host */
  readonly host?: string;
  /** Remove the prefix before the request reaches the service. @default false (prefix kept) */
  readonly stripPrefix?: boolean;
  /** Only signed-in users get through (the platform's SSO provider, Authelia). @default false */
  readonly sso?: boolean;
}

/** Reference to one key of a Secret in the app's namespace. */
export interface SecretEnvSource {
  readonly secret: string;
  readonly key: string;
  /**
   * How `npm run secrets` makes the value; two Secrets share one only by declaring it.
   * @default - provided from `$<NAMESPACE>_<SECRET>_<KEY>` (namespace not repeated), one per app
   */
  readonly value?: SecretValue;
}

/** One service of an app: a Deployment behind a Service. */
export interface AppServiceProps {
  /** Image pinned to a tag or digest; `latest` or no tag fails synth. */
  readonly image: string;
  /** Port the container listens on; the Service exposes the same port. */
  readonly port: number;
  /** @default - the cluster profile's defaultReplicas for a routed service (1 on one node, 2 on a pool), else 1 */
  readonly replicas?: number;
  /** @default - the image's entrypoint */
  readonly command?: string[];
  /** @default - the image's arguments */
  readonly args?: string[];
  /** Plain settings. Secret-looking names (PASSWORD, TOKEN, SECRET, KEY) must use `secretEnv`. @default {} */
  readonly env?: Record<string, string>;
  /** Variables read from Secrets of the app's namespace. @default {} */
  readonly secretEnv?: Record<string, SecretEnvSource>;
  /** Whole Secrets exposed as variables. @default [] */
  readonly envFromSecrets?: string[];
  /** @default 50m / 128Mi requested, 256Mi memory limit, no CPU limit */
  readonly resources?: ResourceSpec;
  /** @default HTTP GET / on the service port */
  readonly readiness?: ProbeSpec;
  /** @default HTTP GET / on the service port, starting later than readiness */
  readonly liveness?: ProbeSpec;
  /** Served publicly on this route; without it the service is internal only. @default - internal */
  readonly route?: ServiceRoute;
  /** Non-root user the container runs as. @default 10001 */
  readonly runAsUser?: number;
  /** Directories the container writes to; the root filesystem is read-only. @default ['/tmp'] */
  readonly writablePaths?: string[];
  /** Receives the app's database settings (`DATABASE_URL`, `PG*`). @default false */
  readonly database?: boolean;
  /** Receives the app's cache settings (`REDIS_URL`). @default false */
  readonly cache?: boolean;
  /**
   * Mounts a Kubernetes API token for the service's ServiceAccount (e.g. a build server that
   * creates Jobs); what the account may do is granted by RBAC elsewhere. @default false
   */
  readonly apiAccess?: boolean;
  /**
   * May open connections to the public internet (ports 80 and 443; never private ranges).
   * @default false - only DNS and the database/cache it was granted
   */
  readonly internetEgress?: boolean;
  /**
   * Prometheus scrapes the service (a ServiceMonitor, and a NetworkPolicy from Prometheus). Needs
   * a Monitoring in the platform. @default - not scraped
   */
  readonly metrics?: AppMetrics;
}

/** Where a service serves Prometheus metrics. */
export interface AppMetrics {
  /** @default - the service port */
  readonly port?: number;
  /** @default '/metrics' */
  readonly path?: string;
}

/** The app's database, asked of a shared PostgreSQL. */
export interface AppDatabaseProps extends DatabaseOptions {
  readonly server: DatabaseProvider;
  /** @default DatabaseEnvStyles.URL */
  readonly envStyle?: DatabaseEnvStyle;
}

/** The app's cache, asked of a shared Redis. */
export interface AppCacheProps extends CacheOptions {
  readonly server: CacheProvider;
}

export interface NovahostAppProps {
  /** @default - the construct id */
  readonly namespace?: string;
  /** Host of the app's routes. @default - `<id>.<platform domain>` */
  readonly host?: string;
  /** Services by name (DNS-1035: the name becomes the Service name). */
  readonly services: Record<string, AppServiceProps>;
  /** @default - no database */
  readonly database?: AppDatabaseProps;
  /** @default - no cache */
  readonly cache?: AppCacheProps;
}

const APP_KEYS = propKeys<NovahostAppProps>({ namespace: true, host: true, services: true, database: true, cache: true });
const SERVICE_KEYS = propKeys<AppServiceProps>({
  image: true, port: true, replicas: true, command: true, args: true, env: true, secretEnv: true, envFromSecrets: true,
  resources: true, readiness: true, liveness: true, route: true, runAsUser: true, writablePaths: true, database: true,
  cache: true, apiAccess: true, internetEgress: true, metrics: true,
});
const ROUTE_KEYS = propKeys<ServiceRoute>({ path: true, host: true, stripPrefix: true, sso: true });
const PROBE_KEYS = propKeys<ProbeSpec>({ httpPath: true, tcp: true, exec: true, initialDelaySeconds: true, periodSeconds: true, failureThreshold: true });
const RESOURCE_KEYS = propKeys<ResourceSpec>({ cpuRequest: true, memoryRequest: true, cpuLimit: true, memoryLimit: true });
const METRICS_KEYS = propKeys<AppMetrics>({ port: true, path: true });
const SECRET_REF_KEYS = propKeys<SecretEnvSource>({ secret: true, key: true, value: true });

/** Kubernetes' env var names (C identifiers, what every shell can expand). */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Names that say "secret": their values belong in secretEnv. */
export const SECRET_LOOKING = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|SECRET_?KEY|ACCESS_?KEY|CREDENTIALS?)$|(^|_)(PASS|PWD|DSN)$/i;
/** A command-line flag that carries a secret value (`--db-password=...`, `--token xyz` is caught by the next arg). */
const SECRET_FLAG = /^--?[A-Za-z0-9_-]*(password|passwd|secret|token|api[-_]?key|private[-_]?key)[A-Za-z0-9_-]*=(?!\$\([A-Za-z_][A-Za-z0-9_]*\)$).+/i;
/** Keys of a Secret (`kubectl create secret --from-literal KEY=...`). */
const SECRET_KEY = /^[-._a-zA-Z0-9]{1,253}$/;

/** Reports every problem of the props; true when there was none. */
export function checkAppProps(scope: IConstruct, props: NovahostAppProps, reported: () => number): boolean {
  const before = reported();
  const v = new PropChecks(scope);
  if (!v.object('', props, APP_KEYS, true)) return false;
  v.string('namespace', props.namespace, { rule: NameRules.DNS1123_LABEL });
  v.string('host', props.host, { rule: NameRules.HOSTNAME, fix: 'use a host such as "app.example.com"' });
  if (props.database !== undefined) v.object('database', props.database, ['server', 'name', 'extensions', 'envStyle'], true);
  if (props.cache !== undefined) v.object('cache', props.cache, ['server', 'index', 'keyPrefix'], true);
  if (props.services !== undefined && Object.getPrototypeOf(props.services) !== Object.prototype && Object.getPrototypeOf(props.services) !== null) {
    v.report('services', undefined, 'has a prototype other than Object (a key written as `__proto__: {...}` sets it)', 'write each service as a plain key, e.g. { web: { image, port } }');
  }
  for (const [name, svc] of v.record('services', props.services, true) ?? []) {
    v.string('services key', name, { rule: NameRules.DNS1035_LABEL, fix: 'name the service with lower-case letters, digits and "-", starting with a letter' });
    checkService(v.within(`services.${name}.`), svc);
  }
  return reported() === before;
}

function checkService(v: PropChecks, svc: unknown): void {
  if (!v.object('', svc, SERVICE_KEYS, true)) return;
  const s = svc as unknown as AppServiceProps;
  v.string('image', s.image, { required: true, fix: 'give an image pinned to a version, e.g. "ghcr.io/owner/app:1.2.3"' });
  v.port('port', s.port, true);
  v.integer('replicas', s.replicas, { min: 0, max: 100, fix: 'use 1 for a small node' });
  v.integer('runAsUser', s.runAsUser, { min: 1, max: 2147483647, fix: 'use a non-root uid such as 10001 (0 is root)' });
  for (const f of ['database', 'cache', 'apiAccess', 'internetEgress'] as const) v.boolean(f, s[f]);
  v.strings('command', s.command);
  const args = v.strings('args', s.args) ?? [];
  args.forEach((a, i) => {
    if (SECRET_FLAG.test(a) || credentialShape(a)) {
      v.report(`args[${i}]`, a, 'passes a secret on the command line, which dist/ would hold in clear text', 'read it from secretEnv and pass "$(VAR)", e.g. "--db-password=$(DB_PASSWORD)"', true);
    }
  });
  for (const [key, value] of v.record('env', s.env) ?? []) {
    if (!ENV_NAME.test(key)) {
      v.report('env', key, 'is not a valid variable name', 'use letters, digits and "_", not starting with a digit');
      continue;
    }
    if (typeof value !== 'string') {
      v.report(`env.${key}`, value, `is a ${typeof value}, not a string`, `quote it: ${key}: "${String(value)}"`);
      continue;
    }
    const byName = SECRET_LOOKING.test(key) || isSecretLiteral(key, value);
    const shape = credentialShape(value);
    if (byName || shape) {
      v.report(`env.${key}`, value, shape ? `holds ${shape}, and plain env values are written to dist/ in clear text` : 'looks like a secret, and plain env values are written to dist/ in clear text',
        `move it to secretEnv: { ${key}: { secret: '<secret name>', key: '<key>' } }`, true);
    }
  }
  for (const [key, ref] of v.record('secretEnv', s.secretEnv) ?? []) {
    if (!ENV_NAME.test(key)) v.report('secretEnv', key, 'is not a valid variable name', 'use letters, digits and "_", not starting with a digit');
    if (!v.object(`secretEnv.${key}`, ref, SECRET_REF_KEYS, true)) continue;
    const r = ref as unknown as SecretEnvSource;
    v.string(`secretEnv.${key}.secret`, r.secret, { required: true, rule: NameRules.DNS1123_SUBDOMAIN });
    v.string(`secretEnv.${key}.key`, r.key, { required: true, pattern: SECRET_KEY, what: 'a Secret key (letters, digits, "-", "_", ".")' });
    const value = r.value as { kind?: unknown } | undefined;
    if (value !== undefined && !(value && (value.kind === 'generated' || value.kind === 'provided'))) {
      v.report(`secretEnv.${key}.value`, value, 'is not a SecretValue', "use { kind: 'generated' } (optionally length, group) or { kind: 'provided', env: 'VARIABLE' }");
    }
  }
  (v.strings('envFromSecrets', s.envFromSecrets) ?? []).forEach((n, i) => v.string(`envFromSecrets[${i}]`, n, { rule: NameRules.DNS1123_SUBDOMAIN }));
  if (v.object('resources', s.resources, RESOURCE_KEYS)) {
    const r = s.resources!;
    const q = { cpuRequest: v.quantity('resources.cpuRequest', r.cpuRequest, 'cpu'), cpuLimit: v.quantity('resources.cpuLimit', r.cpuLimit, 'cpu'),
      memoryRequest: v.quantity('resources.memoryRequest', r.memoryRequest, 'memory'), memoryLimit: v.quantity('resources.memoryLimit', r.memoryLimit, 'memory') };
    // Defaults (core/security.ts): 50m and 128Mi requested, a 256Mi memory limit.
    const memReq = q.memoryRequest ?? (r.memoryRequest === undefined ? 128 * 2 ** 20 : undefined);
    const memLim = q.memoryLimit ?? (r.memoryLimit === undefined ? 256 * 2 ** 20 : undefined);
    if (memReq !== undefined && memLim !== undefined && memLim < memReq) {
      v.report('resources.memoryLimit', r.memoryLimit ?? '256Mi', `is below the memory request (${r.memoryRequest ?? '128Mi'})`, 'make the limit at least the request');
    }
    const cpuReq = q.cpuRequest ?? (r.cpuRequest === undefined ? 0.05 : undefined);
    if (cpuReq !== undefined && q.cpuLimit !== undefined && q.cpuLimit < cpuReq) {
      v.report('resources.cpuLimit', r.cpuLimit, `is below the CPU request (${r.cpuRequest ?? '50m'})`, 'make the limit at least the request, or leave it out');
    }
    checkFitsANode(v, 'resources', { cpuRequest: q.cpuRequest === undefined ? undefined : String(r.cpuRequest), memoryRequest: q.memoryRequest === undefined ? undefined : String(r.memoryRequest) });
  }
  for (const kind of ['readiness', 'liveness'] as const) checkProbe(v, kind, s[kind]);
  if (v.object('route', s.route, ROUTE_KEYS)) {
    v.string('route.path', s.route!.path, { required: true });
    v.string('route.host', s.route!.host, { rule: NameRules.HOSTNAME });
    v.boolean('route.stripPrefix', s.route!.stripPrefix);
    v.boolean('route.sso', s.route!.sso);
  }
  if (v.object('metrics', s.metrics, METRICS_KEYS)) {
    v.port('metrics.port', s.metrics!.port);
    if (s.metrics!.path !== undefined) v.string('metrics.path', s.metrics!.path, { pattern: /^\/[A-Za-z0-9\-._~/]*$/, what: 'an absolute URL path' });
  }
  const paths = v.strings('writablePaths', s.writablePaths) ?? [];
  const seen = new Set<string>();
  paths.forEach((p, i) => {
    const field = `writablePaths[${i}]`;
    const normal = p.replace(/\/+$/, '');
    if (!p.startsWith('/')) v.report(field, p, 'is not an absolute path', 'use a path such as "/tmp"');
    else if (normal === '') v.report(field, p, 'is the root directory; the root filesystem stays read-only', 'name the directories the app writes to, e.g. "/tmp"');
    else if (/(^|\/)\.\.?(\/|$)/.test(p) || p.includes('//') || !/^[A-Za-z0-9\-._~@+/]+$/.test(p)) v.report(field, p, 'is not a plain absolute directory (no "..", ".", "//", spaces or special characters)', 'use a path such as "/var/cache/app"');
    else if (seen.has(normal)) v.report(field, p, 'is listed twice', 'list each directory once');
    seen.add(normal);
  });
}

function checkProbe(v: PropChecks, kind: string, probe: unknown): void {
  if (!v.object(kind, probe, PROBE_KEYS)) return;
  const p = probe as ProbeSpec;
  const kinds = (['httpPath', 'tcp', 'exec'] as const).filter((k) => p[k] !== undefined && p[k] !== false);
  if (kinds.length > 1) v.report(kind, kinds.join(' + '), 'gives more than one kind of check', 'use exactly one of httpPath, tcp or exec');
  if (p.httpPath !== undefined) v.string(`${kind}.httpPath`, p.httpPath, { pattern: /^\/[A-Za-z0-9\-._~%!$&'()*+,;=:@/?]*$/, what: 'an absolute URL path', fix: 'use e.g. "/health"' });
  v.boolean(`${kind}.tcp`, p.tcp);
  v.strings(`${kind}.exec`, p.exec, { nonEmpty: true });
  v.integer(`${kind}.initialDelaySeconds`, p.initialDelaySeconds, { min: 0, max: 3600 });
  v.integer(`${kind}.periodSeconds`, p.periodSeconds, { min: 1, max: 3600 });
  v.integer(`${kind}.failureThreshold`, p.failureThreshold, { min: 1, max: 100 });
}
