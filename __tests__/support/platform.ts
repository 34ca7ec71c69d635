import { IngressController, Platform, PlatformProps } from '../../lib';
import { problemLine, sortProblems } from '../../lib/core/errors';

/** Settings of a platform for tests; override what a test is about. */
export function testPlatform(overrides: Partial<PlatformProps> = {}): Platform {
  return new Platform({
    domain: 'example.com',
    acmeEmail: 'ops@example.com',
    git: { repoURL: 'https://github.com/example/infra.git' },
    outdir: '/nonexistent-tests-never-write',
    ...overrides,
  });
}

/** A test platform with Traefik in `shared`, for tests with routes. */
export function routedPlatform(overrides: Partial<PlatformProps> = {}): Platform {
  const platform = testPlatform(overrides);
  new IngressController(platform, 'traefik');
  return platform;
}

/** All rendered objects of a platform, by namespace. */
export function synthesize(platform: Platform): Record<string, any[]> {
  return Object.fromEntries(platform.manifests()) as Record<string, any[]>;
}

/** Every object of the platform, flat. */
export function allObjects(platform: Platform): any[] {
  return Object.values(synthesize(platform)).flat();
}

/** The one object of a kind and name (in a namespace folder if given); throws when missing. */
export function findObject(objects: any[], kind: string, name: string): any {
  const found = objects.filter((o) => o.kind === kind && o.metadata?.name === name);
  if (found.length !== 1) {
    throw new Error(`expected one ${kind}/${name}, found ${found.length} among: ${objects.map((o) => `${o.kind}/${o.metadata?.name}`).join(', ')}`);
  }
  return found[0];
}

/**
 * Every problem line of a synth, as `npm run synth` prints them (core/cli.ts): the problems the
 * constructors reported plus whatever was thrown, sorted; [] when the platform synthesizes.
 */
export function problemsOf(declare: (platform: Platform) => void, platform: Platform = routedPlatform()): string[] {
  try {
    declare(platform);
    platform.manifests();
    return [];
  } catch (e) {
    return sortProblems([...platform.registry.problems, ...problemLine(e, 'test').split('\n')]);
  }
}

/** The message form every problem line has: `<construct path>: <field> <value> <problem>. Fix: <fix>`. */
export const PROBLEM_LINE = /^[a-z0-9][a-z0-9-]*(\/[A-Za-z0-9._-]+)*: [A-Za-z0-9_.\[\]()\- ]+? (\(unset\)|<redacted>|\S.*?) \S.*\. Fix: \S.*$/s;

/** A function that declares on a fresh platform and synthesizes it: throws the report's lines, as `npm run synth` prints them. */
export function synthOf(declare: (platform: Platform) => unknown, make: () => Platform = testPlatform): () => void {
  return () => {
    const lines = problemsOf((p) => void declare(p), make());
    if (lines.length) throw new Error(lines.join('\n'));
  };
}

/**
 * `declare`, then a synth of the platform it declared on (problems are reported at synth): for
 * `expect(andSynth(() => new X(platform, ...))).toThrow(...)`. The result may be a construct or
 * an object with a `platform`.
 */
export function andSynth(declare: () => unknown): () => void {
  return () => {
    const made = declare() as { node?: { root: unknown }; platform?: Platform } | undefined;
    const platform = made?.platform ?? (made?.node?.root as Platform | undefined);
    if (platform instanceof Platform) platform.manifests();
  };
}
