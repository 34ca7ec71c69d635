import * as fs from 'fs';
import * as path from 'path';
import { cycles, importGraph, importsOf, LAYERS, layerOf, LIB, libFiles } from './imports';
import { API_RECORD, publicApi } from './public-api';

const ROOT = path.join(__dirname, '..', '..');

describe('lib/ architecture', () => {
  const graph = importGraph();

  it('has no import cycle (type-only imports included)', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('finds a cycle when there is one', () => {
    expect(cycles(new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts']], ['d.ts', ['a.ts']]]))).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });

  it('keeps every file in a known layer folder, besides a few entry files', () => {
    const loose = [...graph.keys()].filter((f) => !layerOf(f));
    expect(loose).toEqual(['index.ts']);
    const unknown = [...graph.keys()].map(layerOf).filter((l) => l && !(LAYERS as readonly string[]).includes(l));
    expect(unknown).toEqual([]);
  });

  it('imports only from its own or a lower layer', () => {
    const rank = (f: string) => (LAYERS as readonly string[]).indexOf(layerOf(f)!);
    const upward: string[] = [];
    for (const [file, deps] of graph) {
      if (!layerOf(file)) continue;
      for (const d of deps) if (!layerOf(d) || rank(d) > rank(file)) upward.push(`${file} -> ${d}`);
    }
    expect(upward).toEqual([]);
  });

  it('reads type-only and side-effect imports too', () => {
    const tmp = fs.mkdtempSync(path.join(LIB, '.arch-'));
    try {
      fs.writeFileSync(path.join(tmp, 'a.ts'), "import type { X } from '../core/errors';\nimport '../core/names';\nexport { Y } from '../core/yaml';\n");
      expect(importsOf(path.join(tmp, 'a.ts'))).toEqual(['core/errors.ts', 'core/names.ts', 'core/yaml.ts']);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('keeps lib files small enough to read (about 400 lines at most)', () => {
    const long = libFiles().map((f) => [path.relative(LIB, f), fs.readFileSync(f, 'utf8').split('\n').length] as const).filter(([, n]) => n > 420);
    expect(long).toEqual([]);
  });

  it('opens every lib file with a comment that says what it is for', () => {
    const bare = libFiles().filter((f) => !/^\s*(\/\/|\/\*)/.test(fs.readFileSync(f, 'utf8'))).map((f) => path.relative(LIB, f));
    expect(bare).toEqual([]);
  });

  it('lets examples/ and scripts/ import lib only through its face (lib/index.ts)', () => {
    const deep: string[] = [];
    for (const dir of ['examples', 'scripts']) {
      for (const f of fs.readdirSync(path.join(ROOT, dir)).filter((n) => /\.(ts|js)$/.test(n))) {
        const text = fs.readFileSync(path.join(ROOT, dir, f), 'utf8');
        for (const m of text.matchAll(/from\s+['"]([^'"]*\/lib\/[^'"]+)['"]/g)) deep.push(`${dir}/${f}: ${m[1]}`);
      }
    }
    expect(deep).toEqual([]);
  });

  it('exports exactly the recorded public API (regenerate: node -r ./scripts/swc-register.js __tests__/architecture/public-api.ts --write)', () => {
    expect(publicApi(ROOT).join('\n') + '\n').toBe(fs.readFileSync(API_RECORD, 'utf8'));
  });
});
