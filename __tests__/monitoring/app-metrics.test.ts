import { NovahostApp } from '../../lib';
import { Monitoring } from '../../lib/services/monitoring/monitoring';
import { findObject, routedPlatform, synthesize } from '../support/platform';

describe('NovahostApp metrics', () => {
  function app(metrics: { port?: number; path?: string }) {
    const platform = routedPlatform();
    new Monitoring(platform, 'monitoring', { grafana: { routed: false } });
    new NovahostApp(platform, 'demo', { services: { api: { image: 'ghcr.io/example/api:1.0.0', port: 8080, metrics } } });
    return synthesize(platform);
  }

  it('adds a metrics port when it differs, a ServiceMonitor on it and a policy from Prometheus', () => {
    const objects = app({ port: 9464, path: '/internal/metrics' });
    const container = findObject(objects.demo, 'Deployment', 'api').spec.template.spec.containers[0];
    expect(container.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }, { name: 'metrics', containerPort: 9464, protocol: 'TCP' }]);
    expect(findObject(objects.demo, 'Service', 'api').spec.ports.map((p: any) => [p.name, p.port])).toEqual([['http', 8080], ['metrics', 9464]]);
    const monitor = findObject(objects.demo, 'ServiceMonitor', 'api');
    expect(monitor.spec.endpoints).toEqual([{ port: 'metrics', path: '/internal/metrics' }]);
    expect(monitor.spec.selector.matchLabels).toMatchObject({ 'app.kubernetes.io/instance': 'demo', 'app.kubernetes.io/component': 'api' });
    const policy = findObject(objects.demo, 'NetworkPolicy', 'allow-ingress-api-from-monitoring');
    expect(policy.spec.ingress[0].ports).toEqual([{ port: 9464, protocol: 'TCP' }]);
  });

  it('scrapes the service port when no metrics port is given', () => {
    const objects = app({});
    expect(findObject(objects.demo, 'Service', 'api').spec.ports).toHaveLength(1);
    expect(findObject(objects.demo, 'ServiceMonitor', 'api').spec.endpoints).toEqual([{ port: 'http', path: '/metrics' }]);
  });

  it('fails when the metrics port is not a port', () => {
    expect(() => app({ port: 70000 })).toThrow(/demo.*services\.api\.metrics\.port.*70000.*not a whole number from 1 to 65535/s);
  });
});
