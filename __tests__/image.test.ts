import { pinnedImage } from '../lib';

describe('pinnedImage', () => {
  it.each([
    ['ghcr.io/shakalabs/novahost-web:0.1.0', 'ghcr.io/shakalabs/novahost-web', '0.1.0'],
    ['redis:7.4.6-alpine', 'redis', '7.4.6-alpine'],
    ['localhost:5000/team/app:v2', 'localhost:5000/team/app', 'v2'],
  ])('accepts %s', (ref, repository, tag) => {
    expect(pinnedImage('t', 'image', ref)).toEqual({ ref, repository, tag, digest: undefined });
  });

  it('accepts a digest, with or without a tag', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(pinnedImage('t', 'image', `excalidraw/excalidraw@${digest}`).digest).toBe(digest);
    expect(pinnedImage('t', 'image', `nginx:1.27@${digest}`).tag).toBe('1.27');
  });

  it.each([
    ['nginx', 'has no tag or digest'],
    ['localhost:5000/app', 'has no tag or digest'],
    ['nginx:latest', 'uses the moving tag "latest"'],
    ['nginx:Latest', 'uses the moving tag "Latest"'],
    ['Nginx:1.0', 'invalid repository name'],
    ['nginx@sha256:abc', 'has a digest that is not'],
    ['nginx:1.0 ', 'is not an image reference'],
  ])('fails when the image is %j', (ref, problem) => {
    expect(() => pinnedImage('novahost/web', 'services.web.image', ref)).toThrow(problem);
    expect(() => pinnedImage('novahost/web', 'services.web.image', ref)).toThrow(/^novahost\/web: services\.web\.image .* Fix: pin the image/);
  });
});
