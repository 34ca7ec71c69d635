import * as path from 'path';
import { ImageTags, renderImageFile } from '../lib/apps/image-tags';
import { loadManifests } from '../lib/checks/policies/load';

const FILE = renderImageFile({ 'web': 'ghcr.io/example/web:0.1.0', 'api': 'registry.example.com/api:1.2.3' }, 'flux-system');

describe('ImageTags', () => {
  it('reads pinned images and the Flux setter markers', () => {
    const tags = ImageTags.parse(FILE, 'images.yaml');
    expect(tags.keys).toEqual(['web', 'api']);
    expect(tags.image('api')).toBe('registry.example.com/api:1.2.3');
    expect(tags.pinned('web')).toMatchObject({ repository: 'ghcr.io/example/web', tag: '0.1.0' });
    expect(tags.marker('api')).toEqual({ namespace: 'flux-system', policy: 'api' });
    expect(ImageTags.parse(renderImageFile({ web: 'ghcr.io/example/web:0.1.0' }), 'x').marker('web')).toBeUndefined();
  });

  it('reads the repository\'s own image files', () => {
    for (const file of ['images/images.yaml', 'examples/private-cloud.images.yaml']) {
      expect(ImageTags.load(`${__dirname}/../${file}`).keys.length).toBeGreaterThan(0);
    }
  });

  it('holds every image of the reference installation\'s apps, so main.ts can read them from it without a dist/ change', () => {
    const tags = ImageTags.load(path.join(__dirname, '..', 'images', 'images.yaml'));
    const known = new Set(tags.keys.map((k) => tags.image(k)));
    const appImages = [...loadManifests(path.join(__dirname, '..', 'dist')).values()]
      .filter((o) => o.kind === 'Deployment' && ['novahost', 'excalidraw'].includes(o.metadata.namespace!))
      .flatMap((o) => o.spec.template.spec.containers.map((c: any) => c.image));
    expect(appImages.length).toBeGreaterThan(0);
    for (const image of appImages) expect([image, known.has(image)]).toEqual([image, true]);
  });

  describe('fails when', () => {
    it('a key is unknown, listing the known ones', () => {
      expect(() => ImageTags.parse(FILE, 'images.yaml').image('worker')).toThrow('images.yaml: image key "worker" is not in the image file. Fix: add "worker: <image>:<version>" under data:, or use one of: web, api');
    });

    it('an image is not pinned', () => {
      expect(() => ImageTags.parse(renderImageFile({ web: 'ghcr.io/example/web:latest' }), 'images.yaml'))
        .toThrow('images.yaml: data.web "ghcr.io/example/web:latest" uses the moving tag "latest"');
      expect(() => ImageTags.parse(renderImageFile({ web: 'ghcr.io/example/web' }), 'images.yaml')).toThrow('has no tag or digest');
    });

    it('the file is not an image file', () => {
      expect(() => ImageTags.parse('web: ghcr.io/example/web:0.1.0\n', 'images.yaml')).toThrow('images.yaml: document "object" is not an image file');
      expect(() => ImageTags.parse('data: [\n', 'images.yaml')).toThrow('does not parse');
    });

    it('a key is not a DNS label', () => {
      expect(() => ImageTags.parse(renderImageFile({ Web_1: 'ghcr.io/example/web:0.1.0' }), 'images.yaml')).toThrow('images.yaml: data.Web_1 (key) "Web_1" is not a DNS-1123 label');
    });

    it('the file is missing', () => {
      expect(() => ImageTags.load('/nonexistent/images.yaml')).toThrow('/nonexistent/images.yaml: image tags file "/nonexistent/images.yaml" cannot be read (ENOENT)');
    });
  });
});
