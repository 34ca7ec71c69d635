// The README's DigitalOcean bootstrap block is what scripts/doks.ts generates from main.ts.
import * as fs from 'fs';
import { BEGIN, doksBlock, END, withDoks } from '../../scripts/doks';
import { README } from '../../scripts/readme-blocks';
import { platform } from '../../main';

describe('README DigitalOcean bootstrap block', () => {
  it('is fresh (npm run doks rewrites it)', () => {
    const readme = fs.readFileSync(README, 'utf8');
    expect(readme).toContain(BEGIN);
    expect(readme).toContain(END);
    expect(withDoks(readme)).toBe(readme);
  });

  it('creates the pools of main.ts and lists every routed host and the cost of nodes, load balancer and volumes', () => {
    const block = doksBlock(platform);
    for (const pool of platform.cluster.pools) expect(block).toContain(`--node-pool "name=${pool.name};size=${pool.size};count=${pool.count}"`);
    // Whatever domain installation.ts names (npm run init rewrites it).
    expect(block).toContain(`\`novahost.${platform.domain}\``);
    expect(block).toContain(`\`grafana.${platform.domain}\``);
    for (const pool of platform.cluster.pools) expect(block).toMatch(new RegExp(`\\| nodes, pool ${pool.name} \\(${pool.size}\\) \\| ${pool.count} \\| \\$\\d+\\.\\d\\d \\|`));
    expect(block).toMatch(/\| ingress load balancer \| 1 \| \$12\.00 \|/);
    expect(block).toMatch(/\| block storage volumes \| \d+ GiB \| \$\d+\.\d\d \|/);
  });
});
