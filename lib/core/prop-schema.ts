// Prop schemas: a construct declares the shape of its props once; checkProps walks the value,
// reports every problem (type, unknown key with "did you mean", range, grammar, limit >= request)
// with its field, and returns the props with each bad value left out, so the constructor goes on
// with its defaults and one synth lists every mistake. Hand-written rather than a schema library:
// the messages must be in the platform's form, and a props check must cost next to nothing.
import { IConstruct } from 'constructs';
import { cronProblem } from './cron';
import { isGoDuration, isPrometheusDuration } from './duration';
import { PlatformError } from './errors';
import { NameRule, suggestName } from './names';
import { parseQuantity } from './quantity';
import type { ClusterProfile } from './cluster';
import type { ResourceSpec } from './security';
import { propKeys, PropChecks } from './validate';

/** Checks one given (not undefined) value; returns the value to use, or undefined when it was reported. */
export type Rule<T = unknown> = (v: PropChecks, field: string, value: unknown) => T | undefined;

/**
 * A key that must be given; `placeholder` stands in for a missing or bad value so construction
 * goes on (undefined: the enclosing object is left out instead).
 */
export interface RequiredRule {
  readonly rule: Rule;
  readonly required: true;
  readonly placeholder: unknown;
  readonly fix: string;
}

/** The keys of a props interface and the rule of each. */
export type Shape = Readonly<Record<string, Rule | RequiredRule>>;

/**
 * A shape with a rule for every prop of `T`: `tsc` fails when a prop is added without one, and when
 * a prop becomes optional or required without its rule following (a required prop needs
 * `Rules.required`, an optional one must not have it).
 */
export type ShapeOf<T> = {
  readonly [K in keyof T]-?: undefined extends T[K] ? Rule | (unknown extends T[K] ? RequiredRule : never) : RequiredRule;
};

/** A grammar with an example (NameRule-like; BuildInputs' rules fit). */
export interface Grammar {
  readonly pattern: RegExp;
  readonly maxLength: number;
  readonly description: string;
  readonly example?: string;
}

/**
 * Checks `props` against `shape` for `scope` and returns them with every reported value left out
 * (placeholders for required ones). `field` prefixes the fields in messages ('' for the props object).
 */
export function checkProps<T>(scope: IConstruct | string | PropChecks, props: unknown, shape: ShapeOf<T>, field = ''): T {
  const v = scope instanceof PropChecks ? scope : new PropChecks(scope);
  return (Rules.object(shape as Shape, true)(v, field, props ?? {}) ?? placeholders(shape as Shape)) as T;
}

function placeholders(shape: Shape): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, r] of Object.entries(shape)) if (typeof r !== 'function' && r.placeholder !== undefined) out[k] = r.placeholder;
  return out;
}

const join = (field: string, key: string) => (field ? `${field}.${key}` : key);

/**
 * Reports each request of one container (valid quantities) that is more than the largest node of
 * the platform's cluster profile offers to pods: such a pod never schedules, and the problem is
 * best said at the prop rather than only by the capacity check over the whole installation.
 * Returns the keys reported.
 */
export function checkFitsANode(v: PropChecks, field: string, requests: { readonly cpuRequest?: string; readonly memoryRequest?: string }): Array<'cpuRequest' | 'memoryRequest'> {
  const cluster = typeof v.scope === 'string' ? undefined : (v.scope.node.root as { cluster?: ClusterProfile }).cluster;
  const reported: Array<'cpuRequest' | 'memoryRequest'> = [];
  if (!cluster?.pools?.length) return reported;
  for (const [key, what] of [['cpuRequest', 'cpu'], ['memoryRequest', 'memory']] as const) {
    const request = requests[key];
    // What a pod can get on the largest node: its allocatable less what the profile reserves on every node.
    const usable = Math.max(...cluster.pools.map((p) => parseQuantity(p.allocatable[what])!)) - (parseQuantity(cluster.nodeReserve[what]) ?? 0);
    if (request === undefined || parseQuantity(request)! <= usable) continue;
    const most = what === 'cpu' ? `${Math.floor(usable * 1000)}m` : `${Math.floor(usable / 2 ** 20)}Mi`;
    v.report(join(field, key), request, `is more than any node of ${cluster.description} can give one pod (${most} after what the cluster reserves), so the pod would never start`, `request at most ${most}, or give the cluster profile a larger node`);
    reported.push(key);
  }
  return reported;
}

