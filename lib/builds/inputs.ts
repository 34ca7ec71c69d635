// Rules for every value that reaches a build pod (git URLs and refs, image names, paths).
import { IConstruct } from 'constructs';
import { configError } from '../core/errors';

/**
 * Rules for every value that reaches a build pod. They are strict on purpose: the same patterns
 * are shipped to the build-server in the Job template (`placeholders.json`), so a value that
 * passes here can be substituted into the template's JSON strings without escaping and handed
 * to git and buildctl as one argv element each. Nothing is ever interpolated into a shell.
 */
export interface InputRule {
  /** Anchored pattern, also published to the build-server. */
  readonly pattern: RegExp;
  readonly maxLength: number;
  /** What is allowed, phrased to follow "is not". */
  readonly description: string;
  readonly example: string;
}

export const BuildInputs = {
  /**
   * An https URL without credentials, query or fragment. SSH (`git@host:repo`) is refused: the
   * clone runs as uid 1000, which has no passwd entry in the git image, and OpenSSH exits on that.
   */
  GIT_URL: {
    pattern: /^https:\/\/[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?(?:\/[A-Za-z0-9._~+-]+)+\/?$/,
    maxLength: 512,
    description: 'an https:// Git URL without credentials, query or fragment',
    example: 'https://github.com/owner/repo.git',
  },
  /**
   * What the clone step can fetch (`git fetch --depth 1 -- <url> <ref>`): a full commit id (40, or
   * for SHA-256 repositories 64, lower-case hex digits), or a branch or tag (git ref characters
   * only; no "..", "@{", leading "-" or "/"). An abbreviated commit id (7 to 39 hex digits) is
   * refused: git fetch never expands one, it looks it up as a ref name and fails. A branch whose
   * name is all hex of that length can be given as `refs/heads/<name>`.
   */
  GIT_REF: {
    pattern: /^(?:[0-9a-f]{40}|[0-9a-f]{64}|(?![0-9A-Fa-f]{7,39}$)(?![0-9A-Fa-f]{41,63}$)(?![-/.])(?!.*\.\.)(?!.*@\{)(?!.*\/\/)(?!.*\.lock$)(?!.*[/.]$)[A-Za-z0-9._/-]+)$/,
    maxLength: 255,
    description: 'a Git branch, tag or full 40-character commit id (letters, digits, ".", "_", "-", "/"; no "..", no leading "-"; no abbreviated commit id)',
    example: 'v1.2.0',
  },
  /** `registry[:port]/path:tag`, lower-case repository, a tag required (a build pushes a tag). */
  IMAGE: {
    pattern: /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]{1,5})?(?:\/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)+:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/,
    maxLength: 255,
    description: 'an image reference "registry/repository:tag" (lower-case repository with a registry host, a tag, no digest)',
    example: 'ghcr.io/owner/app:1.4.2',
  },
  /** Becomes the Job name `build-<id>`, a label value and an artifact prefix. */
  BUILD_ID: {
    pattern: /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/,
    maxLength: 40,
    description: 'a build id of lower-case letters, digits and "-" (at most 40 characters)',
    example: '20261123-1f2e3d',
  },
  /** A relative path inside the repository. */
  RELATIVE_PATH: {
    // Every segment starts with a letter, digit or "_", which rules out ".", ".." and "-x".
    pattern: /^[A-Za-z0-9_][A-Za-z0-9._-]*(?:\/[A-Za-z0-9_][A-Za-z0-9._-]*)*$/,
    maxLength: 255,
    description: 'a relative path of letters, digits, ".", "_" and "-" segments (no "..", no leading "/" or "-")',
    example: 'services/web',
  },
  /** An absolute path inside the built image's filesystem. */
  ABSOLUTE_PATH: {
    pattern: /^\/(?:[A-Za-z0-9_][A-Za-z0-9._-]*(?:\/[A-Za-z0-9_][A-Za-z0-9._-]*)*)?$/,
    maxLength: 255,
    description: 'an absolute path of letters, digits, ".", "_" and "-" segments (no "..")',
    example: '/dist',
  },
  BUILD_ARG_KEY: {
    pattern: /^[A-Z_][A-Z0-9_]*$/,
    maxLength: 128,
    description: 'a build argument name (upper-case letters, digits and "_", not starting with a digit)',
    example: 'NODE_VERSION',
  },
  /** Printable, single line: the value is one argv element and is written to dist/ in clear. */
  BUILD_ARG_VALUE: {
    pattern: /^[\x20-\x7e]*$/,
    maxLength: 1024,
    description: 'a single line of printable ASCII',
    example: '20.11.1',
  },
  S3_ENDPOINT: {
    pattern: /^https?:\/\/[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::[0-9]{1,5})?\/?$/,
    maxLength: 255,
    description: 'an http(s) endpoint URL without credentials or path',
    example: 'https://s3.eu-central-1.amazonaws.com',
  },
  S3_BUCKET: {
    pattern: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    maxLength: 63,
    description: 'an S3 bucket name (3-63 lower-case letters, digits, "." and "-")',
    example: 'novahost-artifacts',
  },
  S3_PREFIX: {
    pattern: /^(?:[A-Za-z0-9_][A-Za-z0-9._-]*\/)*$/,
    maxLength: 255,
    description: 'an object key prefix of path segments, each ending in "/" (or empty)',
    example: 'builds/',
  },
  REGION: {
    pattern: /^[a-z0-9-]+$/,
    maxLength: 32,
    description: 'a region name',
    example: 'us-east-1',
  },
} as const satisfies Record<string, InputRule>;

