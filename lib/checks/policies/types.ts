/**
 * Policies as tests: a rule is one pure function over synthesized objects. Rules never read files
 * or the construct tree; they see exactly what Argo CD would apply.
 */

/** One synthesized Kubernetes object, as parsed from `dist/` or rendered by Platform.manifests(). */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
    readonly [key: string]: unknown;
  };
  readonly [key: string]: any;
}

/** One violation of a rule by one object. */
export interface Finding {
  /** The rule's id, e.g. `no-privilege-escalation`. */
  readonly policy: string;
  /** Namespace of the object; undefined for cluster-scoped objects. */
  readonly namespace?: string;
  readonly kind: string;
  readonly name: string;
  /** What is wrong, with the field path, and what to do. */
  readonly message: string;
}

/** A rule. `check` is pure: same objects, same findings. */
export interface Policy {
  /** Kebab-case, unique, the file name of the rule (`lib/policies/<id>.ts`). */
  readonly id: string;
  /** One sentence: what the rule requires and why. */
  readonly description: string;
  check(objects: readonly KubeObject[]): Finding[];
}

/** A deliberate, reviewed deviation from one rule for one object. */
export interface PolicyException {
  readonly policy: string;
  /** Omit for cluster-scoped objects. */
  readonly namespace?: string;
  readonly kind: string;
  readonly name: string;
  /** Why the object cannot follow the rule; reviewed like code. */
  readonly reason: string;
}

/** A finding about `obj`. */
export function finding(policy: string, obj: KubeObject, message: string): Finding {
  return { policy, namespace: obj.metadata?.namespace, kind: obj.kind, name: obj.metadata?.name, message };
}

/** `novahost/Deployment/web`, or `ClusterIssuer/letsencrypt-prod` for cluster-scoped objects. */
export function objectRef(o: { namespace?: string; kind: string; name: string }): string {
  return `${o.namespace ? `${o.namespace}/` : ''}${o.kind}/${o.name}`;
}
