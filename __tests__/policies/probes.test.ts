import { probes } from '../../lib/checks/policies/probes';
import { deployment, firstContainer, job, messages, statefulSet } from './fixtures';

describe('probes', () => {
  it('passes named and numeric ports that the container declares, and exec probes; ignores Jobs', () => {
    const s = statefulSet();
    firstContainer(s).livenessProbe = { exec: { command: ['pg_isready'] } };
    const j = job();
    delete firstContainer(j).readinessProbe;
    expect(messages(probes, [deployment(), s, j])).toEqual([]);
  });

  it('flags a missing liveness probe and a probe on an undeclared port', () => {
    const d = deployment();
    delete firstContainer(d).livenessProbe;
    firstContainer(d).readinessProbe.httpGet.port = 'metrics';
    expect(messages(probes, [d])).toEqual([
      'Deployment/web: spec.template.spec.containers[web].readinessProbe uses port "metrics", which the container does not declare (ports: http=8080)',
      'Deployment/web: spec.template.spec.containers[web] has no livenessProbe; add one (httpGet, tcpSocket, grpc or exec)',
    ]);
  });
});
