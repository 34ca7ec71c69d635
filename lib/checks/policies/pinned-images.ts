// Policy: every image is pinned to a version tag or a digest.
import { containerPolicy } from './workloads';

/** The tag of an image reference (after the last `/`), or undefined; `@digest` counts as pinned. */
export function imagePin(image: string): { tag?: string; digest?: string } {
  const at = image.indexOf('@');
  if (at >= 0) return { digest: image.slice(at + 1) };
  const last = image.slice(image.lastIndexOf('/') + 1);
  const colon = last.lastIndexOf(':');
  return colon >= 0 ? { tag: last.slice(colon + 1) } : {};
}

/** A moving tag makes dist/ lie about what runs, and a restart may pull something else. */
export const pinnedImages = containerPolicy(
  'pinned-images',
  'Every image is pinned to a version tag or a digest; no missing tag, no `latest`.',
  (c) => {
    const image = c.container.image;
    if (typeof image !== 'string' || !image) return `${c.path}.image is missing`;
    const { tag, digest } = imagePin(image);
    if (digest) return /^sha256:[0-9a-f]{64}$/.test(digest) ? undefined : `${c.path}.image "${image}" has a malformed digest; use @sha256:<64 hex>`;
    if (!tag) return `${c.path}.image "${image}" has no tag (means latest); pin a version or a digest`;
    if (tag === 'latest') return `${c.path}.image "${image}" uses the moving tag latest; pin a version or a digest`;
    return undefined;
  },
);
