// The Secret inventory: every key the constructs declare, joined with what dist/ reads.
import type { Platform } from '../../core/platform';
import { secretDeclarers } from '../../core/secrets';
import { PlatformError } from '../../core/errors';
import { SecretKeyReference, SecretValue } from '../../core/handles';
import { podTemplates } from '../policies/workloads';

/** One key of one Secret, with everything needed to create it. */
export interface InventoryKey {
  readonly key: string;
  readonly description: string;
  readonly value: SecretValue;
  /** Objects of dist/ that read it (`novahost/Deployment/api-server`). */
  readonly usedBy: string[];
}

/** One Secret the platform needs and does not create itself. */
export interface InventorySecret {
  readonly namespace: string;
  readonly name: string;
  readonly type: 'Opaque' | 'kubernetes.io/dockerconfigjson';
  /** Labels of the Secret, sorted by name (a controller finds it by them). */
  readonly labels: Readonly<Record<string, string>>;
  readonly keys: InventoryKey[];
}

/** A Secret key that a rendered object reads. `key` is `*` for a whole Secret (envFrom). */
export interface SecretUse {
  readonly namespace: string;
  readonly name: string;
  readonly key: string;
  readonly object: string;
}


/** The environment variable a provided value is read from when the construct names none. */
export function defaultEnvName(ref: { name: string; key: string }): string {
  return `${ref.name}_${ref.key}`.toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_+|_+$/g, '');
}

/**
 * Every Secret key the objects read: env `secretKeyRef`, `envFrom` secrets, secret volumes and
 * image pull secrets. Secrets that a controller creates (cert-manager's TLS and ACME account keys)
 * are not read this way and are not listed.
 */
export function findSecretUses(objects: readonly any[]): SecretUse[] {
  const uses: SecretUse[] = [];
  for (const { object: obj, spec } of podTemplates(objects as any[])) {
    const namespace: string = obj.metadata?.namespace ?? '';
    const object = `${namespace}/${obj.kind}/${obj.metadata?.name}`;
    {
      const pod: any = spec;
      for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
        for (const e of c.env ?? []) {
          const ref = e.valueFrom?.secretKeyRef;
          if (ref) uses.push({ namespace, name: ref.name, key: ref.key, object });
        }
        for (const f of c.envFrom ?? []) if (f.secretRef) uses.push({ namespace, name: f.secretRef.name, key: '*', object });
      }
      for (const v of pod.volumes ?? []) {
        const sources = [v.secret ? { secret: v.secret } : undefined, ...(v.projected?.sources ?? [])].filter(Boolean);
        for (const s of sources) {
          if (!s.secret) continue;
          const name = s.secret.secretName ?? s.secret.name;
          const items: any[] = s.secret.items ?? [];
          if (items.length === 0) uses.push({ namespace, name, key: '*', object });
          for (const item of items) uses.push({ namespace, name, key: item.key, object });
        }
      }
      for (const p of pod.imagePullSecrets ?? []) uses.push({ namespace, name: p.name, key: '.dockerconfigjson', object });
    }
  }
  return uses;
}

/**
 * The Secret inventory: what the constructs declare (with how each value comes to be), joined with
 * what the rendered objects read. Two constructs declaring one key differently is an error.
 */
export function secretInventory(platform: Platform, objects: readonly any[]): InventorySecret[] {
  const keys = new Map<string, { ref: SecretKeyReference; value: SecretValue; usedBy: Set<string> }>();
  for (const c of secretDeclarers(platform)) {
    for (const ref of c.secretReferences) {
      const id = `${ref.namespace}/${ref.name}/${ref.key}`;
      const value: SecretValue = ref.value ?? { kind: 'provided', env: defaultEnvName(ref) };
      const existing = keys.get(id);
      if (existing && JSON.stringify(existing.value) !== JSON.stringify(value) && ref.value && existing.ref.value) {
        throw new PlatformError(`secrets: ${id} is declared twice with different values (${JSON.stringify(existing.value)} and ${JSON.stringify(value)})`);
      }
      if (!existing || (!existing.ref.value && ref.value)) keys.set(id, { ref, value, usedBy: existing?.usedBy ?? new Set() });
    }
  }
  for (const use of findSecretUses(objects)) {
    for (const [id, entry] of keys) {
      const r = entry.ref;
      if (r.namespace === use.namespace && r.name === use.name && (use.key === '*' || r.key === use.key)) entry.usedBy.add(use.object);
      void id;
    }
  }
  const secrets = new Map<string, InventorySecret>();
  for (const { ref, value, usedBy } of [...keys.values()].sort((a, b) => `${a.ref.namespace}/${a.ref.name}/${a.ref.key}`.localeCompare(`${b.ref.namespace}/${b.ref.name}/${b.ref.key}`))) {
    const id = `${ref.namespace}/${ref.name}`;
    const secret = secrets.get(id) ?? { namespace: ref.namespace, name: ref.name, type: ref.type ?? 'Opaque', labels: {}, keys: [] };
    if (secret.type !== (ref.type ?? 'Opaque')) throw new PlatformError(`secrets: ${id} is declared with two types, ${secret.type} and ${ref.type ?? 'Opaque'}`);
    const labels: Record<string, string> = { ...secret.labels };
    for (const [label, v] of Object.entries(ref.labels ?? {})) {
      if (labels[label] !== undefined && labels[label] !== v) throw new PlatformError(`secrets: ${id} is declared with two values of label ${label}, "${labels[label]}" and "${v}"`);
      labels[label] = v;
    }
    (secret as { labels: Record<string, string> }).labels = Object.fromEntries(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
    secret.keys.push({ key: ref.key, description: ref.description, value, usedBy: [...usedBy].sort() });
    secrets.set(id, secret);
  }
  return [...secrets.values()];
}

/** Uses of Secret keys that the inventory does not list: each is a Secret nobody would create. */
export function undeclaredUses(inventory: readonly InventorySecret[], objects: readonly any[]): SecretUse[] {
  const known = new Set(inventory.flatMap((s) => s.keys.map((k) => `${s.namespace}/${s.name}/${k.key}`)));
  const secrets = new Set(inventory.map((s) => `${s.namespace}/${s.name}`));
  return findSecretUses(objects).filter((u) => (u.key === '*' ? !secrets.has(`${u.namespace}/${u.name}`) : !known.has(`${u.namespace}/${u.name}/${u.key}`)));
}