export const Rules = {
  /** The key must be given. */
  required(rule: Rule, placeholder: unknown, fix: string): RequiredRule {
    return { rule, required: true, placeholder, fix };
  },

  /** A nested object with exactly the keys of `shape`. */
  object<T = Record<string, unknown>>(shapeOf: ShapeOf<T>, required = false): Rule<Record<string, unknown>> {
    const shape = shapeOf as Shape;
    const keys = Object.keys(shape);
    return (v, field, value) => {
      if (!v.object(field, value, keys, required)) return undefined;
      const given = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      // A required key without a placeholder that is missing or bad drops the whole object.
      let whole = true;
      for (const key of keys) {
        const entry = shape[key];
        const r = typeof entry === 'function' ? { rule: entry, required: false, placeholder: undefined, fix: '' } : entry;
        const f = join(field, key);
        if (given[key] === undefined) {
          if (r.required) {
            v.report(f, undefined, 'is required', r.fix);
            out[key] = r.placeholder;
            whole &&= r.placeholder !== undefined;
          }
          continue;
        }
        const checked = r.rule(v, f, given[key]);
        if (checked !== undefined) out[key] = checked;
        else if (r.required) {
          out[key] = r.placeholder;
          whole &&= r.placeholder !== undefined;
        }
      }
      return whole ? out : undefined;
    };
  },

  /** Whatever is given (a construct or handle checked where it is used). */
  any(): Rule {
    return (_v, _f, value) => value;
  },

  /** A value that passes `test` (a construct reference, say). */
  is(test: (value: unknown) => boolean, what: string, fix: string): Rule {
    return (v, field, value) => {
      if (test(value)) return value;
      v.report(field, value, `is not ${what}`, fix);
      return undefined;
    };
  },

  /** A non-empty one-line string. */
  string(fix?: string): Rule<string> {
    return (v, field, value) => v.string(field, value, { required: true, fix });
  },

  /** A string of a grammar (a Kubernetes name rule, a build input rule, ...). */
  grammar(g: Grammar, fix?: string): Rule<string> {
    return (v, field, value) => {
      if (typeof value !== 'string') return v.string(field, value, { required: true, fix });
      // Empty only where the grammar allows it (a build argument's value may be "").
      if (value.length > g.maxLength || !g.pattern.test(value) || (value === '' && g.pattern.test('') === false)) {
        const example = g.example ? `use a value such as "${g.example}"` : `rename it, for example "${suggestName(value, g.maxLength)}"`;
        v.report(field, value, `is not ${g.description}, at most ${g.maxLength} characters`, fix ?? example);
        return undefined;
      }
      return value;
    };
  },

  /** A Kubernetes name. */
  name(rule: NameRule, fix?: string): Rule<string> {
    return Rules.grammar(rule, fix);
  },

  /** A string matching `pattern`, described as `what`. */
  pattern(pattern: RegExp, what: string, fix: string): Rule<string> {
    return (v, field, value) => v.string(field, value, { required: true, pattern, what, fix });
  },

  integer(min: number, max: number, fix?: string): Rule<number> {
    return (v, field, value) => v.integer(field, value, { min, max, required: true, fix });
  },

  /** A finite number (fractions allowed) from min to max. */
  number(min: number, max: number, fix: string): Rule<number> {
    return (v, field, value) => {
      if (typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max) return value;
      v.report(field, value, typeof value === 'number' ? `is not a number from ${min} to ${max}` : `is ${kindOf(value)}, not a number`, fix);
      return undefined;
    };
  },

  port(): Rule<number> {
    return (v, field, value) => v.port(field, value, true);
  },

  boolean(): Rule<boolean> {
    return (v, field, value) => v.boolean(field, value);
  },

  /** One of a few values (enum-likes); a wrong case gets "did you mean". */
  oneOf<T>(allowed: readonly T[], show?: (t: T) => string): Rule<T> {
    return (v, field, value) => v.oneOf(field, value, allowed, show);
  },

  /**
   * A member of an enum-like object (`Persistence`, `EvictionPolicies`): a string in the wrong case,
   * or the name of a member, gets "did you mean <Enum>.<MEMBER>".
   */
  enumLike<T>(members: Readonly<Record<string, T>>, enumName: string): Rule<T> {
    const entries = Object.entries(members);
    const label = (key: string, m: unknown) => `${enumName}.${key}${typeof m === 'string' ? ` ("${m}")` : ''}`;
    return (v, field, value) => {
      if (entries.some(([, m]) => m === value)) return value as T;
      const text = (m: unknown) => (typeof m === 'string' ? m : (m as { name?: unknown })?.name);
      const near = typeof value === 'string'
        ? entries.find(([k, m]) => [k, text(m)].some((t) => typeof t === 'string' && t.toLowerCase().replace(/[-_+ ]/g, '') === value.toLowerCase().replace(/[-_+ ]/g, '')))
        : entries.find(([, m]) => typeof m === 'object' && typeof value === 'object' && value !== null && text(m) === text(value));
      v.report(field, value, `is not one of ${enumName}`, near ? `did you mean ${label(...near)}?` : `use one of: ${entries.map(([k, m]) => label(k, m)).join(', ')}`);
      return undefined;
    };
  },

  /** An array whose items each pass `item`; one bad item drops the array (the default is used). */
  array(item: Rule, o: { nonEmpty?: boolean; max?: number } = {}): Rule<unknown[]> {
    return (v, field, value) => {
      if (!Array.isArray(value)) {
        v.report(field, value, `is ${kindOf(value)}, not an array`, 'use an array literal [ ... ]');
        return undefined;
      }
      if (o.nonEmpty && value.length === 0) {
        v.report(field, value, 'is empty', 'give at least one entry');
        return undefined;
      }
      if (o.max !== undefined && value.length > o.max) {
        v.report(field, value.length, `entries are more than ${o.max}`, `list at most ${o.max}`);
        return undefined;
      }
      const out = value.map((x, i) => item(v, `${field}[${i}]`, x));
      return out.every((x) => x !== undefined) ? out : undefined;
    };
  },

  /** A map with free keys; each key passes `key` (if given), each value `item`. */
  record(item: Rule, key?: Rule<string>): Rule<Record<string, unknown>> {
    return (v, field, value) => {
      const entries = v.record(field, value, true);
      if (!entries) return undefined;
      const out: Record<string, unknown> = {};
      let ok = true;
      for (const [k, x] of entries) {
        if (key && key(v, `${field} key`, k) === undefined) {
          ok = false;
          continue;
        }
        const checked = item(v, join(field, k), x);
        if (checked === undefined) ok = false;
        else out[k] = checked;
      }
      return ok ? out : undefined;
    };
  },

  /** A Kubernetes quantity string, positive (a number is refused: 256 would mean 256 bytes). */
  quantity(kind: 'cpu' | 'memory'): Rule<string> {
    return (v, field, value) => (v.quantity(field, value, kind) === undefined ? undefined : (value as string));
  },

  /** CPU and memory of one container: quantities, and each limit at least its request. */
  resources(defaults: ResourceSpec = {}): Rule<ResourceSpec> {
    const keys = propKeys<ResourceSpec>({ cpuRequest: true, memoryRequest: true, cpuLimit: true, memoryLimit: true });
    return (v, field, value) => {
      if (!v.object(field, value, keys, true)) return undefined;
      const r = value as Record<string, unknown>;
      const out: Record<string, string> = {};
      for (const k of keys) {
        if (r[k] !== undefined && Rules.quantity(k.startsWith('cpu') ? 'cpu' : 'memory')(v, join(field, k), r[k]) !== undefined) out[k] = r[k] as string;
      }
      for (const [req, lim, what] of [['cpuRequest', 'cpuLimit', 'CPU'], ['memoryRequest', 'memoryLimit', 'memory']] as const) {
        const request = out[req] ?? (r[req] === undefined ? defaults[req] : undefined);
        const limit = out[lim] ?? (r[lim] === undefined ? defaults[lim] : undefined);
        if (request === undefined || limit === undefined) continue;
        if (parseQuantity(limit)! < parseQuantity(request)!) {
          v.report(join(field, lim), limit, `is below the ${what} request (${request})`, 'make the limit at least the request');
          delete out[lim];
          delete out[req];
        }
      }
      for (const k of checkFitsANode(v, field, out)) delete out[k];
      return Object.keys(out).length === keys.filter((k) => r[k] !== undefined).length ? out : undefined;
    };
  },

  /** A five-field cron schedule, as Kubernetes CronJobs and Longhorn read it. */
  cron(): Rule<string> {
    return (v, field, value) => {
      if (typeof value !== 'string') return v.string(field, value, { required: true, fix: 'write it like "17 3 * * *" (03:17 daily)' });
      const problem = cronProblem(value);
      if (problem) {
        v.report(field, value, problem, 'write five fields: minute hour day-of-month month day-of-week, e.g. "17 3 * * *" (03:17 daily)');
        return undefined;
      }
      return value.trim().replace(/\s+/g, ' ');
    };
  },

  /** A Go duration (Flux, External Secrets, Argo CD). */
  goDuration(example = '"1m", "10m" or "1h"'): Rule<string> {
    return (v, field, value) => {
      if (isGoDuration(value) && value !== '0') return value as string;
      v.report(field, value, typeof value === 'string' ? 'is not a positive Go duration' : `is ${kindOf(value)}, not a duration string`, `use e.g. ${example}`);
      return undefined;
    };
  },

  /** A Prometheus duration (retention, scrape interval). */
  prometheusDuration(example = '"7d", "168h" or "60s"'): Rule<string> {
    return (v, field, value) => {
      if (isPrometheusDuration(value) && value !== '0') return value as string;
      v.report(field, value, typeof value === 'string' ? 'is not a positive Prometheus duration' : `is ${kindOf(value)}, not a duration string`, `use a number and a unit, e.g. ${example}`);
      return undefined;
    };
  },

  /**
   * A check written as a function that throws a PlatformError (pinnedImage, checkName, ...): its
   * message is reported as it is, and the value left out.
   */
  throwing<T>(check: (scope: IConstruct | string, field: string, value: T) => unknown): Rule<T> {
    return (v, field, value) => {
      try {
        check(v.scope, field, value as T);
        return value as T;
      } catch (e) {
        if (!(e instanceof PlatformError)) throw e;
        v.reportLine(e.message);
        return undefined;
      }
    };
  },

  /** Both rules, in order (the second sees the first's result). */
  all<T>(first: Rule<T>, second: Rule<T>): Rule<T> {
    return (v, field, value) => {
      const a = first(v, field, value);
      return a === undefined ? undefined : second(v, field, a);
    };
  },
} as const;

function kindOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}
