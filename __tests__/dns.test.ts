import * as fs from 'fs';
import * as path from 'path';
import { IngressRoute } from '../lib';
import { platform } from '../main';
import { hostTable } from '../scripts/dns-table';

/** The README's DNS step lists every host the installation serves, generated from the constructs. */
describe('DNS hosts of the installation', () => {
  const objects = [...platform.manifests().values()].flat() as any[];
  const table = hostTable(objects, true);

  it('has a row for the host of every route the constructs declare', () => {
    const hosts = [...new Set(platform.node.findAll().filter((c): c is IngressRoute => c instanceof IngressRoute).map((r) => r.host))];
    expect(hosts.length).toBeGreaterThan(0);
    for (const h of hosts) expect(table).toContain(`| \`${h}\` |`);
  });

  it('is the table in the README (run `npm run dns -- --markdown` and paste it)', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
    expect(/<!-- dns:begin -->\n([\s\S]*?)\n<!-- dns:end -->/.exec(readme)?.[1]).toBe(table);
  });

  it('names each path and its Service', () => {
    const ingress = { kind: 'Ingress', metadata: { namespace: 'a', name: 'x' }, spec: { rules: [{ host: 'a.example.com', http: { paths: [{ path: '/api', backend: { service: { name: 'api', port: { number: 9000 } } } }, { path: '/', backend: { service: { name: 'web', port: { name: 'http' } } } }] } }] } };
    expect(hostTable([ingress], false)).toBe('host           namespace  paths\na.example.com  a          / -> web:http, /api -> api:9000');
  });
});
