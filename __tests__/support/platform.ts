import { IngressController, Platform, PlatformProps } from '../../lib';

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
