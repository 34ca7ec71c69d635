// Property-based: random and hostile values in the string and number props of the public
// constructs either fail synth with lines in the report's form that name the construct and the
// field, or give output that passes the policy suite and the schema tests. A fixed seed keeps the
// run reproducible; fast-check prints the seed and the shrunk counterexample on failure.
import * as fc from 'fast-check';
import { ALL_POLICIES, BUILDKIT_EXCEPTIONS, BuildJob, BuildsNamespace, formatFindings, NovahostApp, Platform, runPolicies, SharedPostgres, SharedRedis } from '../lib';
import { validateAll } from './support/schemas';
import { problemLine, sortProblems } from '../lib/core/errors';
import { IngressController } from '../lib';

// FUZZ_SEED and FUZZ_RUNS explore further (e.g. FUZZ_SEED=$RANDOM FUZZ_RUNS=5000 npx jest props-fuzz).
const SEED = Number(process.env.FUZZ_SEED ?? 16);
const RUNS = Number(process.env.FUZZ_RUNS ?? 400);

/** The props of one small installation; each run replaces a few values in a fresh copy. */
function baseProps() {
  return {
    platform: { domain: 'example.com', acmeEmail: 'ops@example.com', git: { repoURL: 'https://github.com/example/infra.git', revision: 'main', path: 'dist' }, outdir: '/nonexistent-tests-never-write' } as any,
    postgres: { image: 'timescale/timescaledb:2.29.2-pg17', runAsUser: 70, storage: { size: '20Gi' }, settings: { workMem: '8MB', maxConnections: 100 }, backup: { schedule: '17 3 * * *', retentionDays: 7 }, sharedPreloadLibraries: ['timescaledb'] } as any,
    redis: { maxmemory: '256mb', databases: 16, storageSize: '2Gi', evictionPolicy: 'noeviction' } as any,
    app: {
      host: 'shop.example.com',
      database: { name: 'shop', extensions: ['pgcrypto'] },
      cache: { index: 1 },
      services: {
        web: {
          image: 'ghcr.io/example/web:1.0.0', port: 3000, replicas: 1, runAsUser: 10001, command: ['node'], args: ['server.js'],
          env: { MODE: 'production' }, secretEnv: { SESSION: { secret: 'shop-session', key: 'secret' } }, route: { path: '/', host: 'shop.example.com' },
          resources: { cpuRequest: '50m', memoryRequest: '128Mi', memoryLimit: '256Mi' }, readiness: { httpPath: '/health', periodSeconds: 10 },
          writablePaths: ['/tmp'], database: true, cache: true, metrics: undefined,
        },
        api: { image: 'ghcr.io/example/api:1.0.0', port: 9000, route: { path: '/api' } },
      },
    } as any,
    build: {
      source: { gitUrl: 'https://github.com/example/web.git', ref: 'v1.0.0', subdirectory: 'web', dockerfile: 'Dockerfile' },
      destination: { image: 'ghcr.io/example/web:1.0.0', pushSecret: 'registry-push' },
      buildArgs: { NODE_VERSION: '20.11.1' }, backoffLimit: 1, timeouts: { activeDeadlineSeconds: 1800, ttlSecondsAfterFinished: 86400 }, stateSize: '10Gi',
    } as any,
  };
}
type Base = ReturnType<typeof baseProps>;

