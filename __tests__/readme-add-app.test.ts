import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { manifestFile } from '../lib';
import { copyRepository } from './support/repo-copy';

/**
 * The README's "Add an app", done as a new user does it: the code block of that section, pasted
 * into main.ts of a copy of this repository, then synth, the generated README tables refreshed as
 * the failing tests say, the installation-level tests (schemas, policies, reachability, secrets
 * inventory and script, capacity, dist/ freshness, bootstrap) run on the result, and the plan
 * against the committed dist/ must not block.
 */
const ROOT = path.join(__dirname, '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** The first ```ts block of the README's "Add an app" section. */
export function addAppExample(readme: string): string {
  const section = /^## Add an app\n([\s\S]*?)^## /m.exec(readme)?.[1];
  const code = section && /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  if (!code) throw new Error('README.md: no ```ts block in the "Add an app" section');
  return code;
}

/** main.ts with the example pasted in before the line that starts the synth. */
export function withExample(main: string, example: string): string {
  const anchor = main.search(/^(\/\/ .*\n)*if \(require\.main === module\)/m);
  if (anchor < 0) throw new Error('main.ts: no `if (require.main === module)` line to paste the example before');
  return `${main.slice(0, anchor)}${example}\n${main.slice(anchor)}`;
}

/** The installation-level suites: they hold for any valid main.ts. */
const INSTALLATION_SUITES = [
  '__tests__/policies/dist.test.ts',
  '__tests__/schemas.test.ts',
  '__tests__/secrets/inventory.test.ts',
  '__tests__/network-policies.test.ts',
  '__tests__/capacity.test.ts',
  '__tests__/dist.test.ts',
  '__tests__/bootstrap.test.ts',
  '__tests__/image-tags.test.ts',
  '__tests__/dns.test.ts',
];

const env = { ...process.env, NODE_OPTIONS: '', CDK8S_CHECK_UPGRADE: 'false', CI: 'true' };

describe('README: Add an app', () => {
  const example = addAppExample(README);
  const app = /new NovahostApp\(platform, '([^']+)'/.exec(example)?.[1];
  let copy: string;
  const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { cwd: copy, env, encoding: 'utf8', maxBuffer: 1 << 26 });

  beforeAll(() => {
    copy = copyRepository('novahost-add-app-');
    fs.writeFileSync(path.join(copy, 'main.ts'), withExample(fs.readFileSync(path.join(copy, 'main.ts'), 'utf8'), example));
  });

  afterAll(() => {
    if (copy) fs.rmSync(copy, { recursive: true, force: true });
  });

  it('is a ts block that declares an app', () => {
    expect(app).toMatch(/^[a-z][a-z0-9-]*$/);
  });

  it('type-checks, then plans as additions and in-place changes only: nothing blocks', () => {
    const r = run(process.execPath, ['-r', './scripts/swc-register.js', 'scripts/plan.ts']);
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toContain(`${app}:\n  + Certificate/`);
    expect(r.stdout).not.toContain('BLOCKED');
  }, 180_000);

  it('synthesizes what the README says: the app folder and its Application', () => {
    const r = run(process.execPath, ['-r', './scripts/swc-register.js', 'main.ts']);
    expect([r.status, r.stderr]).toEqual([0, '']);
    const text = fs.readFileSync(path.join(copy, 'dist', manifestFile(app!)), 'utf8');
    for (const kind of ['Namespace', 'Deployment', 'Service', 'ServiceAccount', 'Ingress', 'Certificate', 'NetworkPolicy']) expect(text).toContain(`kind: ${kind}\n`);
    expect(fs.readFileSync(path.join(copy, 'dist', manifestFile('argocd')), 'utf8')).toMatch(new RegExp(`kind: Application\\nmetadata:\\n(  .*\\n)*  name: ${app}\\n`));
  });

  it('passes the installation-level tests once the README tables are refreshed as their failures say', () => {
    // What the secrets and DNS tests' failures tell a user to do: regenerate the tables, paste them.
    const table = run(process.execPath, ['-r', './scripts/swc-register.js', 'scripts/secrets.ts', '--markdown']);
    expect(table.status).toBe(0);
    const dns = run(process.execPath, ['-r', './scripts/swc-register.js', 'scripts/dns.ts', '--markdown']);
    expect(dns.status).toBe(0);
    expect(dns.stdout).toContain(`| \`${app}.`);
    const readme = path.join(copy, 'README.md');
    fs.writeFileSync(readme, fs.readFileSync(readme, 'utf8')
      .replace(/(<!-- secrets:begin -->\n)[\s\S]*?(\n<!-- secrets:end -->)/, (_m, a, b) => `${a}${table.stdout.trimEnd()}${b}`)
      .replace(/(<!-- dns:begin -->\n)[\s\S]*?(\n<!-- dns:end -->)/, (_m, a, b) => `${a}${dns.stdout.trimEnd()}${b}`));
    const r = run(path.join(copy, 'node_modules', '.bin', 'jest'), ['--ci', '--silent', ...INSTALLATION_SUITES]);
    expect([r.status, r.stderr.split('\n').filter((l) => /✕|●|FAIL/.test(l)).join('\n')]).toEqual([0, '']);
  }, 300_000);
});
