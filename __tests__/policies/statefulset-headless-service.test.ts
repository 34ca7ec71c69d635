import { statefulSetHeadlessService } from '../../lib/checks/policies/statefulset-headless-service';
import { messages, service, statefulSet } from './fixtures';

function headless(name: string, ns = 'demo'): any {
  const s = service(name, ns, { 'app.kubernetes.io/name': 'db' });
  s.spec.clusterIP = 'None';
  return s;
}

describe('statefulset-headless-service', () => {
  it('passes a StatefulSet whose serviceName is a headless Service', () => {
    expect(messages(statefulSetHeadlessService, [statefulSet(), headless('db-headless')])).toEqual([]);
  });

  it('flags a missing, a non-headless and an unset serviceName', () => {
    const a = statefulSet('a');
    const b = statefulSet('b');
    const c = statefulSet('c');
    delete c.spec.serviceName;
    expect(messages(statefulSetHeadlessService, [a, b, service('b-headless'), c, headless('a-headless', 'other')])).toEqual([
      'StatefulSet/a: spec.serviceName "a-headless": no such Service in namespace demo',
      'StatefulSet/b: spec.serviceName "b-headless" is not headless (clusterIP unset); set clusterIP: None',
      'StatefulSet/c: spec.serviceName is unset; name a headless Service (clusterIP: None)',
    ]);
  });
});
