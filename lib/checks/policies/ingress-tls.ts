// Policy: every Ingress host is covered by its TLS section.
import { finding, Finding, Policy } from './types';

/** Whether a TLS host entry (possibly `*.example.com`) covers `host`. */
export function tlsCovers(pattern: string, host: string): boolean {
  if (pattern === host) return true;
  if (!pattern.startsWith('*.')) return false;
  const dot = host.indexOf('.');
  return dot > 0 && host.slice(dot + 1) === pattern.slice(2);
}

/** A host outside the TLS section is served with Traefik's self-signed default certificate. */
export const ingressTls: Policy = {
  id: 'ingress-tls',
  description: 'Every Ingress rule has a host, and each host is covered by a spec.tls entry with a secretName.',
  check(objects) {
    const out: Finding[] = [];
    for (const ing of objects) {
      if (ing.kind !== 'Ingress') continue;
      const tls: any[] = ing.spec?.tls ?? [];
      tls.forEach((t, i) => {
        if (!t.secretName) out.push(finding(this.id, ing, `spec.tls[${i}] has no secretName; name the Secret the Certificate writes`));
      });
      for (const r of ing.spec?.rules ?? []) {
        if (!r.host) {
          out.push(finding(this.id, ing, 'a rule has no host: it answers any host name and cannot be covered by TLS; set the host'));
        } else if (!tls.some((t) => (t.hosts ?? []).some((h: string) => tlsCovers(h, r.host)))) {
          out.push(finding(this.id, ing, `host ${r.host} is not in spec.tls; add it to a tls entry`));
        }
      }
    }
    return out;
  },
};
