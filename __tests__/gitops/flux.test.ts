import { ArgoCd, CertManager, IngressController, NovahostApp, SharedPostgres, SyncWave } from '../../lib';
import { assertGitOpsEngine } from '../../lib';
import { Flux, onlyFolder, withFluxControllers } from '../../lib/gitops/flux';
import { ImageTags, renderImageFile } from '../../lib/apps/image-tags';
import { validateWithMinimal } from '../support/minimal-schemas';
import { findObject, synthesize, synthOf, testPlatform } from '../support/platform';

type Engine = 'argocd' | 'flux';

function reference(engine: Engine = 'flux') {
  const platform = testPlatform();
  if (engine === 'flux') new Flux(platform, 'flux');
  else new ArgoCd(platform, 'argocd');
  new IngressController(platform, 'traefik');
  new CertManager(platform, 'cert-manager');
  platform.namespace('builds', { wave: SyncWave.BUILDS });
  platform.namespace('data', { wave: SyncWave.SHARED_SERVICES, holdsData: true });
  new NovahostApp(platform, 'novahost', { services: { web: { image: 'ghcr.io/example/web:1.0.0', port: 3000, route: { path: '/' } } } });
  return { platform, out: synthesize(platform) };
}

const TAGS = ImageTags.parse(renderImageFile({ 'web': 'registry.example.com/web:0.1.0', 'api': 'registry.example.com/api:0.2.0' }, 'flux-system'), 'images/images.yaml');

