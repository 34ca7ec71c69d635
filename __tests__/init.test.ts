import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { INSTALLATION } from '../installation';
import { parseArgs, renderInstallation, resolve } from '../scripts/init';
import { copyRepository } from './support/repo-copy';

/**
 * `npm run init`, as a person who forked the repository runs it: on a copy of this repository,
 * with another domain and repository; then synth there, and the fork's dist/ is its own.
 */
const ROOT = path.join(__dirname, '..');
const env = { ...process.env, NODE_OPTIONS: '', CDK8S_CHECK_UPGRADE: 'false' };
const ARGS = ['--domain', 'example.org', '--email', 'ops@example.org', '--repo', 'https://github.com/Me/infra.git', '--revision', 'prod', '--region', 'ams3', '--node-size', 's-4vcpu-8gb', '--nodes', '2', '--container-registry', 'mine'];

/** Every file of `dir`, relative path -> text. */
function tree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory() && e.name !== 'node_modules' && e.name !== '.git') walk(full);
      else if (e.isFile()) out.set(path.relative(dir, full), fs.readFileSync(full, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

describe('npm run init', () => {
  it('renders installation.ts back byte for byte from its own settings (the file is data)', () => {
    expect(renderInstallation(INSTALLATION)).toBe(fs.readFileSync(path.join(ROOT, 'installation.ts'), 'utf8'));
  });

  it('reads --name value and --name=value', () => {
    expect(parseArgs(['--domain=a.example', '--nodes', '2']).values).toEqual({ domain: 'a.example', nodes: '2' });
    expect(parseArgs(['--colour', 'red', '--repo']).problems).toEqual([expect.stringMatching(/^--colour is not an option/), expect.stringMatching(/^red is not an option/), '--repo needs a value']);
  });

  it('fails when an input is wrong, listing every problem by its option', () => {
    const { installation, problems } = resolve({ domain: 'Example.org', email: 'nobody', repo: 'ftp://example.org/x', region: 'fra', nodes: '0', 'container-registry': 'No' });
    expect(installation).toBeUndefined();
    expect(problems).toEqual([
      expect.stringMatching(/^--domain "Example.org" is not a lower-case fully qualified domain name/),
      expect.stringMatching(/^--email "nobody" is not an e-mail address/),
      expect.stringMatching(/^--repo "ftp:\/\/example.org\/x" is not a Git repository URL/),
      expect.stringMatching(/^--region "fra" is not a DigitalOcean region slug/),
      expect.stringMatching(/^--nodes 0 is not a node count/),
      expect.stringMatching(/^--container-registry "No" is not a DigitalOcean Container Registry name/),
    ]);
    expect(resolve({ domain: 'example.org' }).problems).toEqual(['--email is required', '--repo is required']);
    expect(resolve({ domain: 'example.org', email: 'a@example.org', repo: 'https://github.com/me/x.git', 'node-size': 'xl' }).problems).toEqual([expect.stringMatching(/^--node-size "xl" is not a size whose allocatable resources the platform knows/)]);
  });

  describe('on a copy of the repository', () => {
    let copy: string;
    const run = (...args: string[]) => spawnSync(process.execPath, ['-r', './scripts/swc-register.js', ...args], { cwd: copy, env, encoding: 'utf8', maxBuffer: 1 << 26 });
    beforeAll(() => {
      copy = copyRepository('novahost-init-');
    });
    afterAll(() => {
      if (copy) fs.rmSync(copy, { recursive: true, force: true });
    });

    it('writes nothing when an input is wrong', () => {
      const before = tree(copy);
      const r = run('scripts/init.ts', ...ARGS.map((a) => (a === 'ops@example.org' ? 'ops' : a)));
      expect(r.status).toBe(1);
      expect(r.stderr).toBe('init: --email "ops" is not an e-mail address. Fix: give the address Let\'s Encrypt should send expiry notices to, e.g. "ops@example.com"\n1 error; nothing written (npm run init -- --help)\n');
      expect(tree(copy)).toEqual(before);
    });

    it('makes the installation another: dist/ names the new domain, e-mail, repository and cluster, nothing of shakalabs', () => {
      const init = run('scripts/init.ts', ...ARGS);
      expect([init.status, init.stderr]).toEqual([0, '']);
      expect(init.stdout).toContain('npm run synth');
      const synth = run('scripts/synth.ts', 'main.ts');
      expect([synth.status, synth.stderr]).toEqual([0, '']);

      const dist = tree(path.join(copy, 'dist'));
      const objects = [...dist.values()].flatMap((t) => t.split(/^---$/m).map((d) => parse(d))).filter(Boolean);
      const of = (kind: string) => objects.filter((o) => o.kind === kind);
      expect(of('Ingress').flatMap((o) => o.spec.rules.map((r: any) => r.host)).sort()).toEqual(['excalidraw.example.org', 'grafana.example.org', 'novahost.example.org']);
      expect(of('ClusterIssuer').map((o) => o.spec.acme.email)).toEqual(['ops@example.org', 'ops@example.org']);
      const sources = of('Application').map((o) => o.spec.source ?? {}).filter((s) => s.path?.startsWith('dist/'));
      expect(sources.length).toBeGreaterThan(3);
      for (const s of sources) expect([s.repoURL, s.targetRevision]).toEqual(['https://github.com/Me/infra.git', 'prod']);
      // Novahost's own app images (images/images.yaml) are the only mention left of the reference installation.
      const images = Object.values(parse(fs.readFileSync(path.join(copy, 'images', 'images.yaml'), 'utf8')).data as Record<string, string>);
      for (const [file, text] of dist) {
        const rest = images.reduce((t, image) => t.split(image).join(''), text);
        expect([file, rest.match(/.*shakalabs.*/g)]).toEqual([file, null]);
      }
      expect(dist.get('builds/builds.k8s.yaml')).toContain('registry.digitalocean.com/mine/build-cache:buildcache');
      expect(dist.get('shared/shared.k8s.yaml')).toContain("s3 sync . 's3://example-novahost-backups/shared/postgres'");
      expect(dist.get('shared/shared.k8s.yaml')).toContain('https://ams3.digitaloceanspaces.com');

      // The README's generated blocks follow: the doctl command, the DNS and Secrets tables.
      const readme = fs.readFileSync(path.join(copy, 'README.md'), 'utf8');
      expect(readme).toContain('doctl kubernetes cluster create novahost --region ams3 \\\n  --node-pool "name=default;size=s-4vcpu-8gb;count=2"');
      expect(readme).toContain('| `novahost.example.org` | `novahost` |');
      expect(run('scripts/doks.ts', '--check').status).toBe(0);
      const jest = spawnSync(path.join(copy, 'node_modules', '.bin', 'jest'), ['--ci', '--silent', '__tests__/dns.test.ts', '__tests__/cluster/doks-readme.test.ts', '__tests__/policies/dist.test.ts', '__tests__/secrets/inventory.test.ts'], { cwd: copy, env, encoding: 'utf8' });
      expect([jest.status, jest.stderr.split('\n').filter((l) => /✕|●|FAIL/.test(l)).join('\n')]).toEqual([0, '']);
    }, 240_000);
  });
});
