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
      ['the port is not a port', { web: { ...WEB, port: 70000 } }, /services\.web\.port 70000 is not a TCP port/],
      ['a service name is not DNS-1035', { '9web': WEB }, /services key "9web" is not a DNS-1035 label/],
      ['a plain env looks secret', { web: { ...WEB, env: { DB_PASSWORD: 'hunter2' } } }, /services\.web\.env\.DB_PASSWORD "<redacted>" looks like a secret.*Fix: move it to secretEnv/],
      ['a variable is set twice', { web: { ...WEB, env: { A: '1' }, secretEnv: { A: { secret: 's', key: 'k' } } } }, /services\.web\.env "A" is set twice/],
      ['a service asks for a database the app lacks', { web: { ...WEB, database: true } }, /services\.web\.database true asks for a database the app does not have/],
      ['a writable path is relative', { web: { ...WEB, writablePaths: ['tmp'] } }, /services\.web\.writablePaths "tmp" is not an absolute path/],
      ['there is no service', {}, /services \{\} declares no service/],
    ];
    it.each(cases)('%s', (_name, services, message) => {
      expect(() => novahost(services)).toThrow(message);
    });

    it('a secret value would never reach the output: the error redacts it', () => {
      expect(() => novahost({ web: { ...WEB, env: { API_TOKEN: 'tok-123' } } })).toThrow(/^(?!.*tok-123)/s);
    });

    it('asking for a service that does not exist', () => {
      const { app } = novahost({ web: WEB });
      expect(() => app.service('api')).toThrow('novahost: service "api" is not a service of app "novahost". Fix: use one of: web');
    });
  });
});
