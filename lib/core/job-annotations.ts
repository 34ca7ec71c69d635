// Annotations every Job declared in dist/ carries: its template is immutable, so the GitOps engine
// must replace it when it changed. Each engine says whether it needs to be told (Flux does).
import { Lazy } from 'cdk8s';
import { IConstruct } from 'constructs';
import { gitOpsEngineOf } from './gitops-engine';
import { Platform } from './platform';

/** Flux, per object: replace instead of patch when an immutable field changed. */
export const FLUX_FORCE = 'kustomize.toolkit.fluxcd.io/force';

/**
 * Annotations for a Job owned by `scope`, merged over `annotations`. Resolved at synth, when the
 * platform's engine is known, so the Job's owner never needs to know which engine applies it and
 * no engine edits another construct's Job.
 */
export function immutableJobAnnotations(scope: IConstruct, annotations: Record<string, string> = {}): Record<string, string> {
  const registry = Platform.of(scope).registry;
  const force = Lazy.any({ produce: () => (gitOpsEngineOf(registry)?.forceReplacesJobs ? 'enabled' : undefined) });
  return { ...annotations, [FLUX_FORCE]: force };
}
