import { readOnlyRootFilesystem } from '../../lib/checks/policies/read-only-root-filesystem';
import { deployment, firstContainer, messages } from './fixtures';

describe('read-only-root-filesystem', () => {
  it('passes readOnlyRootFilesystem: true', () => {
    expect(messages(readOnlyRootFilesystem, [deployment()])).toEqual([]);
  });

  it('flags a writable root filesystem', () => {
    const d = deployment();
    firstContainer(d).securityContext.readOnlyRootFilesystem = false;
    expect(messages(readOnlyRootFilesystem, [d])).toEqual([
      'Deployment/web: spec.template.spec.containers[web].securityContext.readOnlyRootFilesystem is not true; set it and mount an emptyDir on each path the process writes to',
    ]);
  });
});
