// Kubernetes name rules and the standard app.kubernetes.io labels, in one place.
import { createHash } from 'crypto';
import { IConstruct } from 'constructs';
import { configError } from './errors';

/**
 * One place for Kubernetes name rules and the standard labels. Every construct checks its names
 * here so that an invalid name fails at synth with the field that produced it, not at apply time.
 */
export interface NameRule {
  readonly description: string;
  readonly pattern: RegExp;
  readonly maxLength: number;
}

export const NameRules = {
  /** Namespaces, most object names, label-like names (RFC 1123 label). */
  DNS1123_LABEL: {
    description: 'a DNS-1123 label (lower-case letters, digits and "-", starting and ending with a letter or digit)',
    pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
    maxLength: 63,
  },
  /** Object names that may contain dots (ConfigMaps, Secrets, Ingresses, ...). */
  DNS1123_SUBDOMAIN: {
    description: 'a DNS-1123 subdomain (dot-separated DNS-1123 labels)',
    pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
    maxLength: 253,
  },
  /** Service names: DNS-1035 labels must start with a letter. */
  DNS1035_LABEL: {
    description: 'a DNS-1035 label (lower-case letters, digits and "-", starting with a letter)',
    pattern: /^[a-z]([-a-z0-9]*[a-z0-9])?$/,
    maxLength: 63,
  },
  /** StatefulSet names: the controller appends a hash label of 11 characters to pod names. */
  STATEFULSET: {
    description: 'a DNS-1123 label of at most 52 characters (StatefulSet pods append a revision hash)',
    pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
    maxLength: 52,
  },
  /** Container and Service port names (IANA_SVC_NAME). */
  PORT_NAME: {
    description: 'an IANA service name (at most 15 lower-case letters, digits and single "-", with a letter)',
    pattern: /^(?=.*[a-z])[a-z0-9]([a-z0-9]|-(?!-))*[a-z0-9]$|^[a-z]$/,
    maxLength: 15,
  },
  /** A fully qualified host name served over HTTPS. */
  HOSTNAME: {
    description: 'a lower-case fully qualified domain name such as "app.example.com" (no scheme, port, path or wildcard)',
    pattern: /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]([-a-z0-9]*[a-z0-9])?$/,
    maxLength: 253,
  },
} as const satisfies Record<string, NameRule>;

/** Checks a name against a rule; throws a PlatformError naming the construct and field. */
export function checkName(scope: IConstruct | string, field: string, value: string, rule: NameRule): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > rule.maxLength || !rule.pattern.test(value)) {
    throw configError(scope, {
      field,
      value,
      problem: `is not ${rule.description}, at most ${rule.maxLength} characters`,
      fix: `rename it, for example "${suggestName(String(value), rule.maxLength)}"`,
    });
  }
  return value;
}

/** A best-effort valid name to suggest in an error message. */
export function suggestName(value: string, maxLength = 63): string {
  const cleaned = value
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, maxLength)
    .replace(/-+$/, '');
  return cleaned || 'app';
}

/** The platform name used in `app.kubernetes.io/part-of`. */
export const PART_OF = 'novahost-platform';
export const MANAGED_BY = 'cdk8s';

/** Identity of one workload or component, from which all its labels are made. */
export interface ComponentIdentity {
  /** `app.kubernetes.io/name`: what it is (`novahost`, `postgres`). */
  readonly name: string;
  /** `app.kubernetes.io/instance`: which installation of it (`novahost`, `shared-postgres`). */
  readonly instance: string;
  /** `app.kubernetes.io/component`: its role (`web`, `database`). */
  readonly component: string;
}

/** The labels that select a component's pods. Never change these for a running workload. */
export function selectorLabels(id: ComponentIdentity): Record<string, string> {
  return {
    'app.kubernetes.io/name': id.name,
    'app.kubernetes.io/instance': id.instance,
    'app.kubernetes.io/component': id.component,
  };
}

/** All standard labels of a component's objects. */
export function standardLabels(id: ComponentIdentity): Record<string, string> {
  return {
    ...selectorLabels(id),
    'app.kubernetes.io/part-of': PART_OF,
    'app.kubernetes.io/managed-by': MANAGED_BY,
  };
}

/**
 * A derived object name cut to `maxLength`, deterministically: a name that fits is returned as
 * is; a longer one keeps its first characters and ends in `-` and 8 hex characters of its SHA-256,
 * so two long names that share a prefix stay distinct. `suffix` (`-tls`) is kept whole at the end.
 */
export function fitName(name: string, maxLength = 63, suffix = ''): string {
  if (name.length + suffix.length <= maxLength) return `${name}${suffix}`;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  const keep = name.slice(0, Math.max(0, maxLength - suffix.length - 9)).replace(/[-.]+$/, '');
  return `${keep}-${hash}${suffix}`;
}

/**
 * Lets a construct have children named like Object.prototype members (`constructor`): the
 * constructs library keeps children in a plain object, where `constructor` always "exists". Called
 * by the Platform, namespace charts and namespaced constructs, the scopes whose children are
 * named by users (apps, services). Relies on constructs 10.x's `_children` field (pinned).
 */
export function allowAnyChildId(scope: IConstruct): void {
  const node = scope.node as unknown as { _children?: Record<string, IConstruct> };
  node._children = Object.assign(Object.create(null), node._children ?? {});
}

/** `novahost.shakalabs.com` -> `novahost-shakalabs-com`, for object names derived from a host. */
export function hostToName(host: string): string {
  return host.replace(/\./g, '-');
}
