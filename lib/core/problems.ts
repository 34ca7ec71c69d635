// reportProblem: how a construct records a bad input and carries on, so one synth reports every
// problem of main.ts at once instead of stopping at the first.
import { IConstruct } from 'constructs';
import { configError, describeProblem, pathOf, PlatformError, ProblemReport, SynthError } from './errors';
import { PlatformRegistry } from './registry';

/**
 * Records a problem in the platform's registry; synth then fails listing every problem, and
 * writes nothing. The caller continues with a safe placeholder (the default, or the value left
 * out), so later props are checked too. Outside a Platform (a plain cdk8s App) it throws, as
 * `configError` does. Throw instead when construction cannot go on without the value. `path`
 * names a construct that does not exist yet (a constructor's own props, checked before `super`).
 */
export function reportProblem(scope: IConstruct, problem: ProblemReport, path?: string): void {
  const registry = registryOf(scope);
  if (!registry) throw configError(path ?? scope, problem);
  registry.report(describeProblem(path ?? scope, problem));
}

/** Records a problem already formatted (a PlatformError's message); throws it outside a Platform. */
export function reportLine(scope: IConstruct, line: string): void {
  const registry = registryOf(scope);
  if (!registry) throw new PlatformError(line);
  registry.report(line);
}

/** Whether any problem was reported for the platform of `scope`. */
export function hasProblems(scope: IConstruct): boolean {
  return (registryOf(scope)?.problems.length ?? 0) > 0;
}

/** The registry of `scope`'s platform; undefined outside a Platform (a plain cdk8s App). */
export function registryOf(scope: IConstruct): PlatformRegistry | undefined {
  // The Platform is the root and owns the registry; found by shape, since core/platform.ts imports this file.
  const registry = (scope.node.root as { registry?: unknown }).registry;
  return registry instanceof PlatformRegistry ? registry : undefined;
}

/**
 * Stops a constructor that cannot go on without a value: `problem` is reported unless the construct
 * already reported one (the reason it is missing), and the error thrown carries the problems
 * reported so far, so the report lists each once.
 */
export function cannotContinue(scope: IConstruct, problem: ProblemReport): never {
  const registry = registryOf(scope);
  if (!registry) throw configError(scope, problem);
  const own = `${pathOf(scope)}: `;
  if (!registry.problems.some((l) => l.startsWith(own))) registry.report(describeProblem(scope, problem));
  throw new SynthError(registry.problems);
}
