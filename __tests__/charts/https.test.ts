/**
 * HTTPS only, as the real Traefik renders it (facts/charts: the container args of Traefik 41.x
 * and of k3s's bundled 37.x with the platform's values): plain HTTP on `web` redirects
 * permanently to HTTPS, at the lowest router priority so that cert-manager's HTTP-01 solver still
 * answers on port 80; every route is on `websecure` only; every HTTPS response carries HSTS.
 */
import { ValuesSet, valuesSets } from './facts';

const ENTRYPOINTS = 'traefik.ingress.kubernetes.io/router.entrypoints';

function traefikArgs(set: ValuesSet): string[] {
  const traefik = set.facts.get('traefik');
  const container = traefik?.workloads.find((w) => w.kind === 'Deployment' && w.name === 'traefik')?.containers.find((c) => c.name === 'traefik');
  if (!container) throw new Error(`${set.name}: no Traefik Deployment in facts/charts/${set.name}/traefik.json`);
  return container.args;
}

describe.each(valuesSets().map((s) => [s.name, s] as const))('values set %s: HTTPS only', (_name, set) => {
  const args = traefikArgs(set);

  it('redirects plain HTTP permanently to HTTPS (port 443), from the lowest-priority router on web', () => {
    expect(args).toEqual(expect.arrayContaining([
      '--entryPoints.web.http.redirections.entryPoint.to=:443',
      '--entryPoints.web.http.redirections.entryPoint.scheme=https',
      '--entryPoints.web.http.redirections.entryPoint.permanent=true',
      // Traefik gives an Ingress router its rule's length as priority; the solver's
      // Host(`...`) && PathPrefix(`/.well-known/acme-challenge/...`) is always longer.
      '--entryPoints.web.http.redirections.entryPoint.priority=1',
    ]));
  });

  it('serves every route on websecure only, with TLS, so nothing but ACME challenges answers on web', () => {
    const ingresses = set.objects.filter((o) => o.kind === 'Ingress');
    expect(ingresses.length).toBeGreaterThan(0);
    for (const ing of ingresses) {
      expect([ing.metadata.name, ing.metadata.annotations?.[ENTRYPOINTS], ing.metadata.annotations?.['traefik.ingress.kubernetes.io/router.tls'], ing.spec.tls?.length])
        .toEqual([ing.metadata.name, 'websecure', 'true', 1]);
    }
    // The HTTP-01 solver Ingress cert-manager creates carries no entrypoint annotation: it is on web.
    for (const issuer of set.objects.filter((o) => o.kind === 'ClusterIssuer')) {
      for (const solver of issuer.spec.acme.solvers) {
        expect(solver.http01.ingress.ingressTemplate?.metadata?.annotations?.[ENTRYPOINTS]).toBeUndefined();
      }
    }
  });

  it('sends HSTS (one year) on every HTTPS response, from a Middleware the platform renders', () => {
    const flag = args.find((a) => a.startsWith('--entryPoints.websecure.http.middlewares='));
    expect(flag).toBeDefined();
    const refs = flag!.split('=')[1].split(',');
    const hsts = refs.map((ref) => set.objects.find((o) => o.kind === 'Middleware' && `${o.metadata.namespace}-${o.metadata.name}@kubernetescrd` === ref));
    expect(hsts.every(Boolean)).toBe(true);
    expect(hsts.map((m) => m.spec.headers?.stsSeconds)).toContain(31_536_000);
    expect(args).toContain('--entryPoints.websecure.http.tls=true');
  });
});
