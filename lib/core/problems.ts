// reportProblem: how a construct records a bad input and carries on, so one synth reports every
// problem of main.ts at once instead of stopping at the first.
import { IConstruct } from 'constructs';
import { configError, describeProblem, ProblemReport } from './errors';
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

/** Whether any problem was reported for the platform of `scope`. */
export function hasProblems(scope: IConstruct): boolean {
  return (registryOf(scope)?.problems.length ?? 0) > 0;
}

function registryOf(scope: IConstruct): PlatformRegistry | undefined {
  // The Platform is the root and owns the registry; found by shape, since core/platform.ts imports this file.
  const registry = (scope.node.root as { registry?: unknown }).registry;
  return registry instanceof PlatformRegistry ? registry : undefined;
}
