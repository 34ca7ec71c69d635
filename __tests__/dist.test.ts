import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
const STALE = 'dist/ is stale: run `npx cdk8s synth` and commit dist/';

/** Runs this installation's synth (main.ts) into `outdir`, the way `cdk8s synth` does. */
function synth(outdir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'ts-node'), ['--swc', 'main.ts'], {
      cwd: ROOT,
      env: { ...process.env, CDK8S_OUTDIR: outdir, CDK8S_CHECK_UPGRADE: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`synth exited with ${code}:\n${output}`))));
  });
}

/** Relative path -> bytes (as latin1, one char per byte) of every file under `dir`. */
function readTree(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else files.set(path.relative(dir, full).split(path.sep).join('/'), fs.readFileSync(full, 'latin1'));
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return files;
}

/** `missing`, `extra` and `changed` files of `actual` against `expected`, one line each. */
function differences(expected: Map<string, string>, actual: Map<string, string>): string[] {
  const out: string[] = [];
  for (const file of [...new Set([...expected.keys(), ...actual.keys()])].sort()) {
    const e = expected.get(file);
    const a = actual.get(file);
    if (!a) out.push(`in dist/ but no longer generated: ${file}`);
    else if (!e) out.push(`generated but missing from dist/: ${file}`);
    else if (e !== a) out.push(`content differs: ${file}`);
  }
  return out;
}

describe('dist/', () => {
  let tmp: string;
  let first: Map<string, string>;
  let second: Map<string, string>;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'novahost-dist-'));
    const [a, b] = [path.join(tmp, 'a'), path.join(tmp, 'b')];
    await Promise.all([synth(a), synth(b)]);
    first = readTree(a);
    second = readTree(b);
  });

  afterAll(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('is what main.ts synthesizes, byte for byte', () => {
    expect(first.size).toBeGreaterThan(0);
    const diff = differences(readTree(DIST), first);
    if (diff.length) throw new Error(`${STALE}\n  ${diff.join('\n  ')}`);
  });

  it('is deterministic: two synths give the same bytes', () => {
    const diff = differences(first, second);
    if (diff.length) throw new Error(`two synths of main.ts differ:\n  ${diff.join('\n  ')}`);
  });
});