describe('Flux', () => {
  it('renders dist/flux-system (snapshot)', () => {
    expect(reference().out['flux-system']).toMatchSnapshot();
  });

  it('synthesizes the same namespace folders as Argo CD, with the same objects outside the engine folder', () => {
    const flux = reference('flux').out;
    const argo = reference('argocd').out;
    const folders = (out: Record<string, any[]>, engine: string) => Object.keys(out).filter((n) => n !== engine).sort();
    expect(folders(flux, 'flux-system')).toEqual(folders(argo, 'argocd'));
    for (const ns of folders(flux, 'flux-system')) {
      const names = (objects: any[]) => objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
      expect(names(flux[ns])).toEqual(names(argo[ns]));
    }
  });

  it('syncs every namespace folder with a pruning Kustomization from the platform repository', () => {
    const { out } = reference();
    const fs = out['flux-system'];
    const source = findObject(fs, 'GitRepository', 'platform');
    expect(source.spec).toMatchObject({ url: 'https://github.com/example/infra.git', ref: { branch: 'main' } });
    for (const ns of Object.keys(out).filter((n) => n !== 'flux-system')) {
      const k = findObject(fs, 'Kustomization', ns);
      expect(k.spec).toMatchObject({ path: `./dist/${ns}`, prune: true, sourceRef: { kind: 'GitRepository', name: 'platform' } });
      expect(k.spec.wait === true || k.spec.healthChecks.length > 0).toBe(true);
    }
    expect(findObject(fs, 'Kustomization', 'root').spec.path).toBe('./dist/flux-system');
    expect(findObject(fs, 'Kustomization', 'data').spec.deletionPolicy).toBe('Orphan');
    expect(findObject(fs, 'Kustomization', 'novahost').spec.deletionPolicy).toBeUndefined();
  });

  it('installs every Helm release from a HelmRepository at its pinned version, with the same values', () => {
    const { platform, out } = reference();
    const fs = out['flux-system'];
    const releases = fs.filter((o) => o.kind === 'HelmRelease');
    expect(releases.map((r) => [r.metadata.name, r.spec.chart.spec.chart, r.spec.chart.spec.version])).toEqual([
      ['cert-manager', 'cert-manager', 'v1.21.1'], ['traefik', 'traefik', '41.3.0'],
    ]);
    for (const r of releases) {
      const declared = platform.helmReleases.find((h) => h.name === r.metadata.name)!;
      expect(r.spec.values).toEqual(JSON.parse(JSON.stringify(declared.values)));
      expect(r.spec.targetNamespace).toBe(declared.namespace);
      const repo = findObject(fs, 'HelmRepository', r.spec.chart.spec.sourceRef.name);
      expect(repo.spec.url).toBe(declared.repoURL);
    }
  });

  it('lets Flux replace Jobs, whose templates are immutable (Argo CD replaces its hook Jobs)', () => {
    const platform = testPlatform();
    new Flux(platform, 'flux');
    const postgres = new SharedPostgres(platform, 'postgres');
    new NovahostApp(platform, 'a', { database: { server: postgres }, services: { web: { image: 'ghcr.io/example/web:1.0.0', port: 3000, database: true } } });
    const job = findObject(synthesize(platform).shared, 'Job', 'postgres-provision');
    expect(job.metadata.annotations['kustomize.toolkit.fluxcd.io/force']).toBe('enabled');
  });

  it('validates every Flux object against its CRD schema', () => {
    expect(validateWithMinimal(reference().out['flux-system'])).toEqual([]);
  });

  describe('ordering (the same as Argo CD sync waves)', () => {
    /** Names that must be Ready before `name` starts, transitively, through dependsOn and carriers. */
    function before(fs: any[], name: string): Set<string> {
      const ks = new Map(fs.filter((o) => o.kind === 'Kustomization').map((k) => [k.metadata.name, k]));
      const seen = new Set<string>();
      const visit = (n: string) => {
        const k = ks.get(n);
        for (const d of k?.spec.dependsOn ?? []) {
          if (seen.has(d.name)) continue;
          seen.add(d.name);
          for (const h of ks.get(d.name)?.spec.healthChecks ?? []) if (h.kind === 'HelmRelease') seen.add(`helm:${h.name}`);
          visit(d.name);
        }
      };
      visit(name);
      return seen;
    }

    it('starts shared services after the operators, builds after shared services, apps last', () => {
      const fs = reference().out['flux-system'];
      expect(findObject(fs, 'Kustomization', 'root').spec.healthChecks.map((h: any) => h.name)).toEqual(['cert-manager', 'traefik']);
      expect(before(fs, 'shared')).toEqual(new Set(['root', 'helm:cert-manager', 'helm:traefik']));
      expect(before(fs, 'builds')).toEqual(new Set(['root', 'helm:cert-manager', 'helm:traefik', 'shared', 'data']));
      expect(before(fs, 'novahost')).toEqual(new Set(['root', 'helm:cert-manager', 'helm:traefik', 'shared', 'data', 'builds']));
    });

    it('orders like the Argo CD waves of the same platform', () => {
      const fs = reference('flux').out['flux-system'];
      const apps = reference('argocd').out.argocd.filter((o) => o.kind === 'Application');
      const wave = (name: string) => Number(findObject(apps, 'Application', name).metadata.annotations['argocd.argoproj.io/sync-wave']);
      for (const a of ['shared', 'data', 'builds', 'novahost']) {
        for (const b of ['shared', 'data', 'builds', 'novahost']) {
          expect(before(fs, b).has(a)).toBe(wave(a) < wave(b));
        }
      }
    });

    it('lets a release of a later wave wait for lower releases, and later folders wait for it', () => {
      const platform = testPlatform();
      new Flux(platform, 'flux');
      new IngressController(platform, 'traefik');
      platform.namespace('auth', { wave: SyncWave.SHARED_SERVICES });
      platform.addHelmRelease(platform, { name: 'sso', namespace: 'auth', repoURL: 'https://charts.example.com', chart: 'sso', version: '1.0.0', values: {}, wave: SyncWave.SHARED_SERVICES });
      new NovahostApp(platform, 'app', { services: { web: { image: 'ghcr.io/example/web:1.0.0', port: 3000 } } });
      const fs = synthesize(platform)['flux-system'];
      expect(findObject(fs, 'HelmRelease', 'sso').spec.dependsOn).toEqual([{ name: 'traefik' }]);
      expect(findObject(fs, 'Kustomization', 'auth').spec.healthChecks).toContainEqual({ apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', name: 'sso', namespace: 'flux-system' });
      expect(before(fs, 'app').has('helm:sso')).toBe(true);
    });
  });

  it('automates the images that opt in: ImageRepository, semver ImagePolicy, ImageUpdateAutomation on the image file', () => {
    const platform = testPlatform({ git: { repoURL: 'ssh://git@github.com/example/infra.git' } });
    new Flux(platform, 'flux', { gitSecret: 'platform-git', imageAutomation: { tags: TAGS, file: 'images/images.yaml', images: { web: { semverRange: '>=0.1.0 <1.0.0', pullSecret: 'registry-pull' } } } });
    const fs = synthesize(platform)['flux-system'];
    expect(findObject(fs, 'ImageRepository', 'web').spec).toEqual({ image: 'registry.example.com/web', interval: '5m', secretRef: { name: 'registry-pull' } });
    expect(findObject(fs, 'ImagePolicy', 'web').spec).toEqual({ imageRepositoryRef: { name: 'web' }, policy: { semver: { range: '>=0.1.0 <1.0.0' } } });
    const auto = findObject(fs, 'ImageUpdateAutomation', 'image-tags');
    expect(auto.spec.update).toEqual({ path: './images', strategy: 'Setters' });
    expect(auto.spec.git.push.branch).toBe('main');
    expect(fs.filter((o) => o.kind === 'ImagePolicy')).toHaveLength(1);
    expect(findObject(fs, 'GitRepository', 'platform').spec.secretRef).toEqual({ name: 'platform-git' });
    expect(validateWithMinimal(fs)).toEqual([]);
  });

  it('sources only the synthesized folder, opening each level of a nested path', () => {
    expect(onlyFolder('dist')).toBe('/*\n!/dist/');
    expect(onlyFolder('clusters/private-cloud')).toBe('/*\n!/clusters/\n/clusters/*\n!/clusters/private-cloud/');
    expect(findObject(reference().out['flux-system'], 'GitRepository', 'platform').spec.ignore).toBe('/*\n!/dist/');
  });

  it('counts its controllers in the node reserve', () => {
    expect(withFluxControllers(undefined, { imageAutomation: true }).systemReserved).toEqual({ cpu: '850m', memory: '1152Mi' });
  });

  describe('fails when', () => {
    it('Argo CD is declared too', () => {
      const platform = testPlatform();
      new ArgoCd(platform, 'argocd');
      new Flux(platform, 'flux');
      expect(() => synthesize(platform)).toThrow('GitOps engines ArgoCd (argocd/argocd) and Flux (flux-system/flux) are both declared; they would fight over every object. Fix: keep one of them');
    });

    it('no engine is declared for a platform with folders (at synth)', () => {
      const platform = testPlatform();
      new NovahostApp(platform, 'a', { services: { web: { image: 'ghcr.io/example/web:1.0.0', port: 3000 } } });
      expect(() => assertGitOpsEngine(platform)).toThrow("platform: no GitOps engine is declared, so nothing applies dist/ (a). Fix: declare new ArgoCd(platform, 'argocd') or new Flux(platform, 'flux')");
      const ok = reference().platform;
      expect(() => assertGitOpsEngine(ok)).not.toThrow();
    });

    it('an automated image has no setter marker', () => {
      const tags = ImageTags.parse(renderImageFile({ web: 'registry.example.com/web:0.1.0' }), 'images/images.yaml');
      const platform = testPlatform();
      expect(() => new Flux(platform, 'flux', { gitSecret: 'git', imageAutomation: { tags, file: 'images/images.yaml', images: { web: { semverRange: '>=0.1.0' } } } }))
        .toThrow('flux-system/flux: imageAutomation.images.web (unset) has no matching setter marker in images/images.yaml, so Flux would never update it. Fix: end the line of "web" with: # {"$imagepolicy": "flux-system:web"}');
    });

    it('image automation has no Git credentials to push with', () => {
      expect(synthOf((p) => new Flux(p, 'flux', { imageAutomation: { tags: TAGS, file: 'images/images.yaml', images: { web: { semverRange: '>=0.1.0' } } } })))
        .toThrow('gitSecret (unset) is required with imageAutomation');
    });

    it('an automated image is not in the image file', () => {
      expect(synthOf((p) => new Flux(p, 'flux', { gitSecret: 'git', imageAutomation: { tags: TAGS, file: 'images/images.yaml', images: { worker: { semverRange: '>=0.1.0' } } } })))
        .toThrow('images/images.yaml: image key "worker" is not in the image file. Fix: add "worker: <image>:<version>" under data:, or use one of: web, api');
    });

    it('an interval is not a duration', () => {
      expect(synthOf((p) => new Flux(p, 'flux', { interval: '10 minutes' }))).toThrow('flux-system/flux: interval "10 minutes" is not a positive Go duration');
    });
  });
});
