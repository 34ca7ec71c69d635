// The README's components table is what scripts/components.ts generates from lib/core/pins.ts.
import * as fs from 'fs';
import { BEGIN, componentsTable, END, README, withComponents } from '../scripts/components';
import { PINS } from '../lib/core/pins';

describe('README components table', () => {
  it('is fresh (npm run components rewrites it)', () => {
    const readme = fs.readFileSync(README, 'utf8');
    expect(withComponents(readme)).toBe(readme);
  });

  it('lists every pin with its version and licence', () => {
    const table = componentsTable();
    const rows = [...Object.values(PINS.images), ...Object.values(PINS.charts), ...Object.values(PINS.releases), ...Object.values(PINS.crds)];
    expect(table.split('\n')).toHaveLength(rows.length + 2);
    expect(table).toContain(`| Valkey (SharedRedis) | \`${PINS.images.redis.repository}:${PINS.images.redis.tag}\` | BSD-3-Clause |`);
    expect(table).toContain(`| cert-manager | chart \`cert-manager\` ${PINS.charts.certManager.version} | Apache-2.0 |`);
  });

  it('fails when the README lost its markers', () => {
    expect(() => withComponents('# no table')).toThrow(/has no .* markers/);
    expect(withComponents(`a\n${BEGIN}\nold\n${END}\nb`)).toBe(`a\n${BEGIN}\n${componentsTable()}\n${END}\nb`);
  });
});
