// The import graph of lib/: every relative import of every file (type-only imports included).
import * as fs from 'fs';
import * as path from 'path';

export const LIB = path.join(__dirname, '..', '..', 'lib');

/**
 * Layers, lowest first: a file may import its own layer and lower ones, never a higher one.
 * `core` holds the synth pipeline and imports no construct and no check; `checks` are pure
 * functions over objects (they import only core); every construct layer may use them.
 */
export const LAYERS = ['core', 'checks', 'cluster', 'network', 'routing', 'services', 'data', 'apps', 'builds', 'gitops', 'addons'] as const;

export function libFiles(dir = LIB): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? libFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

const SPECIFIER = /(?:^|\n)\s*(?:import|export)\b[^'";]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)|\brequire\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Files of lib/ (relative paths) that `file` imports. */
export function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const out = new Set<string>();
  for (const m of text.matchAll(SPECIFIER)) {
    const spec = m[1] ?? m[2] ?? m[3] ?? m[4];
    if (!spec.startsWith('.')) continue;
    const base = path.resolve(path.dirname(file), spec);
    const target = [base, `${base}.ts`, path.join(base, 'index.ts')].find((p) => fs.existsSync(p) && fs.statSync(p).isFile());
    if (target && target.startsWith(LIB + path.sep)) out.add(path.relative(LIB, target));
  }
  return [...out].sort();
}

export function importGraph(): Map<string, string[]> {
  return new Map(libFiles().map((f) => [path.relative(LIB, f), importsOf(f)]));
}

/** Every cycle, as one strongly connected component of two or more files (or a self-import). */
export function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], on = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index); low.set(v, index); index++; stack.push(v); on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do { w = stack.pop()!; on.delete(w); scc.push(w); } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(scc.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!idx.has(v)) visit(v);
  return found;
}

/** The layer of a lib/ file (`core/platform.ts` -> `core`); files directly in lib/ have none. */
export function layerOf(file: string): string | undefined {
  const first = file.split(path.sep)[0];
  return file.includes(path.sep) ? first : undefined;
}
