import { NovahostApp, PodSecurity } from '../lib';
import { findObject, routedPlatform, synthesize } from './support/platform';

function novahost(services: ConstructorParameters<typeof NovahostApp>[2]['services']) {
  const platform = routedPlatform();
  const app = new NovahostApp(platform, 'novahost', { services });
  return { platform, app };
}

const WEB = { image: 'ghcr.io/example/web:1.0.0', port: 3000, route: { path: '/' } };

describe('NovahostApp', () => {
  it('renders a Deployment, Service and ServiceAccount per service (snapshot)', () => {
    const { platform } = novahost({
      'web': WEB,
      'api-server': {
        image: 'ghcr.io/example/api:1.0.0',
        port: 9000,
        route: { path: '/api' },
        env: { LOG_LEVEL: 'info' },
        secretEnv: { GITHUB_TOKEN: { secret: 'novahost-github', key: 'token' } },
        readiness: { httpPath: '/api/health' },
      },
      'worker': { image: 'ghcr.io/example/worker:1.0.0', port: 9100, readiness: { tcp: true }, liveness: { exec: ['true'] } },
    });
    expect(synthesize(platform).novahost).toMatchSnapshot();
  });

  it('selects its pods with the Service and Deployment selector, and the ports match', () => {
    const { platform } = novahost({ web: WEB });
    const objects = synthesize(platform).novahost;
    const deployment = findObject(objects, 'Deployment', 'web');
    const service = findObject(objects, 'Service', 'web');
    const podLabels = deployment.spec.template.metadata.labels;
    for (const selector of [service.spec.selector, deployment.spec.selector.matchLabels]) {
      for (const [k, v] of Object.entries(selector)) expect(podLabels[k]).toBe(v);
    }
    const container = deployment.spec.template.spec.containers[0];
    expect(container.ports).toEqual([{ name: 'http', containerPort: 3000, protocol: 'TCP' }]);
    expect(service.spec.ports).toEqual([{ name: 'http', port: 3000, targetPort: 'http', protocol: 'TCP' }]);
    expect(container.readinessProbe.httpGet).toEqual({ path: '/', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/', port: 'http' });
  });

  it('runs restricted: non-root, read-only root, no token, resources set', () => {
    const { platform } = novahost({ web: WEB });
    const objects = synthesize(platform).novahost;
    const pod = findObject(objects, 'Deployment', 'web').spec.template.spec;
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(findObject(objects, 'ServiceAccount', 'web').automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    const c = pod.containers[0];
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(c.resources.requests).toEqual({ cpu: '50m', memory: '128Mi' });
    expect(c.resources.limits.memory).toBe('256Mi');
    expect(c.volumeMounts).toEqual([{ name: 'writable-0', mountPath: '/tmp' }]);
    const ns = findObject(objects, 'Namespace', 'novahost');
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe(PodSecurity.RESTRICTED);
  });

  it('binds a port below 1024 through the safe unprivileged-port sysctl instead of a capability', () => {
    const { platform } = novahost({ web: { ...WEB, port: 80 } });
    const pod = findObject(synthesize(platform).novahost, 'Deployment', 'web').spec.template.spec;
    expect(pod.securityContext.sysctls).toEqual([{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }]);
    expect(pod.containers[0].securityContext.capabilities).toEqual({ drop: ['ALL'] });
  });

  it('reads secrets only by reference and lists them', () => {
    const { platform, app } = novahost({ web: { ...WEB, secretEnv: { SESSION_SECRET: { secret: 'web-session', key: 'secret' } } } });
    const c = findObject(synthesize(platform).novahost, 'Deployment', 'web').spec.template.spec.containers[0];
    expect(c.env).toEqual([{ name: 'SESSION_SECRET', valueFrom: { secretKeyRef: { name: 'web-session', key: 'secret' } } }]);
    expect(app.secretReferences).toEqual([expect.objectContaining({ namespace: 'novahost', name: 'web-session', key: 'secret' })]);
  });

  it('mounts an API token only for a service that asks for it', () => {
    const { platform } = novahost({ 'web': WEB, 'build-server': { image: 'ghcr.io/example/b:1.0.0', port: 9001, apiAccess: true } });
    const objects = synthesize(platform).novahost;
    expect(findObject(objects, 'Deployment', 'build-server').spec.template.spec.automountServiceAccountToken).toBe(true);
    expect(findObject(objects, 'Deployment', 'web').spec.template.spec.automountServiceAccountToken).toBe(false);
  });

  it('has no Ingress for internal services', () => {
    const { platform } = novahost({ internal: { image: 'ghcr.io/example/i:1.0.0', port: 8080 } });
    expect(synthesize(platform).novahost.filter((o) => o.kind === 'Ingress' || o.kind === 'Certificate')).toEqual([]);
  });

  describe('fails when', () => {
    const cases: Array<[string, any, RegExp]> = [
      ['the image is latest', { web: { ...WEB, image: 'ghcr.io/example/web:latest' } }, /^novahost: services\.web\.image "ghcr.io\/example\/web:latest" uses the moving tag "latest"\. Fix: pin/],
      ['the image has no tag', { web: { ...WEB, image: 'ghcr.io/example/web' } }, /services\.web\.image "ghcr.io\/example\/web" has no tag or digest/],
      ['the port is not a port', { web: { ...WEB, port: 70000 } }, /services\.web\.port 70000 is not a whole number from 1 to 65535\. Fix: use the TCP port/],
      ['a service name is not DNS-1035', { '9web': WEB }, /services key "9web" is not a DNS-1035 label/],
      ['a plain env looks secret', { web: { ...WEB, env: { DB_PASSWORD: 'hunter2' } } }, /services\.web\.env\.DB_PASSWORD <redacted> looks like a secret.*Fix: move it to secretEnv/],
      ['a variable is set twice', { web: { ...WEB, env: { A: '1' }, secretEnv: { A: { secret: 's', key: 'k' } } } }, /services\.web\.env "A" is set twice/],
      ['a service asks for a database the app lacks', { web: { ...WEB, database: true } }, /services\.web\.database true asks for a database the app does not have/],
      ['a writable path is relative', { web: { ...WEB, writablePaths: ['tmp'] } }, /services\.web\.writablePaths\[0\] "tmp" is not an absolute path/],
      ['there is no service', {}, /services \{\} declares no service/],
    ];
    // Problems are collected while declaring and reported together when the platform synthesizes.
    const synthOf = (services: any) => () => novahost(services).app.platform.manifests();
    it.each(cases)('%s', (_name, services, message) => {
      expect(synthOf(services)).toThrow(message);
    });

    it('a secret value would never reach the output: the error redacts it', () => {
      expect(synthOf({ web: { ...WEB, env: { API_TOKEN: 'tok-123' } } })).toThrow(/^(?!.*tok-123)/s);
    });

    it('asking for a service that does not exist', () => {
      const { app } = novahost({ web: WEB });
      expect(() => app.service('api')).toThrow('novahost: service "api" is not a service of app "novahost". Fix: use one of: web');
    });
  });
});

describe('NovahostApp props at run time (synthesis does not type-check)', () => {
  const problems = (declare: (platform: ReturnType<typeof routedPlatform>) => void): string[] => {
    const platform = routedPlatform();
    declare(platform);
    try {
      platform.manifests();
      return [];
    } catch (e) {
      return (e as Error).message.split('\n');
    }
  };
  const svcProblems = (svc: object) => problems((p) => new NovahostApp(p, 'shop', { services: { web: { ...WEB, ...svc } as any } }));

  it.each<[string, object, RegExp]>([
    ['a number is given where a string is expected', { image: 42 }, /^shop: services\.web\.image 42 is a number, not a string/],
    ['a string is given where a number is expected', { port: '3000' }, /^shop: services\.web\.port "3000" is a string, not a number/],
    ['an unknown key is given, with a suggestion', { replica: 2 }, /^shop: services\.web\.replica 2 is not a known setting\. Fix: did you mean "replicas"\?/],
    ['a quantity is not one', { resources: { memoryLimit: '1GB' } }, /services\.web\.resources\.memoryLimit "1GB" is not a positive Kubernetes memory quantity \(Kubernetes writes Gi/],
    ['a quantity is a number', { resources: { memoryLimit: 256 } }, /memoryLimit 256 is a number, not a quantity string\. Fix: write it as a string with a unit/],
    ['a limit is below its request', { resources: { memoryRequest: '512Mi', memoryLimit: '256Mi' } }, /memoryLimit "256Mi" is below the memory request \(512Mi\)/],
    ['a probe has two kinds', { readiness: { httpPath: '/h', tcp: true } }, /services\.web\.readiness "httpPath \+ tcp" gives more than one kind of check/],
    ['runAsUser is root', { runAsUser: 0 }, /services\.web\.runAsUser 0 is not a whole number from 1 to 2147483647\. Fix: use a non-root uid/],
    ['runAsUser is fractional', { runAsUser: 1000.5 }, /runAsUser 1000\.5 is not a whole number/],
    ['a writable path is /', { writablePaths: ['/'] }, /writablePaths\[0\] "\/" is the root directory/],
    ['a writable path has ..', { writablePaths: ['/tmp/../etc'] }, /writablePaths\[0\] "\/tmp\/\.\.\/etc" is not a plain absolute directory/],
    ['a writable path is listed twice', { writablePaths: ['/tmp', '/tmp/'] }, /writablePaths\[1\] "\/tmp\/" is listed twice/],
    ['an env name is refused by Kubernetes', { env: { 'MY-VAR': 'x' } }, /services\.web\.env "MY-VAR" is not a valid variable name/],
    ['an env value is a URL with credentials', { env: { UPSTREAM: 'https://bob:s3cr3t@api.example.com' } }, /services\.web\.env\.UPSTREAM <redacted> holds a URL with a password/],
    ['an env name says password (DB_PASS)', { env: { DB_PASS: 'x1' } }, /env\.DB_PASS <redacted> looks like a secret/],
    ['an env name says secret key', { env: { STRIPE_SECRET_KEY: 'sk_live_1' } }, /env\.STRIPE_SECRET_KEY <redacted> looks like a secret/],
    ['an arg carries a password', { args: ['--db-password=hunter2'] }, /services\.web\.args\[0\] <redacted> passes a secret on the command line/],
    ['a secretEnv name is refused by Kubernetes', { secretEnv: { 'A-B': { secret: 's', key: 'k' } } }, /services\.web\.secretEnv "A-B" is not a valid variable name/],
    ['a secretEnv key is not a Secret key', { secretEnv: { A: { secret: 's', key: 'a/b' } } }, /secretEnv\.A\.key "a\/b" is not a Secret key/],
    ['a route path has a backtick (Traefik rule injection)', { route: { path: '/a`) || Host(`evil.example.com' } }, /shop\/web\/Route: path .* has characters a URL path prefix cannot have/],
    ['a route path has /../', { route: { path: '/a/../b' } }, /path "\/a\/\.\.\/b" contains "\/\.\.\/"/],
    ['a route path has %2F', { route: { path: '/a%2Fb' } }, /path "\/a%2Fb" contains "%2F"/],
    ['a route path ends in /.', { route: { path: '/a/.' } }, /path "\/a\/\." ends with "\/\."/],
    ['a route path has NUL', { route: { path: '/a\u0000' } }, /route\.path "\/a\\u0000" contains control characters/],
    ['a route path looks like a regex', { route: { path: '/api/(v1|v2)' } }, /has characters a URL path prefix cannot have/],
  ])('fails when %s', (_name, svc, message) => {
    const lines = svcProblems(svc);
    expect(lines.some((l) => message.test(l))).toBe(true);
    expect(lines.join('\n')).not.toMatch(/hunter2|s3cr3t|sk_live_1/);
  });

  it('fails when an app props key is unknown, with a suggestion', () => {
    expect(problems((p) => new NovahostApp(p, 'shop', { services: { web: WEB }, hosts: 'x' } as any)))
      .toEqual(['shop: hosts "x" is not a known setting. Fix: did you mean "host"?']);
  });

  it('fails when an app takes a system namespace or a platform one (whose Secrets it could read)', () => {
    expect(problems((p) => new NovahostApp(p, 'kube-system', { services: { web: WEB } })))
      .toEqual([expect.stringMatching(/^kube-system: namespace "kube-system" is a namespace Kubernetes itself uses/)]);
    expect(problems((p) => new NovahostApp(p, 'shared', { services: { web: WEB } })))
      .toEqual([expect.stringMatching(/^shared: namespace "shared" is the namespace of shared\/traefik, whose Secrets any pod there can read/)]);
  });

  it('reports every problem of a synth at once, sorted by construct path', () => {
    const lines = problems((p) => {
      new NovahostApp(p, 'zeta', { services: { web: { ...WEB, port: 0 } } });
      new NovahostApp(p, 'alpha', { services: { web: { ...WEB, rout: { path: '/' } } as any } });
    });
    expect(lines.map((l) => l.split(':')[0])).toEqual(['alpha', 'zeta']);
  });

  it('takes ids that are JavaScript property names', () => {
    expect(problems((p) => new NovahostApp(p, 'constructor', { services: { constructor: { ...WEB } } }))).toEqual([]);
  });

  it('shortens derived names of a valid 75-character host with a stable hash suffix', () => {
    const host = `${'a'.repeat(40)}.${'b'.repeat(22)}.example.com`;
    expect(host).toHaveLength(75);
    const platform = routedPlatform();
    new NovahostApp(platform, 'shop', { host, services: { web: WEB } });
    const names = [...platform.manifests().get('shop')!].map((o: any) => o.metadata.name);
    const cert = names.find((n) => n.startsWith('aaaa'));
    expect(cert).toMatch(/^a{40}-b{13}-[0-9a-f]{8}$/);
    expect(cert).toHaveLength(63);
  });
});
