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
}

/**
 * The construct path as users see it in error messages (`novahost/api-server`). An app usually
 * has the id of its namespace chart; `novahost/novahost/web` is shown as `novahost/web`.
 */
export function pathOf(scope: IConstruct | string): string {
  const parts = (typeof scope === 'string' ? scope : scope.node.path).split('/');
  return parts.length > 1 && parts[0] === parts[1] ? parts.slice(1).join('/') : parts.join('/');
}

/** Formats one problem the same way everywhere: path, field, value, what is wrong, the fix. */
export function describeProblem(scope: IConstruct | string, p: ProblemReport): string {
  return `${pathOf(scope)}: ${p.field} ${formatValue(p.value)} ${p.problem}. Fix: ${p.fix}`;
}

/** A PlatformError for one problem; throw it from a constructor. */
export function configError(scope: IConstruct | string, p: ProblemReport): PlatformError {
  return new PlatformError(describeProblem(scope, p));
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return '(unset)';
  return JSON.stringify(value) ?? String(value);
}
