import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/** The package's npm scripts as a user runs them, with --help. */
const ROOT = path.join(__dirname, '..');
const scripts: Record<string, string> = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts;
const env = { ...process.env, NODE_OPTIONS: '', CDK8S_CHECK_UPGRADE: 'false' };
const npm = (cwd: string, ...args: string[]) => spawnSync('npm', ['run', '-s', ...args], { cwd, env, encoding: 'utf8', timeout: 60_000 });

describe('npm scripts', () => {
  // Every script that runs one of scripts/*.ts answers --help, at once, without doing its work.
  const clis = Object.entries(scripts).filter(([, cmd]) => /scripts\/[\w-]+\.ts/.test(cmd)).map(([name]) => name);
  it('includes every command-line script', () => {
    expect(clis).toEqual(expect.arrayContaining(['bench', 'plan', 'secrets', 'postgres-restore', 'extract-schemas']));
  });

  it("are each in the README's Commands table", () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('## Commands'));
    const listed = (name: string) => new RegExp(`^\\| \`npm (run )?${name}[\\s\`]`, 'm').test(table);
    expect(Object.keys(scripts).filter((name) => !listed(name))).toEqual([]);
  });

  it.each(clis)('%s --help prints its usage and exits 0', (name) => {
    const r = npm(ROOT, name, '--', '--help');
    expect([r.status, r.stderr]).toEqual([0, '']);
    // Only the usage: bench's run (a table of timings) never starts.
    expect(r.stdout).toMatch(/^usage: /);
    expect(r.stdout).not.toContain('| route |');
  });
});

describe('npm scripts from a subfolder', () => {
  // npm starts scripts in the package's root, and .npmrc's preload (named as a package, not a
  // path from where npm started) must load there, in the folder npx runs in, and in dependencies'
  // install scripts: each of these failed while the preload was `${PWD}/scripts/...`.
  it.each(['lib', 'lib/core', '__tests__', 'dist/shared'])('run from %s, with the preload and its defaults', (folder) => {
    const r = npm(path.join(ROOT, folder), 'components', '--', '--check');
    expect([r.status, r.stderr]).toEqual([0, '']);
    const exec = spawnSync('npx', ['--no-install', 'node', '-p', 'process.env.CDK8S_CHECK_UPGRADE'], {
      cwd: path.join(ROOT, folder), env: { ...env, CDK8S_CHECK_UPGRADE: undefined }, encoding: 'utf8', timeout: 60_000,
    });
    expect([exec.status, exec.stdout.trim()]).toEqual([0, 'false']);
  });

  it('from a dependency folder too, where install scripts run with the NODE_OPTIONS npm gives them', () => {
    const given = spawnSync('npm', ['exec', '--no-install', '-c', 'printf %s "$NODE_OPTIONS"'], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
    expect(given.stdout).toContain('--require novahost-cli-defaults');
    const r = spawnSync('node', ['-p', 'process.env.CDK8S_CHECK_UPGRADE'], {
      cwd: path.join(ROOT, 'node_modules', '@swc', 'core'), env: { ...env, NODE_OPTIONS: given.stdout, CDK8S_CHECK_UPGRADE: undefined }, encoding: 'utf8', timeout: 60_000,
    });
    expect([r.status, r.stdout.trim(), r.stderr]).toEqual([0, 'false', '']);
  });
});

describe('npm run extract-schemas', () => {
  const schemas = path.join(ROOT, '__tests__', 'schemas');
  const snapshot = () => fs.readdirSync(schemas, { recursive: true }).map(String).sort()
    .map((f) => [f, fs.statSync(path.join(schemas, f)).isFile() ? fs.readFileSync(path.join(schemas, f), 'utf8') : '']);

  it('fails on a folder without the pinned CRDs and charts, listing what is missing, and changes nothing', () => {
    const before = snapshot();
    const empty = fs.mkdtempSync(path.join(require('os').tmpdir(), 'no-shared-'));
    try {
      const r = npm(ROOT, 'extract-schemas', '--', empty);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`extract-schemas: ${empty} is not a folder with the pinned CRDs and charts; missing:\n  crds/argocd-application.yaml\n`);
      expect(r.stderr).toContain('Nothing changed.');
      expect(snapshot()).toEqual(before);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});
