/**
 * GitOps annotations in one place. Argo CD reads them today; the same intent (protect, order,
 * tolerate a missing CRD) is what any other engine needs, so constructs call these helpers
 * instead of writing annotation keys.
 */
export const SYNC_WAVE = 'argocd.argoproj.io/sync-wave';
export const SYNC_OPTIONS = 'argocd.argoproj.io/sync-options';
export const COMPARE_OPTIONS = 'argocd.argoproj.io/compare-options';
/** Flux's equivalent of Prune=false, set too so a switch of engine keeps the protection. */
export const FLUX_PRUNE = 'kustomize.toolkit.fluxcd.io/prune';

/** Sync waves of the platform's Argo CD Applications: lower waves are healthy before higher ones start. */
export const SyncWave = {
  /** Argo CD managing itself. */
  GITOPS: -1,
  /** Third-party operators and their CRDs (cert-manager, the ingress controller). */
  OPERATORS: 0,
  /** Shared data services and cluster objects that need the operators' CRDs (ClusterIssuers). */
  SHARED_SERVICES: 1,
  /** The builds namespace. */
  BUILDS: 2,
  /** Hosted applications. */
  APPS: 3,
} as const;

/**
 * Annotations for an object that holds data (PVC, StatefulSet, a Namespace with data): no prune
 * when it disappears from Git and no delete when its Application is deleted.
 */
export function dataProtection(): Record<string, string> {
  return {
    [SYNC_OPTIONS]: 'Prune=false,Delete=false',
    [FLUX_PRUNE]: 'disabled',
  };
}

/**
 * Annotations for an object whose CRD is installed by another Application of the same sync
 * (ClusterIssuer, Certificate, Middleware): the first sync on an empty cluster must not fail its
 * dry run before the CRD exists.
 */
export function needsCrd(wave?: number): Record<string, string> {
  return {
    [SYNC_OPTIONS]: 'SkipDryRunOnMissingResource=true',
    ...(wave === undefined ? {} : { [SYNC_WAVE]: String(wave) }),
  };
}
