// The image file (images/images.yaml) that main.ts reads app images from and image automation
// writes.
import * as fs from 'fs';
import { isMap, isScalar, parseDocument } from 'yaml';
import { configError } from '../core/errors';
import { PinnedImage, pinnedImage } from '../core/image';
import { checkName, NameRules } from '../core/names';

/**
 * The image of every app service, kept in one YAML file that `main.ts` reads and that automation
 * (Flux image automation, Argo CD Image Updater's Git write-back, or a person) edits. The file is
 * shaped like a ConfigMap because Flux's setters (kyaml) only rewrite documents that have
 * `apiVersion` and `kind`; it is marked local-config and never applied to a cluster:
 *
 * ```yaml
 * apiVersion: v1
 * kind: ConfigMap
 * metadata:
 *   name: image-tags
 *   annotations:
 *     config.kubernetes.io/local-config: "true"
 * data:
 *   go-api: registry.example.com/go-api:0.1.0 # {"$imagepolicy": "flux-system:go-api"}
 * ```
 */

/** A Flux setter marker on one entry: `# {"$imagepolicy": "<namespace>:<policy>"}`. */
export interface ImagePolicyMarker {
  readonly namespace: string;
  readonly policy: string;
}

/** The marker comment Flux needs on the entry of `key` (policy named after the key). */
export function imagePolicyMarker(namespace: string, key: string): string {
  return `# {"$imagepolicy": "${namespace}:${key}"}`;
}

const MARKER = /\{\s*"\$imagepolicy"\s*:\s*"([^":]+):([^":]+)"\s*\}/;

/** The parsed, validated image file. */
export class ImageTags {
  /** Reads and validates the file; every problem is a PlatformError naming the file and key. */
  public static load(file: string): ImageTags {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e: any) {
      throw configError(file, { field: 'image tags file', value: file, problem: `cannot be read (${e.code ?? e.message})`, fix: 'create it (see lib/image-tags.ts for the format) or fix the path' });
    }
    return ImageTags.parse(text, file);
  }

  /** Parses the text of an image file; `source` names it in messages. */
  public static parse(text: string, source: string): ImageTags {
    const doc = parseDocument(text);
    if (doc.errors.length) {
      throw configError(source, { field: 'YAML', value: doc.errors[0].message.split('\n')[0], problem: 'does not parse', fix: 'fix the YAML syntax' });
    }
    const root = doc.toJS();
    if (root?.apiVersion !== 'v1' || root?.kind !== 'ConfigMap' || !root?.data || typeof root.data !== 'object' || Array.isArray(root.data)) {
      throw configError(source, {
        field: 'document',
        value: root?.kind ?? typeof root,
        problem: 'is not an image file (apiVersion: v1, kind: ConfigMap, with the images under data:)',
        fix: 'use the format documented in lib/image-tags.ts; the apiVersion/kind let Flux setters edit it',
      });
    }
    const images = new Map<string, PinnedImage>();
    const markers = new Map<string, ImagePolicyMarker>();
    const data = doc.get('data', true);
    if (!isMap(data)) throw configError(source, { field: 'data', value: typeof root.data, problem: 'is not a map', fix: 'list images as `key: image`' });
    for (const item of data.items) {
      const key = isScalar(item.key) ? String(item.key.value) : String(item.key);
      const field = `data.${key}`;
      checkName(source, `${field} (key)`, key, NameRules.DNS1123_LABEL);
      const value = isScalar(item.value) ? item.value.value : undefined;
      if (typeof value !== 'string') {
        throw configError(source, { field, value, problem: 'is not an image reference', fix: 'give the image as a string, e.g. "ghcr.io/owner/app:1.4.2"' });
      }
      images.set(key, pinnedImage(source, field, value));
      const comment = isScalar(item.value) ? item.value.comment : undefined;
      const m = comment ? MARKER.exec(comment) : null;
      if (m) markers.set(key, { namespace: m[1], policy: m[2] });
    }
    return new ImageTags(source, images, markers);
  }

  private constructor(
    /** The file (or name) the tags came from. */
    public readonly source: string,
    private readonly images: ReadonlyMap<string, PinnedImage>,
    private readonly markers: ReadonlyMap<string, ImagePolicyMarker>,
  ) {}

  /** Keys in file order. */
  public get keys(): string[] {
    return [...this.images.keys()];
  }

  /** The pinned image reference of `key`; an unknown key is an error that lists the known ones. */
  public image(key: string): string {
    return this.pinned(key).ref;
  }

  /** The parsed reference of `key` (repository, tag, digest). */
  public pinned(key: string): PinnedImage {
    const found = this.images.get(key);
    if (!found) {
      throw configError(this.source, {
        field: 'image key',
        value: key,
        problem: 'is not in the image file',
        fix: `add "${key}: <image>:<version>" under data:, or use one of: ${this.keys.join(', ') || '(none)'}`,
      });
    }
    return found;
  }

  /** The Flux setter marker on the entry of `key`, if it has one. */
  public marker(key: string): ImagePolicyMarker | undefined {
    this.pinned(key);
    return this.markers.get(key);
  }
}

/** Renders an image file (for a new installation, and for tests). */
export function renderImageFile(images: Record<string, string>, markerNamespace?: string): string {
  const lines = [
    '# Image of every app service, by key; main.ts reads this file (lib/image-tags.ts).',
    '# Entries with an {"$imagepolicy": ...} marker are rewritten by Flux image automation.',
    '# Shaped like a ConfigMap because Flux setters only edit documents with apiVersion and kind;',
    '# it is never applied to a cluster (local-config).',
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: image-tags',
    '  annotations:',
    '    config.kubernetes.io/local-config: "true"',
    'data:',
  ];
  for (const [key, image] of Object.entries(images)) {
    lines.push(`  ${key}: ${image}${markerNamespace ? ` ${imagePolicyMarker(markerNamespace, key)}` : ''}`);
  }
  return lines.join('\n') + '\n';
}
