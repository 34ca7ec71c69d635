import { ingressTls, tlsCovers } from '../../lib/checks/policies/ingress-tls';
import { ingress, messages } from './fixtures';

describe('ingress-tls', () => {
  it('passes hosts listed in tls, by name or wildcard', () => {
    const w = ingress('wild');
    w.spec.tls = [{ hosts: ['*.example.com'], secretName: 'wildcard-tls' }];
    expect(messages(ingressTls, [ingress(), w])).toEqual([]);
  });

  it('flags a host outside tls, a rule without host and a tls entry without secretName', () => {
    const i = ingress();
    i.spec.rules.push({ host: 'api.example.com', http: { paths: [] } }, { http: { paths: [] } });
    i.spec.tls.push({ hosts: ['other.example.com'] });
    expect(messages(ingressTls, [i])).toEqual([
      'Ingress/demo-example-com: spec.tls[1] has no secretName; name the Secret the Certificate writes',
      'Ingress/demo-example-com: host api.example.com is not in spec.tls; add it to a tls entry',
      'Ingress/demo-example-com: a rule has no host: it answers any host name and cannot be covered by TLS; set the host',
    ]);
  });

  it('matches a wildcard one label deep only', () => {
    expect(tlsCovers('*.example.com', 'a.example.com')).toBe(true);
    expect(tlsCovers('*.example.com', 'a.b.example.com')).toBe(false);
    expect(tlsCovers('*.example.com', 'example.com')).toBe(false);
  });
});
