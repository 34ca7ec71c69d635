// Container image references, pinned to a version tag or a digest.
import { IConstruct } from 'constructs';
import { configError } from './errors';

/** A container image reference that is pinned to a version tag or a digest. */
export interface PinnedImage {
  /** The reference exactly as given. */
  readonly ref: string;
  /** `registry/path/name`, without tag or digest. */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const REPOSITORY = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-]+[a-z0-9]+)*)*$/;
/** Tags that move: pinning to them is no pinning at all. */
const FLOATING_TAGS = new Set(['latest', 'stable', 'main', 'master', 'edge', 'nightly', 'dev']);

/**
 * Parses an image reference and insists that it is pinned: a tag that is not a moving alias, or a
 * sha256 digest. An unpinned image makes every sync a possible upgrade, and `dist/` stops telling
 * the truth about what runs.
 */
export function pinnedImage(scope: IConstruct | string, field: string, ref: string): PinnedImage {
  const fail = (problem: string): never => {
    throw configError(scope, {
      field,
      value: ref,
      problem,
      fix: 'pin the image to a release tag or digest, e.g. "ghcr.io/owner/app:1.4.2" or "ghcr.io/owner/app@sha256:<64 hex>"',
    });
  };
  if (typeof ref !== 'string' || ref.trim() !== ref || ref.length === 0) fail('is not an image reference');

  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) fail('has a digest that is not "sha256:" followed by 64 lower-case hex characters');
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.indexOf(':', lastSlash + 1);
  if (colon >= 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) fail('has an invalid tag');
  }
  if (!REPOSITORY.test(rest)) fail('has an invalid repository name (lower-case, no scheme)');
  if (!tag && !digest) fail('has no tag or digest, so it means ":latest"');
  if (tag && !digest && FLOATING_TAGS.has(tag.toLowerCase())) fail(`uses the moving tag "${tag}"`);
  return { ref, repository: rest, tag, digest };
}
