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