/** A prop to replace: where it is, and whether it holds a string or a number. */
const TARGETS: Array<[keyof Base, string, 'string' | 'number']> = [
  ['platform', 'domain', 'string'], ['platform', 'acmeEmail', 'string'], ['platform', 'git.repoURL', 'string'], ['platform', 'git.revision', 'string'], ['platform', 'git.path', 'string'],
  ['postgres', 'image', 'string'], ['postgres', 'runAsUser', 'number'], ['postgres', 'storage.size', 'string'], ['postgres', 'settings.workMem', 'string'],
  ['postgres', 'settings.maxConnections', 'number'], ['postgres', 'backup.schedule', 'string'], ['postgres', 'backup.retentionDays', 'number'], ['postgres', 'sharedPreloadLibraries.0', 'string'],
  ['redis', 'maxmemory', 'string'], ['redis', 'databases', 'number'], ['redis', 'storageSize', 'string'], ['redis', 'evictionPolicy', 'string'],
  ['app', 'host', 'string'], ['app', 'database.name', 'string'], ['app', 'database.extensions.0', 'string'], ['app', 'cache.index', 'number'],
  ['app', 'services.web.image', 'string'], ['app', 'services.web.port', 'number'], ['app', 'services.web.replicas', 'number'], ['app', 'services.web.runAsUser', 'number'],
  ['app', 'services.web.command.0', 'string'], ['app', 'services.web.args.0', 'string'], ['app', 'services.web.env.MODE', 'string'],
  ['app', 'services.web.secretEnv.SESSION.secret', 'string'], ['app', 'services.web.secretEnv.SESSION.key', 'string'],
  ['app', 'services.web.route.path', 'string'], ['app', 'services.web.route.host', 'string'], ['app', 'services.api.route.path', 'string'],
  ['app', 'services.web.resources.memoryLimit', 'string'], ['app', 'services.web.resources.cpuRequest', 'string'],
  ['app', 'services.web.readiness.httpPath', 'string'], ['app', 'services.web.readiness.periodSeconds', 'number'], ['app', 'services.web.writablePaths.0', 'string'],
  ['build', 'source.gitUrl', 'string'], ['build', 'source.ref', 'string'], ['build', 'source.subdirectory', 'string'], ['build', 'source.dockerfile', 'string'],
  ['build', 'destination.image', 'string'], ['build', 'destination.pushSecret', 'string'], ['build', 'buildArgs.NODE_VERSION', 'string'],
  ['build', 'backoffLimit', 'number'], ['build', 'timeouts.activeDeadlineSeconds', 'number'], ['build', 'stateSize', 'string'],
];
/** Keys replaced by a hostile key (a service name, an env name). */
const KEY_TARGETS: Array<[keyof Base, string, string]> = [['app', 'services', 'web'], ['app', 'services.web.env', 'MODE'], ['build', 'buildArgs', 'NODE_VERSION']];

const HOSTILE_STRINGS = [
  '', ' ', '\u0000', 'a\u0000b', 'a\nb', '`', '`) || Host(`evil.example.com', '../', '/../', '/a/../b', '..', '%2F', '/%2f', '/.', '$(id)', ';rm -rf /', '|', '&&',
  'latest', 'ghcr.io/x/y:latest', '__proto__', 'constructor', 'toString', 'kube-system', 'shared', 'A'.repeat(300), 'a'.repeat(64), '😀', 'é', 'ﬀ', 'Ω',
  '1GB', '256', '-1', 'NaN', '0', '*', '61 3 * * *', 'TZ=UTC 0 3 * * *', '"quoted"', "'", '\\', 'https://user:pass@example.com/x.git', 'http://169.254.169.254/',
];
const HOSTILE_NUMBERS = [NaN, Infinity, -Infinity, -1, 0, -0, 0.5, 1e308, 2 ** 53, 65536, 70000, Number.MAX_SAFE_INTEGER + 2];
const WRONG_TYPES = [null, true, [], {}, ['a'], { a: 1 }];

const anyString = fc.oneof(fc.constantFrom(...HOSTILE_STRINGS), fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary', maxLength: 8 }));
const anyNumber = fc.oneof(fc.constantFrom(...HOSTILE_NUMBERS), fc.integer(), fc.double(), fc.integer({ min: -10, max: 70000 }));
/** Plausible values too, so that accepted output is exercised, not only rejections. */
const PLAUSIBLE = fc.constantFrom('abc', 'v2.0.1', '/x', '/a/b', '256Mi', '100m', '1', 'a.example.com', 'Dockerfile', 'x-1', 'web', '0 4 * * 0', 'node', 'ghcr.io/example/other:2.0.0');
const valueFor = (kind: 'string' | 'number') => fc.oneof(
  { weight: 4, arbitrary: kind === 'string' ? anyString : anyNumber },
  { weight: 3, arbitrary: kind === 'string' ? PLAUSIBLE : fc.integer({ min: 1, max: 20 }) },
  { weight: 1, arbitrary: kind === 'string' ? anyNumber : fc.oneof(anyString, fc.constantFrom('3000', '1')) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(...WRONG_TYPES) },
);
const mutation = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...TARGETS).chain(([what, at, kind]) => valueFor(kind).map((value) => ({ what, at, value, key: false }))) },
  { weight: 1, arbitrary: fc.constantFrom(...KEY_TARGETS).chain(([what, at, old]) => anyString.map((value) => ({ what, at: `${at}.${old}`, value, key: true }))) },
);

