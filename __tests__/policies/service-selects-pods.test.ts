import { serviceSelectsPods } from '../../lib/checks/policies/service-selects-pods';
import { deployment, messages, service } from './fixtures';

describe('service-selects-pods', () => {
  it('passes a Service that selects a pod template and targets a declared port by name or number', () => {
    const byNumber = service('web-num');
    byNumber.spec.ports = [{ port: 80, targetPort: 8080 }];
    expect(messages(serviceSelectsPods, [deployment(), service(), byNumber])).toEqual([]);
  });

  it('flags a selector that matches nothing in the namespace and an unknown targetPort', () => {
    const other = service('web', 'other');
    const wrongPort = service('web');
    wrongPort.spec.ports = [{ name: 'http', port: 80, targetPort: 'web' }, { name: 'admin', port: 9000 }];
    expect(messages(serviceSelectsPods, [deployment(), other, wrongPort])).toEqual([
      'Service/web: spec.selector {"app.kubernetes.io/name":"demo","app.kubernetes.io/component":"web"} matches no pod template in namespace other; fix the selector or the pod labels',
      'Service/web: spec.ports[http].targetPort "web" is not a port declared by the selected containers (Deployment/web)',
      'Service/web: spec.ports[admin].targetPort 9000 is not a port declared by the selected containers (Deployment/web)',
    ]);
  });
});
