import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');
const ENV = { ...process.env, CDK8S_CHECK_UPGRADE: 'false', NODE_OPTIONS: '', NOVAHOST_DEBUG: '' };

/** Relative path -> bytes of every file under `dir` (links followed). */
function readTree(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (fs.statSync(full).isDirectory()) walk(full);
      else files.set(path.relative(dir, full), fs.readFileSync(full, 'latin1'));
    }
  };
  walk(dir);
  return files;
}

/**
 * A scratch copy of the project: its own main.ts, cdk8s.yaml and dist/ (copied), everything else
 * linked. `edit` turns the reference main.ts into the one under test.
 */
function project(edit: (main: string) => string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'novahost-routes-'));
  for (const entry of ['node_modules', 'lib', 'imports', 'images', 'scripts', 'tsconfig.json', 'package.json', 'policy-exceptions.ts', 'installation.ts']) {
    fs.symlinkSync(path.join(ROOT, entry), path.join(dir, entry));
  }
  for (const file of ['cdk8s.yaml', '.npmrc']) fs.copyFileSync(path.join(ROOT, file), path.join(dir, file));
  fs.cpSync(path.join(ROOT, 'dist'), path.join(dir, 'dist'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'main.ts'), edit(fs.readFileSync(path.join(ROOT, 'main.ts'), 'utf8')));
  return dir;
}

const ROUTES: Record<string, [string, string[]]> = {
  'npm run synth': [process.execPath, ['-r', './scripts/swc-register.js', 'scripts/synth.ts', 'main.ts']],
  // Through npx, so the project's .npmrc applies as it does for a user.
  'npx cdk8s synth': ['npx', ['cdk8s', 'synth']],
};
/** Running main.ts itself: problems found at synth are formatted, a throw while declaring is not. */
const DIRECT: [string, string[]] = [process.execPath, ['-r', './scripts/swc-register.js', 'main.ts']];

/** Three mistakes before a fourth that stops construction (a second construct with one id). */
const badMain = (main: string) => main
  .replace('acmeEmail: INSTALLATION.acmeEmail', "acmeEmail: 'nobody'")
  .replace('domain: INSTALLATION.domain', "domain: 'Shakalabs.com'")
  .replace("new ArgoCd(platform, 'argocd');", "new ArgoCd(platform, 'argocd');\nnew ArgoCd(platform, 'argocd');");

describe('synth routes', () => {
  const before = readTree(path.join(ROOT, 'dist'));

  it.each(Object.keys(ROUTES))('%s: fails with every problem listed, no stack trace, dist/ byte-identical and nothing else written', (route) => {
    const dir = project(badMain);
    try {
      const [cmd, args] = ROUTES[route];
      const r = spawnSync(cmd, args, { cwd: dir, env: ENV, encoding: 'utf8' });
      expect(r.status).not.toBe(0);
      const lines = r.stderr.split('\n');
      const at = lines.findIndex((l) => l.startsWith('argocd: id "argocd" is used twice'));
      // Sorted by construct path; the error that stopped construction is one of them.
      expect(lines.slice(at, at + 4)).toEqual([
        expect.stringMatching(/^argocd: id "argocd" is used twice in NamespaceChart "argocd"\. Fix: give each construct/),
        'platform: acmeEmail "nobody" is not an e-mail address. Fix: give the address Let\'s Encrypt should send expiry notices to, e.g. "ops@example.com"',
        expect.stringMatching(/^platform: domain "Shakalabs.com" is not a lower-case fully qualified domain name .*\. Fix: /),
        '3 errors',
      ]);
      expect(r.stderr).not.toMatch(/^\s+at /m);
      expect(readTree(path.join(dir, 'dist'))).toEqual(before);
      expect(fs.readdirSync(dir).filter((f) => !fs.lstatSync(path.join(dir, f)).isSymbolicLink()).sort()).toEqual(['.npmrc', 'cdk8s.yaml', 'dist', 'main.ts']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('node main.ts: fails and leaves dist/ byte-identical too', () => {
    const dir = project(badMain);
    try {
      const r = spawnSync(DIRECT[0], DIRECT[1], { cwd: dir, env: ENV, encoding: 'utf8' });
      expect(r.status).not.toBe(0);
      expect(readTree(path.join(dir, 'dist'))).toEqual(before);
      // Without the throw, every problem is reported in the same form.
      fs.writeFileSync(path.join(dir, 'main.ts'), badMain(fs.readFileSync(path.join(ROOT, 'main.ts'), 'utf8')).replace("new ArgoCd(platform, 'argocd');\n", ''));
      const r2 = spawnSync(DIRECT[0], DIRECT[1], { cwd: dir, env: ENV, encoding: 'utf8' });
      expect(r2.status).toBe(1);
      expect(r2.stderr).toMatch(/^platform: acmeEmail "nobody" .*\nplatform: domain "Shakalabs.com" .*\n2 errors\n$/);
      expect(readTree(path.join(dir, 'dist'))).toEqual(before);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('shows the stack trace with NOVAHOST_DEBUG=1 or --stack', () => {
    const dir = project(badMain);
    try {
      const [cmd, args] = ROUTES['npm run synth'];
      for (const [extra, env] of [[['--stack'], ENV], [[], { ...ENV, NOVAHOST_DEBUG: '1' }]] as const) {
        const r = spawnSync(cmd, [...args, ...extra], { cwd: dir, env, encoding: 'utf8' });
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(/3 errors\nError: There is already a Construct with name 'argocd'[\s\S]*\n\s+at /);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('npx cdk8s synth writes dist/ as before, through the staging link, and replaces what was there', () => {
    const dir = project((m) => m);
    try {
      fs.writeFileSync(path.join(dir, 'dist', 'stale.txt'), 'removed by a synth');
      const r = spawnSync('npx', ['cdk8s', 'synth'], { cwd: dir, env: ENV, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(readTree(path.join(dir, 'dist'))).toEqual(before);
      expect(fs.readlinkSync(path.join(dir, '.cdk8s-out'))).toBe('dist');
      expect(r.stdout).toContain('.cdk8s-out/novahost/novahost.k8s.yaml');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
