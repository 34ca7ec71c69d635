import { imagePin, pinnedImages } from '../../lib/checks/policies/pinned-images';
import { deployment, firstContainer, messages } from './fixtures';

describe('pinned-images', () => {
  it('passes a version tag, a registry with a port, and a digest', () => {
    const a = deployment('a');
    firstContainer(a).image = 'registry.local:5000/team/app:2.0.1';
    const b = deployment('b');
    firstContainer(b).image = `nginx@sha256:${'a'.repeat(64)}`;
    expect(messages(pinnedImages, [deployment(), a, b])).toEqual([]);
  });

  it('flags latest and a missing tag (a registry port is not a tag)', () => {
    const a = deployment('a');
    firstContainer(a).image = 'nginx:latest';
    const b = deployment('b');
    firstContainer(b).image = 'registry.local:5000/team/app';
    expect(messages(pinnedImages, [a, b])).toEqual([
      'Deployment/a: spec.template.spec.containers[web].image "nginx:latest" uses the moving tag latest; pin a version or a digest',
      'Deployment/b: spec.template.spec.containers[web].image "registry.local:5000/team/app" has no tag (means latest); pin a version or a digest',
    ]);
  });

  it('reads tags and digests', () => {
    expect(imagePin('a/b:1@sha256:x')).toEqual({ digest: 'sha256:x' });
    expect(imagePin('host:1/b')).toEqual({});
  });
});
