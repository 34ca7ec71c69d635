import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** scripts/swc-register.js: TypeScript on the synth path, transpiled once per content. */
const REGISTER = path.join(__dirname, '..', 'scripts', 'swc-register.js');

describe('swc-register', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'swc-register-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const script = path.join(tmp, 'probe.ts');
  const write = (value: number) => fs.writeFileSync(script, [
    `const value: number = ${value};`,
    // Whether this run loaded swc, i.e. transpiled instead of reading the cache.
    "const loadedSwc = Object.keys(require.cache).some((k) => k.includes(`${'@swc'}/core`));",
    'console.log(JSON.stringify({ value, loadedSwc }));',
  ].join('\n'));
  const run = (cache: string) => {
    const r = spawnSync(process.execPath, ['-r', REGISTER, script], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '', SWC_REGISTER_CACHE: cache } });
    expect([r.status, r.stderr]).toEqual([0, '']);
    return JSON.parse(r.stdout);
  };

  it('transpiles on the first run, reads the cache on the next, and transpiles again when the source changes', () => {
    const cache = path.join(tmp, 'cache');
    write(1);
    expect(run(cache)).toEqual({ value: 1, loadedSwc: true });
    expect(fs.readdirSync(cache)).toHaveLength(1);
    expect(run(cache)).toEqual({ value: 1, loadedSwc: false });
    write(2);
    expect(run(cache)).toEqual({ value: 2, loadedSwc: true });
    expect(run(cache)).toEqual({ value: 2, loadedSwc: false });
    expect(fs.readdirSync(cache).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('reports the line of the TypeScript source in a stack trace, from the cache too', () => {
    const file = path.join(tmp, 'throws.ts');
    fs.writeFileSync(file, [
      'interface Shape {',
      '  readonly a: number;',
      '  readonly b: string;',
      '}',
      'type Alias = Shape | undefined;',
      'const shape: Alias = { a: 1, b: "x" };',
      'function fail(s: Alias): never {',
      '  throw new Error(`bad ${s?.a}`);', // line 8
      '}',
      'fail(shape);',
    ].join('\n'));
    const cache = path.join(tmp, 'cache-maps');
    for (const _ of [1, 2]) {
      const r = spawnSync(process.execPath, ['-r', REGISTER, file], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '', SWC_REGISTER_CACHE: cache } });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(`${file}:8:`);
      expect(r.stderr).toContain(`${file}:10:`);
    }
  });

  it('still runs when the cache cannot be written', () => {
    const blocked = path.join(tmp, 'not-a-dir');
    fs.writeFileSync(blocked, '');
    write(3);
    expect(run(path.join(blocked, 'cache'))).toEqual({ value: 3, loadedSwc: true });
    expect(run(path.join(blocked, 'cache'))).toEqual({ value: 3, loadedSwc: true });
  });

  it('leaves source maps off for the synth runner unless a stack trace is asked for', () => {
    const probe = path.join(tmp, 'synth.ts');
    fs.writeFileSync(probe, 'console.log(JSON.stringify(process.sourceMapsEnabled));\n');
    const run = (env: Record<string, string>, args: string[] = []) => spawnSync(process.execPath, ['-r', REGISTER, probe, ...args], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '', NOVAHOST_DEBUG: '', ...env } }).stdout.trim();
    expect(run({})).toBe('false');
    expect(run({ NOVAHOST_DEBUG: '1' })).toBe('true');
    expect(run({}, ['--stack'])).toBe('true');
  });
});
