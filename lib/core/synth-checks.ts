// Checks over the whole rendered installation (capacity, ...): registered by the checks layer,
// run by Platform after rendering and before anything is written.
import { ClusterProfile, NodeCapacity } from './cluster';
import { HelmRelease } from './helm-releases';

/** What a synth check sees: every rendered object, the Helm releases and the node. */
export interface SynthInput {
  readonly objects: readonly object[];
  readonly helmReleases: readonly HelmRelease[];
  readonly capacity: NodeCapacity;
  readonly cluster: ClusterProfile;
}

/** A check that throws a PlatformError (with everything the user needs) when the input fails it. */
export interface SynthCheck {
  /** Unique name; checks run sorted by it, so their order is visible and stable. */
  readonly name: string;
  readonly run: (input: SynthInput) => void;
}

const checks = new Map<string, SynthCheck>();

/**
 * Adds a check that every Platform runs. The checks layer registers its own when lib/ is loaded
 * (lib/checks/index.ts); core never imports a check.
 */
export function registerSynthCheck(check: SynthCheck): void {
  checks.set(check.name, check);
}

/** The registered checks, by name. */
export function synthChecks(): SynthCheck[] {
  return [...checks.values()].sort((a, b) => a.name.localeCompare(b.name));
}
