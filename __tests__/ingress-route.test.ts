import { IngressClasses, IngressRoute, NovahostApp } from '../lib';
import { findObject, routedPlatform, synthesize, testPlatform } from './support/platform';

const svc = (port: number, extra = {}) => ({ image: 'ghcr.io/example/x:1.0.0', port, ...extra });

describe('IngressRoute', () => {
  it('routes one host to several services through one Ingress and exactly one Certificate (snapshot)', () => {
    const platform = routedPlatform();
    new NovahostApp(platform, 'novahost', {
      services: {
        'web': svc(3000, { route: { path: '/' } }),
        'api-server': svc(9000, { route: { path: '/api' } }),
        'build-server': svc(9001),
      },
    });
    const objects = synthesize(platform).novahost;
    const routing = objects.filter((o) => ['Ingress', 'Certificate', 'Middleware'].includes(o.kind));
    expect(routing).toMatchSnapshot();
    expect(objects.filter((o) => o.kind === 'Certificate')).toHaveLength(1);
    expect(objects.filter((o) => o.kind === 'Ingress')).toHaveLength(1);
    const ingress = findObject(objects, 'Ingress', 'novahost-example-com');
    expect(ingress.spec.ingressClassName).toBe('traefik');
    expect(ingress.spec.rules[0].http.paths.map((p: any) => [p.path, p.backend.service.name, p.backend.service.port.number]))
      .toEqual([['/', 'web', 3000], ['/api', 'api-server', 9000]]);
    const cert = findObject(objects, 'Certificate', 'novahost-example-com');
    expect(ingress.spec.tls).toEqual([{ hosts: ['novahost.example.com'], secretName: cert.spec.secretName }]);
    expect(cert.spec.issuerRef).toEqual({ group: 'cert-manager.io', kind: 'ClusterIssuer', name: 'letsencrypt-prod' });
  });

  it('issues from staging when the platform says so', () => {
    const platform = routedPlatform({ issuer: { name: 'letsencrypt-staging', server: 'https://acme-staging-v02.api.letsencrypt.org/directory' } });
    new NovahostApp(platform, 'a', { services: { web: svc(80, { route: { path: '/' } }) } });
    expect(findObject(synthesize(platform).a, 'Certificate', 'a-example-com').spec.issuerRef.name).toBe('letsencrypt-staging');
  });

  it('strips a prefix with a Traefik Middleware on an Ingress of its own, sharing the Certificate', () => {
    const platform = routedPlatform();
    new NovahostApp(platform, 'novahost', {
      services: { 'web': svc(3000, { route: { path: '/' } }), 'api-server': svc(9000, { route: { path: '/api/', stripPrefix: true } }) },
    });
    const objects = synthesize(platform).novahost;
    const mw = findObject(objects, 'Middleware', 'api-server-strip-api');
    expect(mw.spec).toEqual({ stripPrefix: { prefixes: ['/api'] } });
    const stripped = findObject(objects, 'Ingress', 'novahost-example-com-api');
    expect(stripped.metadata.annotations['traefik.ingress.kubernetes.io/router.middlewares']).toBe('novahost-api-server-strip-api@kubernetescrd');
    expect(stripped.spec.tls[0].secretName).toBe('novahost-example-com-tls');
    expect(objects.filter((o) => o.kind === 'Certificate')).toHaveLength(1);
  });

  it('can be declared on its own against a service handle', () => {
    const platform = routedPlatform();
    const app = new NovahostApp(platform, 'shop', { services: { web: svc(8080) } });
    new IngressRoute(app, 'www', { host: 'www.example.com', path: '/', backend: app.service('web'), port: 8080 });
    const ingress = findObject(synthesize(platform).shop, 'Ingress', 'www-example-com');
    expect(ingress.spec.rules[0].host).toBe('www.example.com');
  });

  describe('fails when', () => {
    it('two apps claim the same host and path, naming both', () => {
      const platform = routedPlatform();
      new NovahostApp(platform, 'a', { host: 'x.example.com', services: { web: svc(80, { route: { path: '/' } }) } });
      expect(() => new NovahostApp(platform, 'b', { host: 'x.example.com', services: { web: svc(80, { route: { path: '/' } }) } }))
        .toThrow('b/web/Route: route "x.example.com/" is already served by a/web/Route. Fix: give one of the two routes another path or host');
    });

    it('one host is spread over two namespaces', () => {
      const platform = routedPlatform();
      new NovahostApp(platform, 'a', { host: 'x.example.com', services: { web: svc(80, { route: { path: '/' } }) } });
      expect(() => new NovahostApp(platform, 'b', { host: 'x.example.com', services: { web: svc(80, { route: { path: '/b' } }) } }))
        .toThrow(/^b\/web\/Route: host "x.example.com" is already routed from namespace "a" by a\/web\/Route/);
    });

    it('the port is not the service port', () => {
      const platform = routedPlatform();
      const app = new NovahostApp(platform, 'shop', { services: { web: svc(8080) } });
      expect(() => new IngressRoute(app, 'www', { host: 'www.example.com', backend: app.service('web'), port: 80 }))
        .toThrow('shop/www: port 80 is not a port of service shop/web (it has 8080). Fix: use port 8080 or leave port unset');
    });

    it('the service does not exist', () => {
      const platform = routedPlatform();
      const app = new NovahostApp(platform, 'shop', { services: { web: svc(8080) } });
      expect(() => new IngressRoute(app, 'www', { host: 'www.example.com', backend: app.service('api') })).toThrow('is not a service of app "shop"');
    });

    it.each([
      ['https://x.example.com', 'host "https://x.example.com" is not a lower-case fully qualified domain name'],
      ['X.example.com', 'host "X.example.com" is not a lower-case'],
      ['intranet', 'host "intranet" is not'],
    ])('the host is %j', (host, message) => {
      const platform = routedPlatform();
      const app = new NovahostApp(platform, 'shop', { services: { web: svc(8080) } });
      expect(() => new IngressRoute(app, 'www', { host, backend: app.service('web') })).toThrow(message);
    });

    it.each(['api', '', '/a b', '/a?x=1'])('the path is %j', (path) => {
      const platform = routedPlatform();
      new NovahostApp(platform, 'shop', { services: { web: svc(8080, { route: { path } }) } });
      expect(() => platform.manifests()).toThrow(/shop\/web\/Route: path .* (does not start with "\/"|has characters a URL path prefix cannot have)|services\.web\.route\.path "" is empty/);
    });

    it('the route lives in another namespace than its service', () => {
      const platform = routedPlatform();
      const a = new NovahostApp(platform, 'a', { services: { web: svc(80) } });
      const b = new NovahostApp(platform, 'b', { services: { web: svc(80) } });
      expect(() => new IngressRoute(b, 'cross', { host: 'a.example.com', backend: a.service('web') }))
        .toThrow(/b\/cross: backend "a\/web" is in another namespace than the route \(b\)/);
    });

    it('a prefix is stripped under an ingress class that cannot', () => {
      const platform = testPlatform({ ingressClass: IngressClasses.NGINX });
      expect(() => new NovahostApp(platform, 'a', { services: { api: svc(80, { route: { path: '/api', stripPrefix: true } }) } }))
        .toThrow('a/api/Route: stripPrefix true is not supported by ingress class "nginx"');
    });

    it('stripping "/"', () => {
      const platform = routedPlatform();
      expect(() => new NovahostApp(platform, 'a', { services: { api: svc(80, { route: { path: '/', stripPrefix: true } }) } }))
        .toThrow('has nothing to strip on path "/"');
    });
  });
});
