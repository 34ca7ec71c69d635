import { parse } from 'yaml';
import { Flux } from '../lib/gitops/flux';
import { IngressController } from '../lib/services/ingress-controller';
import { ALL_POLICIES, runPolicies } from '../lib/checks/policies';
import { Registry, REGISTRY_IMAGE } from '../lib/addons/registry';
import { validateAll } from './support/schemas';
import { findObject, synthesize, testPlatform } from './support/platform';

function registry(props = {}) {
  const platform = testPlatform();
  new Flux(platform, 'flux');
  new IngressController(platform, 'traefik');
  const reg = new Registry(platform, 'registry', props);
  return { platform, reg, out: synthesize(platform) };
}

describe('Registry', () => {
  it('renders the registry folder (snapshot)', () => {
    expect(registry().out.registry).toMatchSnapshot();
  });

  it('runs the pinned registry image on a retained, prune-protected volume with htpasswd auth from a Secret', () => {
    const ns = registry({ storageClassName: 'longhorn-retain' }).out.registry;
    const sts = findObject(ns, 'StatefulSet', 'registry');
    const c = sts.spec.template.spec.containers[0];
    expect(c.image).toBe(REGISTRY_IMAGE);
    expect(c.env).toContainEqual({ name: 'REGISTRY_HTTP_SECRET', valueFrom: { secretKeyRef: { name: 'registry-http-secret', key: 'secret' } } });
    expect(sts.spec.template.spec.volumes).toContainEqual({ name: 'auth', secret: { secretName: 'registry-htpasswd', items: [{ key: 'htpasswd', path: 'htpasswd' }] } });
    expect(sts.spec.volumeClaimTemplates[0].spec.storageClassName).toBe('longhorn-retain');
    expect(sts.metadata.annotations['kustomize.toolkit.fluxcd.io/prune']).toBe('disabled');
    const config = parse(findObject(ns, 'ConfigMap', 'registry-config').data['config.yml']);
    expect(config.auth).toEqual({ htpasswd: { realm: 'registry.example.com', path: '/auth/htpasswd' } });
    expect(config.version).toBe('0.1');
  });

  it('is served over TLS at registry.<domain> through the ingress, to its own Service', () => {
    const ns = registry().out.registry;
    const ingress = findObject(ns, 'Ingress', 'registry-example-com');
    expect(ingress.spec.rules[0]).toEqual({ host: 'registry.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'registry', port: { number: 5000 } } } }] } });
    expect(ingress.spec.tls[0].secretName).toBe('registry-example-com-tls');
    expect(findObject(ns, 'Certificate', 'registry-example-com').spec.dnsNames).toEqual(['registry.example.com']);
  });

  it('passes the schemas and the policy suite', () => {
    const ns = registry().out.registry;
    expect(validateAll(ns)).toEqual([]);
    expect(runPolicies(ns, [], ALL_POLICIES)).toEqual([]);
  });

  it('gives image references on its host', () => {
    expect(registry().reg.imageRef('go-api', '0.1.0')).toBe('registry.example.com/go-api:0.1.0');
  });

  describe('fails when', () => {
    it('the image is not pinned', () => {
      expect(() => registry({ image: 'registry:latest' })).toThrow('registry: image "registry:latest" uses the moving tag "latest"');
    });
    it('the size is not a size', () => {
      expect(() => registry({ storageSize: '20GB' })).toThrow('storageSize "20GB" is not a size in Mi, Gi or Ti');
    });
  });
});
