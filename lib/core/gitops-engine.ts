// The GitOps engine contract: exactly one construct per platform applies dist/ to the cluster.
import { IConstruct } from 'constructs';
import { PlatformError } from './errors';
import { registryOf } from './problems';
import { FactKey, PlatformRegistry } from './registry';

/**
 * A construct that applies `dist/` to the cluster (a GitOps engine). Exactly one engine per
 * platform: two would fight over every object, none leaves `dist/` unapplied.
 */
export interface GitOpsEngine extends IConstruct {
  /** The engine's name in messages (`Flux`). */
  readonly gitOpsEngine: string;
  /**
   * Whether the engine must be told, per Job, to replace it when its (immutable) template changed.
   * Argo CD does it through the hook delete policy the Jobs carry; Flux needs an annotation.
   */
  readonly forceReplacesJobs: boolean;
  /**
   * Shell lines that stop the engine from syncing the namespace folder `namespace` (a restore
   * scales its servers down, which a sync would undo), and that sync it again. The engine's own
   * root is held too: it syncs the per-folder objects from Git and would turn the hold back.
   */
  holdSync(namespace: string): string[];
  resumeSync(namespace: string): string[];
}

/** Every engine declared, in declaration order; synth requires exactly one. */
export const GITOPS_ENGINES = new FactKey('gitops engines', () => [] as GitOpsEngine[]);

/** What the engine functions need of a platform (no import of Platform: it imports this file). */
interface EngineHost {
  readonly registry: PlatformRegistry;
  readonly namespaces: ReadonlyArray<{ readonly namespaceName: string }>;
}

/** Called by an engine's constructor. */
export function declareGitOpsEngine(registry: PlatformRegistry, engine: GitOpsEngine): void {
  registry.fact(GITOPS_ENGINES).push(engine);
}

/** `ArgoCd argocd`, `Flux flux`: every GitOps engine declared in the platform, by construct path. */
export function gitOpsEngines(platform: Pick<EngineHost, 'registry'>): Array<{ name: string; path: string }> {
  return platform.registry.fact(GITOPS_ENGINES).map((e) => ({ name: e.gitOpsEngine, path: e.node.path }));
}

/** The platform's engine when exactly one is declared. */
export function gitOpsEngineOf(registry: PlatformRegistry): GitOpsEngine | undefined {
  const engines = registry.fact(GITOPS_ENGINES);
  return engines.length === 1 ? engines[0] : undefined;
}

/** The problem with two engines, if there are. */
export function twoEnginesProblem(platform: Pick<EngineHost, 'registry'>): string | undefined {
  const engines = gitOpsEngines(platform);
  return engines.length > 1
    ? `GitOps engines ${engines.map((e) => `${e.name} (${e.path})`).join(' and ')} are both declared; they would fight over every object. `
      + 'Fix: keep one of them (new ArgoCd(...) or new Flux(...))'
    : undefined;
}

/** The problem with the platform's engines, if any. */
export function gitOpsEngineProblem(platform: EngineHost): string | undefined {
  const two = twoEnginesProblem(platform);
  if (two) return two;
  const folders = platform.namespaces.map((c) => c.namespaceName);
  if (gitOpsEngines(platform).length === 0 && folders.length > 0) {
    return `no GitOps engine is declared, so nothing applies dist/ (${folders.join(', ')}). `
      + "Fix: declare new ArgoCd(platform, 'argocd') or new Flux(platform, 'flux')";
  }
  return undefined;
}

/**
 * Throws when the platform has two GitOps engines, or none while it has namespace folders. Called
 * before writing dist/ (tests that synthesize single constructs have no engine, on purpose).
 */
export function assertGitOpsEngine(platform: EngineHost): void {
  const problem = gitOpsEngineProblem(platform);
  if (problem) throw new PlatformError(`platform: ${problem}`);
}

/** The hold and resume lines of the engine of `scope`'s platform, for printed restore procedures. */
export function syncControl(scope: IConstruct): { hold(namespace: string): string[]; resume(namespace: string): string[] } {
  const registry = registryOf(scope);
  const engine = registry ? gitOpsEngineOf(registry) : undefined;
  const none = () => ['# (no GitOps engine is declared: nothing to hold)'];
  return { hold: (ns) => engine?.holdSync(ns) ?? none(), resume: (ns) => engine?.resumeSync(ns) ?? none() };
}
