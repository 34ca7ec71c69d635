// Policy: every Ingress backend names an existing Service and port.
import { finding, Finding, KubeObject, Policy } from './types';

/**
 * An Ingress backend that names a missing Service or port is a 503 (Traefik) for that path.
 * Backends must be Services of the Ingress's own namespace (Kubernetes allows nothing else).
 */
export const ingressBackends: Policy = {
  id: 'ingress-backends',
  description: 'Every Ingress backend names a Service in the same namespace and one of its ports (by number or name).',
  check(objects) {
    const out: Finding[] = [];
    for (const ing of objects) {
      if (ing.kind !== 'Ingress') continue;
      const backends: Array<{ path: string; backend: any }> = [];
      if (ing.spec?.defaultBackend) backends.push({ path: 'spec.defaultBackend', backend: ing.spec.defaultBackend });
      (ing.spec?.rules ?? []).forEach((r: any) => {
        (r.http?.paths ?? []).forEach((p: any) => backends.push({ path: `spec.rules[${r.host ?? '*'}].paths[${p.path ?? '/'}].backend`, backend: p.backend }));
      });
      for (const { path, backend } of backends) {
        const problem = backendProblem(objects, ing, backend);
        if (problem) out.push(finding(this.id, ing, `${path}: ${problem}`));
      }
    }
    return out;
  },
};

function backendProblem(objects: readonly KubeObject[], ing: KubeObject, backend: any): string | undefined {
  const ref = backend?.service;
  if (!ref) return backend?.resource ? undefined : 'has no service';
  const svc = objects.find((o) => o.kind === 'Service' && o.metadata.name === ref.name && o.metadata.namespace === ing.metadata.namespace);
  if (!svc) return `Service "${ref.name}" does not exist in namespace ${ing.metadata.namespace}`;
  const ports: any[] = svc.spec?.ports ?? [];
  const ok = ref.port?.number !== undefined ? ports.some((p) => p.port === ref.port.number) : ports.some((p) => p.name === ref.port?.name);
  if (ok) return undefined;
  const want = ref.port?.number ?? JSON.stringify(ref.port?.name);
  return `Service "${ref.name}" has no port ${want} (ports: ${ports.map((p) => (p.name ? `${p.name}=${p.port}` : p.port)).join(', ') || 'none'})`;
}
