import { Construct } from 'constructs';
import { ForwardAuthProvider, NovahostApp, Platform, registerForwardAuth, SSO_MIDDLEWARE } from '../lib';
import { findObject, routedPlatform, synthesize } from './support/platform';

const svc = (port: number, extra = {}) => ({ image: 'ghcr.io/example/x:1.0.0', port, ...extra });

/** A stand-in for Authelia: the route only needs the address and the headers. */
class FakeSso extends Construct implements ForwardAuthProvider {
  public readonly forwardAuthAddress = 'http://authelia.auth.svc.cluster.local:9091/api/authz/forward-auth';
  public readonly authResponseHeaders = ['Remote-User', 'Remote-Groups'];
  constructor(scope: Platform) {
    super(scope, 'fake-sso');
    registerForwardAuth(this);
  }
}

describe('IngressRoute sso', () => {
  it('puts sso routes behind a forwardAuth Middleware of their namespace, before strip-prefix', () => {
    const platform = routedPlatform();
    new FakeSso(platform);
    new NovahostApp(platform, 'tools', {
      services: {
        'web': svc(3000, { route: { path: '/' } }),
        'admin': svc(3001, { route: { path: '/admin', sso: true } }),
        'api': svc(3002, { route: { path: '/api', sso: true, stripPrefix: true } }),
      },
    });
    const objects = synthesize(platform).tools;
    const mw = findObject(objects, 'Middleware', SSO_MIDDLEWARE);
    expect(mw.spec.forwardAuth).toEqual({
      address: 'http://authelia.auth.svc.cluster.local:9091/api/authz/forward-auth',
      trustForwardHeader: true,
      authResponseHeaders: ['Remote-User', 'Remote-Groups'],
    });
    // The public route keeps its Ingress, with no Middleware (only the ingress class's annotations).
    const plain = findObject(objects, 'Ingress', 'tools-example-com');
    expect(plain.metadata.annotations).toEqual({ 'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure', 'traefik.ingress.kubernetes.io/router.tls': 'true' });
    expect(plain.spec.rules[0].http.paths.map((p: any) => p.path)).toEqual(['/']);
    const signedIn = findObject(objects, 'Ingress', 'tools-example-com-sso');
    expect(signedIn.metadata.annotations['traefik.ingress.kubernetes.io/router.middlewares']).toBe('tools-sso-forward-auth@kubernetescrd');
    expect(signedIn.spec.rules[0].http.paths.map((p: any) => p.path)).toEqual(['/admin']);
    const stripped = findObject(objects, 'Ingress', 'tools-example-com-api');
    expect(stripped.metadata.annotations['traefik.ingress.kubernetes.io/router.middlewares'])
      .toBe('tools-sso-forward-auth@kubernetescrd,tools-api-strip-api@kubernetescrd');
    expect(objects.filter((o) => o.kind === 'Certificate')).toHaveLength(1);
  });

  it('renders no Middleware where no route asks for sso', () => {
    const platform = routedPlatform();
    new FakeSso(platform);
    new NovahostApp(platform, 'open', { services: { web: svc(3000, { route: { path: '/' } }) } });
    expect(synthesize(platform).open.filter((o) => o.kind === 'Middleware')).toEqual([]);
  });

  describe('fails when', () => {
    it('a route asks for sso and no SSO provider is declared', () => {
      const platform = routedPlatform();
      new NovahostApp(platform, 'tools', { services: { admin: svc(3001, { route: { path: '/admin', sso: true } }) } });
      expect(() => synthesize(platform)).toThrow(
        "tools/admin/Route: sso true asks for single sign-on, but the platform declares no SSO provider. Fix: declare new Authelia(platform, 'authelia', {...}) or remove sso from the route",
      );
    });

    it('two SSO providers are declared', () => {
      const platform = routedPlatform();
      new FakeSso(platform);
      expect(() => registerForwardAuth(new Construct(platform, 'other') as any)).toThrow('is already provided by fake-sso');
    });
  });
});
