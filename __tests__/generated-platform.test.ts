import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';

/**
 * The benchmark's generated platforms (scripts/generated-platform.ts) synthesize to the same bytes
 * run after run and through either route: the cdk8s CLI and node directly.
 */
const ROOT = path.join(__dirname, '..');
const N = 3;
const ENV = { ...process.env, CDK8S_CHECK_UPGRADE: 'false', NODE_OPTIONS: '' };

function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => fs.readdirSync(d, { withFileTypes: true }).forEach((e) => {
    const p = path.join(d, e.name);
    if (e.isDirectory()) walk(p);
    else out[path.relative(dir, p)] = fs.readFileSync(p, 'utf8');
  });
  walk(dir);
  return out;
}

function direct(out: string): Record<string, string> {
  const r = spawnSync(process.execPath, ['-r', './scripts/swc-register.js', 'scripts/generated-platform.ts', String(N), out], { cwd: ROOT, env: ENV, encoding: 'utf8' });
  expect([r.status, r.stderr]).toEqual([0, '']);
  expect(JSON.parse(r.stdout)).toMatchObject({ apps: N, charts: N + 2, files: N + 2 });
  return tree(out);
}

function throughCli(tmp: string, out: string): Record<string, string> {
  const project = path.join(tmp, 'cli-project');
  fs.mkdirSync(project);
  const app = `${process.execPath} -r ${path.join(ROOT, 'scripts/swc-register.js')} ${path.join(ROOT, 'scripts/generated-platform.ts')} ${N}`;
  fs.writeFileSync(path.join(project, 'cdk8s.yaml'), `language: typescript\napp: ${app}\n`);
  const r = spawnSync(path.join(ROOT, 'node_modules/.bin/cdk8s'), ['synth', '--output', out], { cwd: project, env: ENV, encoding: 'utf8' });
  expect([r.status, r.stderr]).toEqual([0, '']);
  return tree(out);
}

describe('generated platform', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'generated-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('is byte-identical between runs and between the direct and the CLI route', () => {
    const first = direct(path.join(tmp, 'a'));
    const second = direct(path.join(tmp, 'b'));
    const cli = throughCli(tmp, path.join(tmp, 'c'));
    expect(Object.keys(first)).toHaveLength(N + 2);
    expect(second).toEqual(first);
    expect(cli).toEqual(first);
    // Each app: a database, a cache, two routed services, all in its own namespace.
    const app = parseAllDocuments(first['app-0001/app-0001.k8s.yaml']).map((d) => d.toJS());
    expect(app.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(expect.arrayContaining([
      'Deployment/api', 'Deployment/web', 'Ingress/app-0001-bench-example-com', 'NetworkPolicy/allow-egress-api-to-shared',
    ]));
    const env = app.find((o) => o.kind === 'Deployment' && o.metadata.name === 'api').spec.template.spec.containers[0].env.map((e: any) => e.name);
    expect(env).toEqual(expect.arrayContaining(['DATABASE_URL', 'REDIS_URL']));
  });
});
