// The field-level diff the plan prints: one entry per changed field, with the old and the new
// value shown so a reviewer sees what changed (long values: the differing part with context).

/** The value at a dotted path (`spec.template`), or undefined. */
export function get(obj: any, path: string): any {
  return path.split('.').reduce((v, k) => (v == null ? undefined : v[k]), obj);
}

/** Deep equality that ignores key order. */
export function equal(x: unknown, y: unknown): boolean {
  return JSON.stringify(sortKeys(x)) === JSON.stringify(sortKeys(y));
}

function sortKeys(v: any): any {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]));
  return v;
}

function key(path: string, k: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(k) ? (path ? `${path}.${k}` : k) : `${path}["${k}"]`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** Arrays of objects with unique `name`s (containers, ports, env, volumes) compare by name. */
function byName(list: unknown[]): Map<string, unknown> | undefined {
  if (!list.every((x) => isObject(x) && typeof x.name === 'string')) return undefined;
  const m = new Map(list.map((x) => [(x as any).name as string, x]));
  return m.size === list.length ? m : undefined;
}

/** Values up to this many characters are shown whole on one line. */
export const MAX_INLINE = 120;
/** Characters of unchanged text shown on each side of a change inside a long value. */
export const CONTEXT_CHARS = 30;
/** Unchanged lines shown around each changed line of a multi-line value. */
export const CONTEXT_LINES = 2;

function text(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/**
 * `path: before -> after` for each changed leaf. Values are shown in full when short; a long
 * single-line value shows the part that differs with CONTEXT_CHARS of context; a multi-line
 * string (a config file, a script) shows its changed lines as a line diff (`-`/`+`) with
 * CONTEXT_LINES of context, one line per entry line after the header.
 */
export function diff(x: unknown, y: unknown, path = ''): string[] {
  if (equal(x, y)) return [];
  // A new or removed map shows its keys (annotations, resources); a new list element stays whole.
  const inElement = path.endsWith(']');
  const expandable = (v: unknown): boolean => isObject(v) || (Array.isArray(v) && v.length > 0 && !!byName(v));
  if (!inElement && x === undefined && expandable(y)) return diff(Array.isArray(y) ? [] : {}, y, path);
  if (!inElement && y === undefined && expandable(x)) return diff(x, Array.isArray(x) ? [] : {}, path);
  if (isObject(x) && isObject(y)) {
    return [...new Set([...Object.keys(x), ...Object.keys(y)])].sort().flatMap((k) => diff(x[k], y[k], key(path, k)));
  }
  if (Array.isArray(x) && Array.isArray(y)) {
    const mx = byName(x);
    const my = byName(y);
    if (mx && my) {
      const names = [...new Set([...mx.keys(), ...my.keys()])];
      return names.flatMap((n) => diff(mx.get(n), my.get(n), `${path}[${n}]`));
    }
    // Same length: element by element (a container's command, a list of rules).
    if (x.length === y.length) return x.flatMap((v, i) => diff(v, y[i], `${path}[${i}]`));
  }
  return [change(path, x, y)];
}

function change(path: string, x: unknown, y: unknown): string {
  const multiLine = (v: unknown): v is string => typeof v === 'string' && v.includes('\n');
  if (multiLine(x) || multiLine(y)) {
    const a = x === undefined ? [] : text(x).split('\n');
    const b = y === undefined ? [] : text(y).split('\n');
    const count = (v: unknown, n: number) => (v === undefined ? '(none)' : `(${n} lines)`);
    return [`${path}: ${count(x, a.length)} -> ${count(y, b.length)}`, ...lineDiff(a, b)].join('\n');
  }
  if (x === undefined || y === undefined) return `${path}: ${x === undefined ? '(none)' : text(x)} -> ${y === undefined ? '(none)' : text(y)}`;
  const [s, t] = [text(x), text(y)];
  if (s.length <= MAX_INLINE && t.length <= MAX_INLINE) return `${path}: ${s} -> ${t}`;
  let pre = 0;
  while (pre < s.length && pre < t.length && s[pre] === t[pre]) pre++;
  let suf = 0;
  while (suf < s.length - pre && suf < t.length - pre && s[s.length - 1 - suf] === t[t.length - 1 - suf]) suf++;
  const excerpt = (v: string): string => {
    const from = Math.max(0, pre - CONTEXT_CHARS);
    const to = Math.min(v.length, v.length - suf + CONTEXT_CHARS);
    return `${from > 0 ? '…' : ''}${v.slice(from, to)}${to < v.length ? '…' : ''}`;
  };
  return `${path}: ${excerpt(s)} -> ${excerpt(t)}`;
}

/** A line diff (longest common subsequence) as hunks: `@@ line N @@`, `  same`, `- old`, `+ new`. */
export function lineDiff(a: readonly string[], b: readonly string[]): string[] {
  const n = a.length;
  const m = b.length;
  // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const ops: Array<{ op: ' ' | '-' | '+'; line: string; at: number }> = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) { ops.push({ op: ' ', line: a[i], at: j }); i++; j++; }
    // Removals before additions, as `diff -u` prints them.
    else if (i < n && (j === m || lcs[i + 1][j] >= lcs[i][j + 1])) { ops.push({ op: '-', line: a[i], at: j }); i++; }
    else { ops.push({ op: '+', line: b[j], at: j }); j++; }
  }
  const keep = ops.map(() => false);
  ops.forEach((o, k) => {
    if (o.op === ' ') return;
    for (let c = Math.max(0, k - CONTEXT_LINES); c <= Math.min(ops.length - 1, k + CONTEXT_LINES); c++) keep[c] = true;
  });
  const out: string[] = [];
  ops.forEach((o, k) => {
    if (!keep[k]) return;
    if (k === 0 || !keep[k - 1]) out.push(`  @@ line ${o.at + 1} @@`);
    out.push(`  ${o.op} ${o.line}`);
  });
  return out;
}
