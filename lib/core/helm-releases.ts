// Third-party Helm charts the platform installs: one registry per platform, read by the GitOps
// engine (Applications, HelmReleases) and by the capacity check.
import { IConstruct } from 'constructs';
import { configError, pathOf } from './errors';
import { FactKey } from './registry';

/** A third-party Helm chart that the platform installs through GitOps. */
export interface HelmRelease {
  /** Release and Application name. */
  readonly name: string;
  /** Namespace the chart installs into. */
  readonly namespace: string;
  /** Chart repository URL (https, or an OCI path without `oci://`). */
  readonly repoURL: string;
  readonly chart: string;
  /** Exact chart version; never a range. */
  readonly version: string;
  /** Values, typed by the construct that owns the release. */
  readonly values: object;
  /** @default SyncWave.OPERATORS */
  readonly wave?: number;
  /** Large CRDs exceed the client-side apply annotation limit. @default false */
  readonly serverSideApply?: boolean;
  /** Whether the chart installs cluster-scoped objects (CRDs, ClusterRoles, webhooks). @default true */
  readonly clusterScoped?: boolean;
}

/** The releases of one platform, by name. */
export class HelmReleases {
  private readonly releases = new Map<string, { release: HelmRelease; owner: string }>();

  public add(owner: IConstruct, release: HelmRelease): void {
    const existing = this.releases.get(release.name);
    if (existing) {
      throw configError(owner, {
        field: 'helm release name',
        value: release.name,
        problem: `is already installed by ${existing.owner}`,
        fix: 'declare each third-party component once, or give the second release another name',
      });
    }
    this.releases.set(release.name, { release, owner: pathOf(owner) });
  }

  /** Sorted by name. */
  public get all(): HelmRelease[] {
    return [...this.releases.values()].map((r) => r.release).sort((a, b) => a.name.localeCompare(b.name));
  }
}

export const HELM_RELEASES = new FactKey('helm releases', () => new HelmReleases());
