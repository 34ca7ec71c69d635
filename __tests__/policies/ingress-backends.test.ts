import { ingressBackends } from '../../lib/checks/policies/ingress-backends';
import { ingress, messages, service } from './fixtures';

describe('ingress-backends', () => {
  it('passes a backend that names a Service port by number or name', () => {
    const byName = ingress('by-name');
    byName.spec.rules[0].http.paths[0].backend.service.port = { name: 'http' };
    expect(messages(ingressBackends, [service(), ingress(), byName])).toEqual([]);
  });

  it('flags a missing Service, a Service of another namespace and a missing port', () => {
    const i = ingress();
    i.spec.rules[0].http.paths.push(
      { path: '/api', pathType: 'Prefix', backend: { service: { name: 'api', port: { number: 9000 } } } },
      { path: '/admin', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 8443 } } } },
    );
    expect(messages(ingressBackends, [service(), service('api', 'elsewhere'), i])).toEqual([
      'Ingress/demo-example-com: spec.rules[demo.example.com].paths[/api].backend: Service "api" does not exist in namespace demo',
      'Ingress/demo-example-com: spec.rules[demo.example.com].paths[/admin].backend: Service "web" has no port 8443 (ports: http=80)',
    ]);
  });
});