function apply(base: Base, m: { what: keyof Base; at: string; value: unknown; key: boolean }): void {
  const parts = m.at.split('.');
  let o = base[m.what];
  for (const p of parts.slice(0, -1)) {
    // An earlier mutation renamed or replaced this part: nothing left to replace.
    if (typeof o?.[p] !== 'object' || o[p] === null) return;
    o = o[p];
  }
  const last = parts.at(-1)!;
  if (!m.key) {
    o[last] = m.value;
    return;
  }
  // A hostile key in place of a real one, order kept (a defineProperty also takes "__proto__" as a key).
  const entries = Object.entries(o).map(([k, v]) => [k === last ? String(m.value) : k, v] as const);
  for (const k of Object.keys(o)) delete o[k];
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

function declare(base: Base): Platform {
  const platform = new Platform(base.platform);
  new IngressController(platform, 'traefik');
  const postgres = new SharedPostgres(platform, 'postgres', base.postgres);
  const redis = new SharedRedis(platform, 'redis', base.redis);
  new NovahostApp(platform, 'shop', { ...base.app, database: { ...base.app.database, server: postgres }, cache: { ...base.app.cache, server: redis } });
  const builds = new BuildsNamespace(platform, 'builds');
  new BuildJob(builds, '20261123-1f2e3d', base.build);
  return platform;
}

/** What `npm run synth` would print (core/cli.ts): every problem line, or the objects. */
function outcome(base: Base): { lines: string[]; objects: any[] } {
  const before = Platform.latest;
  try {
    return { lines: [], objects: [...declare(base).manifests().values()].flat() };
  } catch (e) {
    const platform = Platform.latest !== before ? Platform.latest : undefined;
    return { lines: sortProblems([...(platform?.registry.problems ?? []), ...problemLine(e, 'main.ts').split('\n')]), objects: [] };
  }
}

/** One line of a failing synth: `<construct path>: <field> <value> <problem>. Fix: <fix>`, on one line. */
const LINE = /^(platform|cluster|capacity|shop(\/[^\s:]+)*|shared(\/[^\s:]+)*|builds(\/[^\s:]+)*|argocd|main\.ts|test): (\S.*) \S.*\. Fix: \S.*$/;

describe('hostile props (property-based, fast-check)', () => {
  it('either fail synth in the report form, naming the construct and field, or pass the policies and schemas', () => {
    const seen = { rejected: 0, accepted: 0 };
    fc.assert(fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (mutations) => {
      const base = baseProps();
      for (const m of mutations) apply(base, m);
      const { lines, objects } = outcome(base);
      if (lines.length) {
        for (const line of lines) expect(line).toMatch(LINE);
        // Some line names a replaced field: its last key (an index counts as its array; a renamed key as its map).
        const named = mutations.some((m) => {
          const keys = m.at.split('.').filter((k) => !/^\d+$/.test(k));
          const want = m.key ? keys.at(-2) ?? m.what : keys.at(-1)!;
          // The capacity check is about the whole installation: it names the largest consumers in its table.
          return lines.some((l) => l.includes(want) || l.startsWith('capacity: '));
        });
        expect({ named, lines }).toEqual({ named: true, lines });
        seen.rejected++;
        return;
      }
      const findings = runPolicies(objects, BUILDKIT_EXCEPTIONS, ALL_POLICIES);
      expect(formatFindings(findings)).toBe('no findings');
      expect(validateAll(objects)).toEqual([]);
      seen.accepted++;
    }), { seed: SEED, numRuns: RUNS, endOnFailure: true });
    // Both outcomes occur, so neither half of the property is vacuous.
    expect(seen.accepted).toBeGreaterThan(RUNS / 50);
    expect(seen.rejected).toBeGreaterThan(RUNS / 2);
  });
});
