// Flux objects that no imported CRD class covers (source.toolkit.fluxcd.io/v1 HelmRepository),
// and the GitRepository ignore patterns that keep one folder.
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';

/**
 * `source.toolkit.fluxcd.io/v1` HelmRepository, the fields the platform uses. No CRD file of it is
 * kept in this repository (shared/crds has none), so unlike the imported classes it is not checked
 * against the CRD schema by tsc; __tests__/gitops/flux.test.ts checks it against a minimal schema
 * written from the Flux API reference (source-controller v1.x: url, type, interval).
 */
export interface HelmRepositorySpec {
  /** `https://...` or `oci://...`. */
  readonly url: string;
  /** @default 'default' (an index.yaml repository) */
  readonly type?: 'default' | 'oci';
  readonly interval: string;
  readonly secretRef?: { readonly name: string };
}

export class HelmRepositoryObject extends ApiObject {
  public static readonly GVK = { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'HelmRepository' } as const;

  constructor(scope: Construct, id: string, props: { metadata: { name: string; labels?: Record<string, string> }; spec: HelmRepositorySpec }) {
    super(scope, id, { ...HelmRepositoryObject.GVK, metadata: props.metadata, spec: props.spec });
  }
}

/**
 * .gitignore-style patterns that keep only `folder` (`a/b` -> `/*`, `!/a/`, `/a/*`, `!/a/b/`): a
 * child of an ignored directory cannot be re-included, so each level is opened in turn.
 */
export function onlyFolder(folder: string): string {
  const parts = folder.split('/').filter(Boolean);
  const lines: string[] = [];
  parts.forEach((_, i) => {
    const prefix = parts.slice(0, i).map((p) => `/${p}`).join('');
    lines.push(`${prefix}/*`, `!${prefix}/${parts[i]}/`);
  });
  return lines.join('\n');
}
