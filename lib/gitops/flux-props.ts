// Flux's props (the engine, and image automation), with their run-time checks: synthesis does not
// type-check, so every prop is checked, each problem reported with its field.
import type { ImageTags } from '../apps/image-tags';
import { NameRules } from '../core/names';
import { Rules, ShapeOf } from '../core/prop-schema';

/** One image Flux keeps up to date in the image file. */
export interface AutomatedImage {
  /** Semver range of the tags to follow, e.g. `>=0.1.0 <1.0.0` or `~1.4`. */
  readonly semverRange: string;
  /**
   * `kubernetes.io/dockerconfigjson` Secret (in the Flux namespace) to list the repository's tags.
   * @default - anonymous
   */
  readonly pullSecret?: string;
}

/** Flux image automation: tags found in registries are written back to the image file in Git. */
export interface FluxImageAutomationProps {
  /** The image file main.ts reads; its entries carry the setter markers. */
  readonly tags: ImageTags;
  /** The file's path relative to the repository root, e.g. `images/images.yaml`. */
  readonly file: string;
  /** Images to follow, by key of the image file. */
  readonly images: Record<string, AutomatedImage>;
  /** @default { name: 'fluxcdbot', email: 'fluxcdbot@users.noreply.github.com' } */
  readonly author?: { readonly name: string; readonly email: string };
  /** How often registries are scanned. @default '5m' */
  readonly scanInterval?: string;
}

export interface FluxProps {
  /** @default 'flux-system' (where `flux install` puts the controllers) */
  readonly namespace?: string;
  /** How often each Kustomization re-applies its folder (drift correction). @default '10m' */
  readonly interval?: string;
  /** How often the Git repository is polled. @default '1m' */
  readonly gitInterval?: string;
  /**
   * Secret (in the Flux namespace) with Git credentials: `identity`/`known_hosts` for ssh URLs,
   * `username`/`password` for https. Required with image automation, which pushes commits.
   * @default - none (a public repository, read-only)
   */
  readonly gitSecret?: string;
  /** @default - no image automation */
  readonly imageAutomation?: FluxImageAutomationProps;
}

const interval = Rules.goDuration('"1m", "10m" or "1h"');

export const FLUX_PROPS = {
  // Checked by the platform when it makes the namespace chart.
  namespace: Rules.any(),
  interval,
  gitInterval: interval,
  gitSecret: Rules.name(NameRules.DNS1123_SUBDOMAIN),
  imageAutomation: Rules.object<FluxImageAutomationProps>({
    tags: Rules.required(Rules.is((t) => typeof (t as { marker?: unknown } | null)?.marker === 'function', 'the ImageTags main.ts reads', 'pass the ImageTags.load(...) of the image file'), undefined, 'pass the ImageTags.load(...) of the image file'),
    file: Rules.required(Rules.pattern(/^(?!\/)(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._\/-]+\.ya?ml$/, 'a YAML file path relative to the repository root', 'use e.g. "images/images.yaml"'), undefined, 'give the image file path relative to the repository root, e.g. "images/images.yaml"'),
    images: Rules.required(Rules.record(Rules.object<AutomatedImage>({
      semverRange: Rules.required(Rules.pattern(/^(?=.*[0-9*])[ 0-9A-Za-z.*^~<>=|,-]+$/, 'a semver range', 'use e.g. ">=0.1.0 <1.0.0" or "~1.4"'), '*', 'give a semver range such as "~1.4"'),
      pullSecret: Rules.name(NameRules.DNS1123_SUBDOMAIN),
    }, true)), {}, 'list the keys of the image file to follow'),
    author: Rules.object<{ name: string; email: string }>({
      name: Rules.required(Rules.string(), 'fluxcdbot', 'give the commit author name'),
      email: Rules.required(Rules.pattern(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'an e-mail address', 'use e.g. "fluxcdbot@users.noreply.github.com"'), 'fluxcdbot@users.noreply.github.com', 'give the commit author e-mail'),
    }),
    scanInterval: interval,
  }),
} satisfies ShapeOf<FluxProps>;
