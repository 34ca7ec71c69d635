import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { ArgoCd, CertManager, IngressController, NovahostApp, PodSecurity, SyncWave } from '../lib';
import { routedPlatform, synthesize, testPlatform } from './support/platform';

const WEB = { image: 'ghcr.io/example/web:1.0.0', port: 3000, route: { path: '/' } };

describe('Platform', () => {
  it('makes one chart per namespace, each owning its Namespace with Pod Security labels', () => {
    const platform = routedPlatform();
    new NovahostApp(platform, 'a', { services: { web: WEB } });
    platform.namespace('builds', { wave: SyncWave.BUILDS, podSecurity: PodSecurity.PRIVILEGED, podSecurityReason: 'rootless BuildKit' });
    const out = synthesize(platform);
    expect(Object.keys(out)).toEqual(['a', 'builds', 'shared']);
    for (const [ns, objects] of Object.entries(out)) {
      expect(objects[0]).toMatchObject({ kind: 'Namespace', metadata: { name: ns } });
      expect(objects.filter((o) => o.kind === 'Namespace')).toHaveLength(1);
      for (const o of objects.slice(1)) expect(o.metadata.namespace).toBe(ns);
    }
    expect(out.a[0].metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    expect(out.builds[0].metadata.labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
    expect(platform.namespace('builds').podSecurityReasons).toEqual(['rootless BuildKit']);
  });

  it('keeps cluster-scoped objects free of a namespace', () => {
    const platform = testPlatform();
    new CertManager(platform, 'cert-manager');
    const shared = synthesize(platform).shared;
    const clusterScoped = shared.filter((o) => ['Namespace', 'ClusterIssuer'].includes(o.kind));
    expect(clusterScoped.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Namespace/shared', 'ClusterIssuer/letsencrypt-prod', 'ClusterIssuer/letsencrypt-staging',
    ]);
    for (const o of clusterScoped) expect(o.metadata.namespace).toBeUndefined();
  });

  it('lets any shared service live in a namespace of its own', () => {
    const platform = testPlatform();
    new CertManager(platform, 'cert-manager', { namespace: 'cert-manager' });
    new IngressController(platform, 'traefik', { namespace: 'ingress' });
    expect(Object.keys(synthesize(platform))).toEqual(['cert-manager', 'ingress']);
    expect(platform.helmReleases.map((r) => [r.name, r.namespace])).toEqual([['cert-manager', 'cert-manager'], ['traefik', 'ingress']]);
  });

  it('protects a namespace that holds data', () => {
    const platform = testPlatform();
    platform.namespace('data', { holdsData: true, wave: SyncWave.SHARED_SERVICES });
    const ns = synthesize(platform).data[0];
    expect(ns.metadata.annotations['argocd.argoproj.io/sync-options']).toBe('Prune=false,Delete=false');
    expect(platform.namespace('data').wave).toBe(SyncWave.SHARED_SERVICES);
  });

  it('writes dist/<namespace>/<namespace>.k8s.yaml, one YAML stream per chart, replacing what was there', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'platform-'));
    fs.mkdirSync(path.join(outdir, 'stale'));
    fs.writeFileSync(path.join(outdir, 'stale', 'Deployment.gone.yaml'), 'x');
    const platform = routedPlatform({ outdir });
    new ArgoCd(platform, 'argocd');
    new NovahostApp(platform, 'a', { services: { web: WEB } });
    const stats = platform.synth();
    expect(fs.readdirSync(outdir).sort()).toEqual(['a', 'argocd', 'shared']);
    expect(fs.readdirSync(path.join(outdir, 'a'))).toEqual(['a.k8s.yaml']);
    const text = fs.readFileSync(path.join(outdir, 'a', 'a.k8s.yaml'), 'utf8');
    expect(text).toMatch(/^apiVersion: v1\nkind: Namespace\n/);
    // Documents in the order the chart renders them: Namespace first, then by kind and name.
    const docs = parseAllDocuments(text).map((d) => d.toJS());
    expect(docs.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Namespace/a', 'Certificate/a-example-com', 'Deployment/web', 'Ingress/a-example-com',
      'NetworkPolicy/allow-dns', 'NetworkPolicy/allow-ingress-acme-solver-from-shared', 'NetworkPolicy/allow-ingress-web-from-shared',
      'NetworkPolicy/default-deny', 'Service/web', 'ServiceAccount/web',
    ]);
    expect(text.split('\n---\n')).toHaveLength(docs.length);
    expect(stats).toMatchObject({ files: 3, objects: Object.values(synthesize(platform)).flat().length });
  });

  it('writes nothing when a validation fails, and lists every problem', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'platform-'));
    fs.writeFileSync(path.join(outdir, 'keep.txt'), 'untouched');
    const platform = routedPlatform({ outdir });
    new ArgoCd(platform, 'argocd');
    const app = new NovahostApp(platform, 'a', { services: { web: WEB } });
    app.node.addValidation({ validate: () => ['first problem', 'second problem'] });
    expect(() => platform.synth()).toThrow('a: first problem\na: second problem');
    expect(fs.readdirSync(outdir)).toEqual(['keep.txt']);
  });

  describe('fails when', () => {
    it.each([
      [{ domain: 'Example.com' }, /^platform: domain "Example.com" is not a lower-case fully qualified domain name/],
      [{ acmeEmail: 'nobody' }, /^platform: acmeEmail "nobody" is not an e-mail address/],
      [{ git: { repoURL: 'github.com/x/y' } }, /^platform: git.repoURL "github.com\/x\/y" is not a Git repository URL/],
    ])('a setting is wrong: %j', (overrides, message) => {
      expect(() => synthesize(testPlatform(overrides as any))).toThrow(message);
    });

    it('nothing would apply dist/: no GitOps engine is declared', () => {
      const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'platform-'));
      const platform = routedPlatform({ outdir });
      new NovahostApp(platform, 'a', { services: { web: WEB } });
      expect(() => platform.synth()).toThrow("platform: no GitOps engine is declared, so nothing applies dist/ (a, shared). Fix: declare new ArgoCd(platform, 'argocd') or new Flux(platform, 'flux')");
      expect(fs.readdirSync(outdir)).toEqual([]);
    });

    it('a namespace name is invalid', () => {
      const platform = testPlatform();
      platform.namespace('My_NS');
      expect(() => synthesize(platform)).toThrow(/^platform: namespace "My_NS" is not a DNS-1123 label/);
    });

    it('a namespace is lowered below restricted without a reason', () => {
      expect(() => testPlatform().namespace('x', { podSecurity: PodSecurity.BASELINE }))
        .toThrow('x: podSecurity "baseline" is below "restricted" without a reason. Fix: pass podSecurityReason');
    });

    it('everything together does not fit the node, with a table of the biggest consumers', () => {
      const platform = routedPlatform({ capacity: { cpu: '2', memory: '4Gi' } });
      new NovahostApp(platform, 'big', {
        services: { web: { ...WEB, replicas: 3, resources: { cpuRequest: '500m', memoryRequest: '2Gi', memoryLimit: '2Gi' } } },
      });
      expect(() => platform.manifests()).toThrow(/^capacity: the requests exceed the node.s available resources \(memory by 2.81Gi\)\. Fix: [^\n]*$/);
      // The table follows the report, so each report line stays one problem.
      expect(platform.registry.notes.join('\n')).toMatch(/^DOES NOT FIT[\s\S]*big\/Deployment\/web +3 +1.5 +6Gi/);
    });

    it('a third-party chart is declared twice', () => {
      const platform = testPlatform();
      new CertManager(platform, 'cert-manager');
      expect(() => new CertManager(platform, 'cert-manager-2', { namespace: 'other' }))
        .toThrow('other/cert-manager-2: helm release name "cert-manager" is already installed by shared/cert-manager');
    });

    it('Traefik is declared for another ingress class', () => {
      const platform = testPlatform({ ingressClass: { name: 'nginx', supportsStripPrefix: false } });
      expect(() => new IngressController(platform, 'traefik')).toThrow('shared/traefik: platform ingressClass "nginx" is not served by the Traefik ingress controller');
    });
  });
});
