// Run-time checks of construct props: synthesis does not type-check, so types, unknown keys (with a
// "did you mean"), ranges and grammars are checked here, and each problem is reported (not thrown).
import { IConstruct } from 'constructs';
import { describeProblem, SynthError } from './errors';
import { NameRule } from './names';
import { reportLine, reportProblem } from './problems';
import { parseQuantity } from './quantity';

/**
 * The keys of a props interface, listed once: the `Record` makes `tsc` fail when a prop is added
 * to the interface but not here, so unknown-key detection never refuses a real prop.
 */
export function propKeys<T>(keys: { readonly [K in keyof Required<T>]: true }): readonly string[] {
  return Object.keys(keys);
}

/** Namespaces that Kubernetes itself owns: an app there would change the cluster, not itself. */
/** An IPv4 CIDR (`10.0.0.0/8`, `203.0.113.10/32`), as NetworkPolicy ipBlocks take it. */
export const IPV4_CIDR = /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\/(3[0-2]|[12]?\d)$/;

export const SYSTEM_NAMESPACES: ReadonlySet<string> = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

/** Levenshtein distance, for "did you mean". */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** The closest candidate within a few edits (or equal ignoring case), if any. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = c.toLowerCase() === word.toLowerCase() ? 0 : editDistance(word, c);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

/** What is wrong with an Ingress path prefix, or undefined when Kubernetes and Traefik both take it. */
export function ingressPathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return 'does not start with "/"';
  // Traefik writes the path into its router rule between backticks (PathPrefix(`...`)); anything
  // outside RFC 3986 path characters, and regex or template syntax, is refused rather than escaped.
  if (!/^[A-Za-z0-9\-._~%!&',;=:@/]*$/.test(path)) {
    return 'has characters a URL path prefix cannot have (allowed: letters, digits, "/", "-", ".", "_", "~", "%XX" and !&\',;=:@; no spaces, backticks, quotes, regex or {} syntax)';
  }
  if (/%(?![0-9A-Fa-f]{2})/.test(path)) return 'has a "%" that is not a percent-encoded byte';
  // k8s.io/kubernetes pkg/apis/networking/validation: invalidPathSequences and invalidPathSuffixes.
  for (const seq of ['//', '/./', '/../', '%2f', '%2F']) if (path.includes(seq)) return `contains "${seq}", which Kubernetes refuses in an Ingress path`;
  for (const suffix of ['/..', '/.']) if (path.endsWith(suffix)) return `ends with "${suffix}", which Kubernetes refuses in an Ingress path`;
  return undefined;
}

