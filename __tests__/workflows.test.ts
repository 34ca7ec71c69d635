import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';

describe('.github/workflows/synth.yml', () => {
  const wf = parse(fs.readFileSync(path.join(__dirname, '..', '.github', 'workflows', 'synth.yml'), 'utf8'));
  const steps: Array<{ run?: string; uses?: string }> = wf.jobs.synth.steps;

  it('runs when the image file, the constructs or main.ts change on main', () => {
    expect(wf.on.push.branches).toEqual(['main']);
    expect(wf.on.push.paths).toEqual(expect.arrayContaining(['images/**', 'lib/**', 'main.ts']));
  });

  it('installs, synthesizes, then commits dist/ only when it changed', () => {
    const runs = steps.map((s) => s.run ?? '');
    const at = (text: string) => runs.findIndex((r) => r.includes(text));
    expect(at('npm ci')).toBeGreaterThanOrEqual(0);
    expect(at('npx cdk8s synth')).toBeGreaterThan(at('npm ci'));
    expect(at('git commit')).toBeGreaterThan(at('npx cdk8s synth'));
    expect(runs[at('git commit')]).toContain('git status --porcelain -- dist/');
    expect(wf.permissions).toEqual({ contents: 'write' });
  });
});

describe('.github/workflows/pull-request.yml', () => {
  const wf = parse(fs.readFileSync(path.join(__dirname, '..', '.github', 'workflows', 'pull-request.yml'), 'utf8'));
  const steps: any[] = wf.jobs.test.steps;
  const runs = steps.map((s) => s.run ?? '').join('\n');

  it('runs the README commands, the freshness check and the plan on pull requests', () => {
    expect(Object.keys(wf.on)).toEqual(['pull_request']);
    expect(runs).toContain('npm ci');
    expect(runs.indexOf('npm run -s typecheck')).toBeGreaterThan(runs.indexOf('npm ci'));
    expect(runs.indexOf('npx cdk8s synth')).toBeGreaterThan(runs.indexOf('npm run -s typecheck'));
    expect(runs).toContain('npm test');
    expect(runs).toContain('git diff --exit-code --stat -- dist');
    expect(runs).toMatch(/npm run -s plan -- --ref "origin\/\$\{\{ github.base_ref \}\}"/);
  });

  it('checks out the whole history, so the plan can read dist/ at the base branch', () => {
    expect(steps.find((s) => s.uses?.startsWith('actions/checkout')).with['fetch-depth']).toBe(0);
  });

  it('reads the allow line the README documents', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
    const line = /^ *(plan-allow: .*)$/m.exec(readme)?.[1];
    expect(line).toBeDefined();
    // The workflow's own parsing, run on a description holding the README's line.
    const step = steps.find((s) => s.name === 'Plan against the base branch').run as string;
    const parse = step.slice(0, step.indexOf('npm run')) + 'printf "%s\\n" "${allow[@]}"';
    const out = spawnSync('bash', ['-c', parse], { encoding: 'utf8', env: { PATH: process.env.PATH, PR_BODY: `Adds a thing.\n\n${line}\n` } });
    const objects = line!.replace('plan-allow:', '').trim().split(/[ ,]+/);
    expect(out.stdout.trim().split('\n')).toEqual(objects.flatMap((o) => ['--allow', o]));
  });

  it('uses only scripts that package.json defines', () => {
    const scripts = Object.keys(JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')).scripts);
    for (const m of runs.matchAll(/npm run (?:-s )?([a-z:-]+)/g)) expect(scripts).toContain(m[1]);
  });
});