/** Checks one value against a rule; throws a configError naming the field otherwise. */
export function checkInput(scope: IConstruct | string, field: string, value: string, rule: InputRule, fix?: string): string {
  if (typeof value !== 'string' || value.length > rule.maxLength || !rule.pattern.test(value)) {
    throw configError(scope, {
      field,
      value,
      problem: `is not ${rule.description}, at most ${rule.maxLength} characters`,
      fix: fix ?? `use a value such as "${rule.example}"`,
    });
  }
  return value;
}

/** An https Git URL without credentials; SSH URLs get their own reason. Throws a configError otherwise. */
export function checkGitUrl(scope: IConstruct | string, field: string, url: string): string {
  if (typeof url === 'string' && /^(ssh:\/\/|git@)/.test(url)) {
    throw configError(scope, {
      field,
      value: url,
      problem: 'is an SSH URL, and the clone runs as uid 1000 without a passwd entry, which OpenSSH refuses',
      fix: 'use the https:// URL of the repository',
    });
  }
  if (typeof url === 'string' && /^https:\/\/[^/]*@/.test(url)) {
    throw configError(scope, {
      field,
      value: url.replace(/\/\/[^/]*@/, '//<redacted>@'),
      problem: 'carries credentials, which would be written to dist/',
      fix: 'use the URL without user and token; private repositories are not supported yet',
    });
  }
  return checkInput(scope, field, url, BuildInputs.GIT_URL);
}

/** Secret-looking build argument names: their values would be written to dist/ in clear. */
export const SECRET_LOOKING_ARG = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIALS?)$/;

/** Placeholders of the Job template that the build-server replaces, with the rules their values obey. */
export const TemplatePlaceholders = {
  BUILD_ID: BuildInputs.BUILD_ID,
  GIT_URL: BuildInputs.GIT_URL,
  GIT_REF: BuildInputs.GIT_REF,
  IMAGE: BuildInputs.IMAGE,
} as const;
export type TemplatePlaceholder = keyof typeof TemplatePlaceholders;

/** `${NAME}`, as it appears in the template. */
export function placeholder(name: TemplatePlaceholder): string {
  return '${' + name + '}';
}

/**
 * Replaces the template's placeholders. This is the reference implementation of what the
 * build-server must do: validate every value against its published pattern, then substitute.
 */
export function fillTemplate(template: string, values: Record<TemplatePlaceholder, string>): string {
  for (const name of Object.keys(TemplatePlaceholders) as TemplatePlaceholder[]) {
    checkInput('build template', name, values[name], TemplatePlaceholders[name]);
  }
  return template.replace(/\$\{([A-Z_]+)\}/g, (whole, name: string) => (name in values ? values[name as TemplatePlaceholder] : whole));
}
