// PlatformError and the one formatter of problems: construct path, field, value, problem, fix.
import { IConstruct } from 'constructs';

/**
 * An input the platform cannot turn into safe YAML. Thrown at synth time, before anything is
 * written, so a bad `main.ts` never produces a partial `dist/`.
 */
export class PlatformError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlatformError';
  }
}

/** What a user needs to act on a bad input. */
export interface ProblemReport {
  /** The prop or setting at fault, e.g. `services.web.image`. */
  readonly field: string;
  /** The value given. */
  readonly value: unknown;
  /** What is wrong with it, phrased to follow the value ("is not pinned to a version"). */
  readonly problem: string;
  /** How to fix it. */
  readonly fix: string;
  /** The value may be a secret: shown as `<redacted>`. @default false */
  readonly secret?: boolean;
}

/**
 * Every problem of one synth, one formatted line each (see describeProblem). Thrown by
 * Platform.manifests() once it has collected them all; `problems` is sorted by construct path.
 */
export class SynthError extends PlatformError {
  public readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    const sorted = sortProblems(problems);
    super(sorted.join('\n'));
    this.name = 'SynthError';
    this.problems = sorted;
  }
}

/** Unique lines, sorted by construct path (the text before the first ": "), then by text. */
export function sortProblems(lines: Iterable<string>): string[] {
  const key = (l: string) => l.slice(0, Math.max(0, l.indexOf(': ')));
  return [...new Set(lines)].sort((a, b) => key(a).localeCompare(key(b)) || (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The construct path as users see it in error messages (`novahost/api-server`). An app usually
 * has the id of its namespace chart; `novahost/novahost/web` is shown as `novahost/web`.
 */
export function pathOf(scope: IConstruct | string): string {
  const full = typeof scope === 'string' ? scope : scope.node.path;
  // The Platform is the root; its own props are reported as `platform`.
  if (full === '') return 'platform';
  const parts = full.split('/');
  return parts.length > 1 && parts[0] === parts[1] ? parts.slice(1).join('/') : parts.join('/');
}

/** Formats one problem the same way everywhere: path, field, value, what is wrong, the fix. */
export function describeProblem(scope: IConstruct | string, p: ProblemReport): string {
  return `${oneLine(pathOf(scope))}: ${oneLine(p.field)} ${p.secret ? '<redacted>' : formatValue(p.value)} ${p.problem}. Fix: ${p.fix}`;
}

/**
 * Characters that would break a report line or hide what it says: C0/C1 controls, Unicode line
 * and paragraph separators, zero-width and bidirectional formatting characters ("Trojan Source").
 */
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/g;

/** Text on one visible line: every INVISIBLE character written as a \uXXXX escape. */
export function oneLine(text: string): string {
  return text.replace(INVISIBLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A PlatformError for one problem; throw it from a constructor. */
export function configError(scope: IConstruct | string, p: ProblemReport): PlatformError {
  return new PlatformError(describeProblem(scope, p));
}

/** The value as a reader sees it on one line: JSON, control characters escaped, long values cut. */
export function formatValue(value: unknown): string {
  let text: string;
  if (value === undefined) return '(unset)';
  if (typeof value === 'number' || typeof value === 'bigint') text = String(value); // NaN, Infinity
  else if (typeof value === 'function') text = `[function ${value.name || 'anonymous'}]`;
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = Object.prototype.toString.call(value); // cycles, BigInt inside objects
    }
  }
  text = oneLine(text);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/**
 * One problem line for anything thrown: a PlatformError's own message (already `<path>: ...`),
 * the constructs library's duplicate-id error rephrased, any other error under `where` (the
 * construct or file it came from) with a fix that says how to see its stack trace.
 */
export function problemLine(e: unknown, where: string): string {
  if (e instanceof SynthError) return e.problems.join('\n');
  if (e instanceof PlatformError) return e.message;
  const message = e instanceof Error ? e.message : String(e);
  const dup = /^There is already a Construct with name '(.*)' in (\S+)(?: \[(.*)\])?$/.exec(message);
  if (dup) {
    return `${where}: id ${JSON.stringify(dup[1])} is used twice in ${dup[3] ? `${dup[2]} ${JSON.stringify(dup[3])}` : dup[2]}. ` +
      'Fix: give each construct of one scope its own id (ids become object names: keep the one that is deployed)';
  }
  const kind = e instanceof Error ? e.name : 'Error';
  return `${where}: ${kind} ${JSON.stringify(message.split('\n')[0])} was thrown while building the installation. ` +
    'Fix: check the props given here against the construct\'s documented props; run with NOVAHOST_DEBUG=1 (or --stack) for the stack trace';
}
