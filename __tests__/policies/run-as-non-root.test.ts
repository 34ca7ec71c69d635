import { runAsNonRoot } from '../../lib/checks/policies/run-as-non-root';
import { deployment, firstContainer, job, messages } from './fixtures';

describe('run-as-non-root', () => {
  it('passes runAsNonRoot at pod level or container level', () => {
    const d = deployment();
    delete d.spec.template.spec.securityContext.runAsNonRoot;
    firstContainer(d).securityContext.runAsNonRoot = true;
    expect(messages(runAsNonRoot, [deployment(), d])).toEqual([]);
  });

  it('flags a pod without runAsNonRoot and a container that runs as uid 0', () => {
    const d = deployment();
    delete d.spec.template.spec.securityContext.runAsNonRoot;
    const j = job();
    firstContainer(j).securityContext.runAsUser = 0;
    expect(messages(runAsNonRoot, [d, j])).toEqual([
      "Deployment/web: spec.template.spec.containers[web]: runAsNonRoot is not true in the container's or the pod's securityContext; set spec.template.spec.securityContext.runAsNonRoot: true",
      'Job/migrate: spec.template.spec.containers[web] runs as runAsUser 0 (root); use a non-zero uid',
    ]);
  });
});
