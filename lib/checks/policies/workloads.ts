// The pod templates of every kind that runs pods, for the rules that inspect them.
import { finding, KubeObject, Policy } from './types';

/**
 * Pod templates of every kind that runs pods, so that each rule inspects the same set: Deployment,
 * StatefulSet, DaemonSet, ReplicaSet, Job, CronJob (its jobTemplate) and bare Pods.
 */
export interface PodTemplate {
  /** The object that owns the template. */
  readonly object: KubeObject;
  /** Field path of the pod spec inside the object, for messages (`spec.template.spec`). */
  readonly path: string;
  readonly spec: any;
  /** Labels of the pods. */
  readonly labels: Record<string, string>;
  /** Deployment, StatefulSet, DaemonSet, ReplicaSet: pods that should run forever. */
  readonly longRunning: boolean;
}

/** One container of a pod template, init containers included. */
export interface ContainerRef {
  readonly container: any;
  readonly init: boolean;
  /** `spec.template.spec.containers[web]`. */
  readonly path: string;
}

const LONG_RUNNING = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet']);

export function podTemplates(objects: readonly KubeObject[]): PodTemplate[] {
  const out: PodTemplate[] = [];
  for (const o of objects) {
    const t = templateOf(o);
    if (t) out.push({ object: o, path: t.path, spec: t.spec ?? {}, labels: t.labels ?? {}, longRunning: LONG_RUNNING.has(o.kind) });
  }
  return out;
}

function templateOf(o: KubeObject): { path: string; spec: any; labels: any } | undefined {
  switch (o.kind) {
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'Job':
      return { path: 'spec.template.spec', spec: o.spec?.template?.spec, labels: o.spec?.template?.metadata?.labels };
    case 'CronJob':
      return {
        path: 'spec.jobTemplate.spec.template.spec',
        spec: o.spec?.jobTemplate?.spec?.template?.spec,
        labels: o.spec?.jobTemplate?.spec?.template?.metadata?.labels,
      };
    case 'Pod':
      return { path: 'spec', spec: o.spec, labels: o.metadata?.labels };
    default:
      return undefined;
  }
}

/** Containers then init containers (ephemeral containers are never in Git). */
export function containersOf(t: PodTemplate): ContainerRef[] {
  const out: ContainerRef[] = [];
  for (const c of t.spec.containers ?? []) out.push({ container: c, init: false, path: `${t.path}.containers[${c.name}]` });
  for (const c of t.spec.initContainers ?? []) out.push({ container: c, init: true, path: `${t.path}.initContainers[${c.name}]` });
  return out;
}

/** Whether `labels` carry every key and value of a `matchLabels`-style selector (empty selects nothing here). */
export function matchesLabels(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}

/** A LabelSelector (`matchLabels` and `matchExpressions`) against labels; an empty selector matches nothing. */
export function matchesSelector(selector: any, labels: Record<string, string>): boolean {
  const ml = Object.entries(selector?.matchLabels ?? {});
  const me: any[] = selector?.matchExpressions ?? [];
  if (!ml.length && !me.length) return false;
  if (!ml.every(([k, v]) => labels[k] === v)) return false;
  return me.every((e) => {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    switch (e.operator) {
      case 'In': return has && (e.values ?? []).includes(labels[e.key]);
      case 'NotIn': return !has || !(e.values ?? []).includes(labels[e.key]);
      case 'Exists': return has;
      case 'DoesNotExist': return !has;
      default: return false;
    }
  });
}

/** A rule that checks every container of every pod template. */
export function eachContainer(
  objects: readonly KubeObject[],
  fn: (c: ContainerRef, t: PodTemplate) => string | undefined,
): Array<{ object: KubeObject; message: string }> {
  const out: Array<{ object: KubeObject; message: string }> = [];
  for (const t of podTemplates(objects)) {
    for (const c of containersOf(t)) {
      const message = fn(c, t);
      if (message) out.push({ object: t.object, message });
    }
  }
  return out;
}

/** A policy whose check is one question per container. */
export function containerPolicy(
  id: string,
  description: string,
  fn: (c: ContainerRef, t: PodTemplate) => string | undefined,
): Policy {
  return {
    id,
    description,
    check: (objects) => eachContainer(objects, fn).map((f) => finding(id, f.object, f.message)),
  };
}

/** A policy whose check is one question per pod template; it may return several messages. */
export function podPolicy(id: string, description: string, fn: (t: PodTemplate) => string[]): Policy {
  return {
    id,
    description,
    check: (objects) => podTemplates(objects).flatMap((t) => fn(t).map((m) => finding(id, t.object, m))),
  };
}