const typeName = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`);
const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && [Object.prototype, null].includes(Object.getPrototypeOf(v));

/**
 * Checks the props of one construct and reports each problem with its field (prefixed, e.g.
 * `services.web.`). Every method returns the value when it is valid, else undefined, so the
 * constructor can go on with its default.
 */
export class PropChecks {
  /**
   * @param scope the construct whose props these are, or a name (`cluster`) for props checked
   * before any construct exists: those problems are collected, and `throwIfProblems` throws them.
   */
  constructor(public readonly scope: IConstruct | string, private readonly prefix = '', private readonly collected: string[] = []) {}

  /** Checks for a nested object, e.g. `within('services.web.')`. */
  public within(prefix: string): PropChecks {
    return new PropChecks(this.scope, `${this.prefix}${prefix}`, this.collected);
  }

  public report(field: string, value: unknown, problem: string, fix: string, secret = false): void {
    const p = { field: `${this.prefix}${field}`, value, problem, fix, secret };
    if (typeof this.scope === 'string') this.collected.push(describeProblem(this.scope, p));
    else reportProblem(this.scope, p);
  }

  /** Records a formatted problem line (a PlatformError's message). */
  public reportLine(line: string): void {
    if (typeof this.scope === 'string') this.collected.push(line);
    else reportLine(this.scope, line);
  }

  /** For a named scope: throws every collected problem as one SynthError. */
  public throwIfProblems(): void {
    if (this.collected.length) throw new SynthError(this.collected);
  }

  /** A plain object with only `keys`; `field` '' is the props object itself. Unknown keys are reported. */
  public object(field: string, value: unknown, keys: readonly string[], required = false): value is Record<string, unknown> {
    const name = field || 'props';
    if (value === undefined && !required) return false;
    if (!isPlainObject(value)) {
      this.report(name, value, `is ${typeName(value)}, not an object`, required ? 'pass an object literal { ... }' : 'pass an object literal { ... } or leave it out');
      return false;
    }
    for (const key of Object.keys(value)) {
      if (keys.includes(key)) continue;
      const near = didYouMean(key, keys);
      this.report(field ? `${field}.${key}` : key, value[key], 'is not a known setting', near ? `did you mean "${near}"?` : `use one of: ${keys.join(', ')}`);
    }
    return true;
  }

  /** A map with free keys (env, services, ...): a plain object, key order kept. */
  public record(field: string, value: unknown, required = false): Array<[string, unknown]> | undefined {
    if (value === undefined && !required) return undefined;
    if (!isPlainObject(value)) {
      this.report(field, value, `is ${typeName(value)}, not an object`, 'pass an object literal { name: ... }');
      return undefined;
    }
    return Object.entries(value);
  }

  public string(field: string, value: unknown, o: { required?: boolean; rule?: NameRule; pattern?: RegExp; what?: string; fix?: string; secret?: boolean } = {}): string | undefined {
    if (value === undefined && !o.required) return undefined;
    if (typeof value !== 'string') {
      this.report(field, value, `is ${typeName(value)}, not a string`, o.fix ?? 'give a string', o.secret);
      return undefined;
    }
    if (o.rule && (value.length === 0 || value.length > o.rule.maxLength || !o.rule.pattern.test(value))) {
      this.report(field, value, `is not ${o.rule.description}, at most ${o.rule.maxLength} characters`, o.fix ?? 'rename it');
      return undefined;
    }
    if (o.pattern && !o.pattern.test(value)) {
      this.report(field, value, `is not ${o.what ?? `of the form ${o.pattern}`}`, o.fix ?? 'correct the value', o.secret);
      return undefined;
    }
    if (!o.rule && !o.pattern && (value.length === 0 || /[\0-\x1f\x7f]/.test(value))) {
      this.report(field, value, value.length === 0 ? 'is empty' : 'contains control characters', o.fix ?? 'give a non-empty value on one line', o.secret);
      return undefined;
    }
    return value;
  }

  public integer(field: string, value: unknown, o: { min?: number; max?: number; required?: boolean; fix?: string } = {}): number | undefined {
    if (value === undefined && !o.required) return undefined;
    const min = o.min ?? 0;
    const max = o.max ?? Number.MAX_SAFE_INTEGER;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      const what = typeof value === 'number' ? `is not a whole number from ${min} to ${max}` : `is ${typeName(value)}, not a number`;
      this.report(field, value, what, o.fix ?? `use a whole number from ${min} to ${max}`);
      return undefined;
    }
    return value;
  }

  public port(field: string, value: unknown, required = false): number | undefined {
    return this.integer(field, value, { min: 1, max: 65535, required, fix: 'use the TCP port the container listens on, 1-65535' });
  }

  public boolean(field: string, value: unknown): boolean | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') {
      this.report(field, value, `is ${typeName(value)}, not true or false`, 'use true or false');
      return undefined;
    }
    return value;
  }

  /** An array of non-empty one-line strings. */
  public strings(field: string, value: unknown, o: { secret?: boolean; nonEmpty?: boolean } = {}): string[] | undefined {
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) {
      this.report(field, value, `is ${typeName(value)}, not an array of strings`, 'use an array such as ["a", "b"]', o.secret);
      return undefined;
    }
    if (o.nonEmpty && value.length === 0) {
      this.report(field, value, 'is empty', 'give at least one entry, or leave it out');
      return undefined;
    }
    const ok = value.every((v, i) => this.string(`${field}[${i}]`, v, { required: true, secret: o.secret }) !== undefined);
    return ok ? value : undefined;
  }

  /** One of a few values; the fix suggests the nearest. */
  public oneOf<T>(field: string, value: unknown, allowed: readonly T[], show: (v: T) => string = (v) => JSON.stringify(v)): T | undefined {
    if (value === undefined) return undefined;
    if (allowed.includes(value as T)) return value as T;
    const near = typeof value === 'string' ? allowed.find((a) => typeof a === 'string' && a.toLowerCase() === value.toLowerCase()) : undefined;
    this.report(field, value, 'is not one of the allowed values', near !== undefined ? `did you mean ${show(near)}?` : `use one of: ${allowed.map(show).join(', ')}`);
    return undefined;
  }

  /** A Kubernetes quantity string (`250m`, `128Mi`), positive; a number is refused (256 would mean 256 bytes). */
  public quantity(field: string, value: unknown, kind: 'cpu' | 'memory'): number | undefined {
    if (value === undefined) return undefined;
    const example = kind === 'cpu' ? '"250m" or "1"' : '"128Mi" or "1Gi"';
    if (typeof value !== 'string') {
      this.report(field, value, `is ${typeName(value)}, not a quantity string`, `write it as a string with a unit, e.g. ${example}`);
      return undefined;
    }
    const n = parseQuantity(value);
    const whole = kind === 'cpu' ? (x: number) => Number.isInteger(Math.round(x * 1e9) / 1e6) : (x: number) => Number.isInteger(Math.round(x * 1e6) / 1e6);
    if (n === undefined || !Number.isFinite(n) || n <= 0 || !whole(n)) {
      const hint = /^\d+(\.\d+)?\s*(GB|MB|KB|gb|mb|kb|g|mi|gi)$/.test(value) ? ' (Kubernetes writes Gi, Mi, Ki or G, M, k)' : '';
      this.report(field, value, `is not a positive Kubernetes ${kind === 'cpu' ? 'CPU' : 'memory'} quantity${hint}`, `use e.g. ${example}`);
      return undefined;
    }
    return n;
  }
}
