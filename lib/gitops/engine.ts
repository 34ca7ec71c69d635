import { IConstruct } from 'constructs';
import { PlatformError } from '../core/errors';
import type { Platform } from '../core/platform';

/**
 * Marker of a construct that applies `dist/` to the cluster (a GitOps engine). Exactly one engine
 * per platform: two would fight over every object, none leaves `dist/` unapplied.
 */
export interface GitOpsEngine extends IConstruct {
  /** The engine's name in messages (`Flux`). */
  readonly gitOpsEngine: string;
}

function isEngine(c: IConstruct): c is GitOpsEngine {
  return typeof (c as Partial<GitOpsEngine>).gitOpsEngine === 'string';
}

/** `ArgoCd argocd`, `Flux flux`: every GitOps engine declared in the platform, by construct path. */
export function gitOpsEngines(platform: Platform): Array<{ name: string; path: string }> {
  const found: Array<{ name: string; path: string }> = [];
  for (const c of platform.node.findAll()) if (isEngine(c)) found.push({ name: c.gitOpsEngine, path: c.node.path });
  return found;
}

/** The problem with the platform's engines, if any. */
export function gitOpsEngineProblem(platform: Platform): string | undefined {
  const engines = gitOpsEngines(platform);
  if (engines.length > 1) {
    return `GitOps engine ${engines.map((e) => `${e.name} (${e.path})`).join(' and ')} are both declared; they would fight over every object. `
      + 'Fix: keep one of them (new ArgoCd(...) or new Flux(...))';
  }
  const folders = platform.namespaces.map((c) => c.namespaceName);
  if (engines.length === 0 && folders.length > 0) {
    return `no GitOps engine is declared, so nothing applies dist/ (${folders.join(', ')}). `
      + "Fix: declare new ArgoCd(platform, 'argocd') or new Flux(platform, 'flux')";
  }
  return undefined;
}

/**
 * Throws when the platform has two GitOps engines, or none while it has namespace folders. Called
 * before writing dist/ (tests that synthesize single constructs have no engine, on purpose).
 */
export function assertGitOpsEngine(platform: Platform): void {
  const problem = gitOpsEngineProblem(platform);
  if (problem) throw new PlatformError(`platform: ${problem}`);
}
