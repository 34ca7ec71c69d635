/**
 * A small YAML writer for Kubernetes objects (plain JSON data: maps, lists, strings, numbers,
 * booleans, null). Synthesis spends most of its time turning objects into text; the general YAML
 * library builds a document tree per object, which costs more than everything else together at a
 * thousand apps. Output is block style, keys sorted, two-space indent, and strings quoted
 * whenever a YAML 1.1 reader (as Kubernetes uses) could take them for anything but a string.
 * Tests parse every file of dist/ back and compare it with the object it came from.
 */

/** Strings that YAML 1.1 or 1.2 resolves to booleans or null. */
const RESERVED = /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|~|<<|=)$/;
/** Strings a YAML 1.1 or 1.2 reader takes for a number, a date or a timestamp. */
const NUMERIC = new RegExp([
  '^[-+]?(?:0b[01_]+|0o?[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*(?::[0-5]?[0-9])*)$',
  '^[-+]?(?:[0-9][0-9_]*)?\\.[0-9_]*(?:[eE][-+]?[0-9]+)?$',
  '^[-+]?[0-9][0-9_]*(?:\\.[0-9_]*)?[eE][-+]?[0-9]+$',
  '^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\\.[0-9_]*$',
  '^[-+]?\\.(?:inf|Inf|INF)$|^\\.(?:nan|NaN|NAN)$',
  '^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}',
].join('|'));
/** Characters safe in a plain scalar; the first character is checked more strictly. */
const PLAIN = /^[A-Za-z0-9_/.$(][A-Za-z0-9_/.@:+=,$()<>*&!%?'" -]*$/;

function plainSafe(s: string): boolean {
  return s.length > 0
    && PLAIN.test(s)
    && !RESERVED.test(s)
    && !NUMERIC.test(s)
    && !s.includes(': ')
    && !s.includes(' #')
    && !s.endsWith(':')
    && !s.endsWith(' ');
}

function quoted(s: string): string {
  // JSON escapes are valid in YAML double-quoted scalars.
  return JSON.stringify(s);
}

/** A multi-line string as a literal block, when its text survives that unchanged. */
function literalBlock(s: string, indent: string): string | undefined {
  if (!s.includes('\n') || s.includes('\r') || /^[ \t]/.test(s) || /[ \t]\n|[ \t]$/.test(s)) return undefined;
  if (/[\u0000-\u0008\u000b-\u001f\u007f\u0085\u2028\u2029\ufeff]/.test(s)) return undefined;
  const trailing = /\n*$/.exec(s)![0].length;
  const chomp = trailing === 0 ? '-' : trailing === 1 ? '' : '+';
  const body = trailing > 0 ? s.slice(0, s.length - trailing) : s;
  const lines = body.split('\n').map((l) => (l.length ? indent + l : ''));
  return `|${chomp}\n${lines.join('\n')}${trailing > 1 ? '\n'.repeat(trailing - 1) : ''}`;
}

function scalar(value: unknown, indent: string): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`YAML: cannot write the number ${value}`);
    return String(value);
  }
  if (typeof value === 'string') return plainSafe(value) ? value : literalBlock(value, indent) ?? quoted(value);
  throw new Error(`YAML: cannot write a value of type ${typeof value}`);
}

const isCollection = (v: unknown): v is object => typeof v === 'object' && v !== null;
const isEmpty = (v: object) => (Array.isArray(v) ? v.length === 0 : Object.keys(v).length === 0);

/** Kubernetes objects read best with these first; everything else is sorted. */
const HEAD_KEYS = ['apiVersion', 'kind', 'metadata'];

function orderedKeys(obj: Record<string, unknown>, top: boolean): string[] {
  const keys = Object.keys(obj).sort();
  if (!top) return keys;
  return [...HEAD_KEYS.filter((k) => k in obj), ...keys.filter((k) => !HEAD_KEYS.includes(k))];
}

function writeMap(obj: Record<string, unknown>, indent: string, out: string[]): void {
  for (const key of orderedKeys(obj, indent === '')) {
    const value = obj[key];
    if (value === undefined) continue;
    const k = plainSafe(key) ? key : quoted(key);
    if (isCollection(value) && !isEmpty(value)) {
      out.push(`${indent}${k}:\n`);
      write(value, `${indent}  `, out);
    } else {
      out.push(`${indent}${k}: ${isCollection(value) ? (Array.isArray(value) ? '[]' : '{}') : scalar(value, `${indent}  `)}\n`);
    }
  }
}

function writeList(list: unknown[], indent: string, out: string[]): void {
  for (const item of list) {
    if (item === undefined) throw new Error('YAML: a list holds undefined');
    if (isCollection(item) && !isEmpty(item)) {
      const inner: string[] = [];
      write(item, `${indent}  `, inner);
      // The first line of the nested block follows the dash.
      inner[0] = `${indent}- ${inner[0].slice(indent.length + 2)}`;
      out.push(...inner);
    } else {
      out.push(`${indent}- ${isCollection(item) ? (Array.isArray(item) ? '[]' : '{}') : scalar(item, `${indent}  `)}\n`);
    }
  }
}

function write(value: object, indent: string, out: string[]): void {
  if (Array.isArray(value)) writeList(value, indent, out);
  else writeMap(value as Record<string, unknown>, indent, out);
}

/** One object as a YAML document (no `---`), ending with a newline. */
export function toYaml(value: object): string {
  if (!isCollection(value)) return `${scalar(value, '')}\n`;
  if (isEmpty(value)) return Array.isArray(value) ? '[]\n' : '{}\n';
  const out: string[] = [];
  write(value, '', out);
  return out.join('');
}

/** Objects as one YAML stream: documents in the given order, separated by `---`. */
export function toYamlStream(values: readonly object[]): string {
  return values.map((v) => toYaml(v)).join('---\n');
}
