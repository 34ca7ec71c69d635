import { portNames } from '../../lib/checks/policies/port-names';
import { deployment, firstContainer, messages, service } from './fixtures';

describe('port-names', () => {
  it('passes short IANA names', () => {
    expect(messages(portNames, [deployment(), service()])).toEqual([]);
  });

  it('flags a container port name over 15 characters and a bad named targetPort', () => {
    const d = deployment();
    firstContainer(d).ports[0].name = 'http-metrics-admin';
    const s = service();
    s.spec.ports[0].targetPort = 'http--x';
    expect(messages(portNames, [d, s])).toEqual([
      'Deployment/web: spec.template.spec.containers[web].ports name "http-metrics-admin" is not an IANA service name (at most 15 lower-case letters, digits and single "-", with a letter)',
      'Service/web: spec.ports[http].targetPort "http--x" is not an IANA service name (at most 15 lower-case letters, digits and single "-", with a letter)',
    ]);
  });
});
