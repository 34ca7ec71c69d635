/**
 * The committed chart facts belong to the current output: one file per Helm release of each
 * values set, recorded from the chart version it pins and the very values it passes (sha256 as
 * scripts/chart-facts.ts computes it, from the Applications, Flux HelmReleases and k3s
 * HelmChartConfig of the synthesized output). A values or version change without regenerated
 * facts fails here, with the command that regenerates them.
 */
import { Release, releasesOf, VALUES_SETS, valuesSha256 } from '../../scripts/chart-releases';
import { REGENERATE, ValuesSet, valuesSets } from './facts';

function staleness(set: ValuesSet, releases: Release[]): string[] {
  const problems: string[] = [];
  for (const r of releases) {
    const f = set.facts.get(r.name);
    if (!f) {
      problems.push(`${set.name}/${r.name}.json: missing (${r.chart} ${r.version}, from ${r.from})`);
      continue;
    }
    if (f.chart.name !== r.chart || f.chart.version !== r.version) problems.push(`${set.name}/${r.name}.json: records ${f.chart.name} ${f.chart.version}, the output installs ${r.chart} ${r.version}`);
    if (f.release.namespace !== r.namespace) problems.push(`${set.name}/${r.name}.json: records namespace ${f.release.namespace}, the output installs into ${r.namespace}`);
    if (f.render.valuesSha256 !== valuesSha256(r)) problems.push(`${set.name}/${r.name}.json: recorded from other values than ${r.from} passes now (sha256 ${f.render.valuesSha256.slice(0, 12)}… ≠ ${valuesSha256(r).slice(0, 12)}…)`);
  }
  for (const file of set.files) {
    const name = file.replace(/\.json$/, '');
    if (!releases.some((r) => r.name === name)) problems.push(`${set.name}/${file}: no release ${name} in the output any more`);
    else if (set.facts.get(name)?.valuesSet !== set.name) problems.push(`${set.name}/${file}: records values set ${set.facts.get(name)?.valuesSet}`);
  }
  return problems;
}

const message = (problems: string[]) => `chart facts are stale:\n  ${problems.join('\n  ')}\nRegenerate: ${REGENERATE}`;

describe.each(valuesSets().map((s) => [s.name, s] as const))('facts/charts/%s', (name, set) => {
  it('records every release of the output, at the version and with the values it passes now', () => {
    const releases = releasesOf(VALUES_SETS.find((s) => s.name === name)!, set.objects);
    expect(releases.length).toBeGreaterThan(0);
    const problems = staleness(set, releases);
    if (problems.length) throw new Error(message(problems));
  });
});

describe('the freshness check', () => {
  const set = valuesSets().find((s) => s.name === 'reference')!;
  const releases = releasesOf(VALUES_SETS[0], set.objects);

  it('fails when a value changes, naming the command that regenerates the facts', () => {
    const changed = releases.map((r) => (r.name === 'traefik' ? { ...r, values: [{ ...r.values[0], deployment: { replicas: 2 } }] } : r));
    const problems = staleness(set, changed);
    expect(problems).toEqual([expect.stringMatching(/^reference\/traefik\.json: recorded from other values than Application argocd\/traefik-helm passes now/)]);
    expect(message(problems)).toContain('npm run chart-facts');
  });

  it('fails when a chart version changes, a release is added or one is gone', () => {
    const bumped = releases.map((r) => (r.name === 'loki' ? { ...r, version: '18.12.0' } : r)).filter((r) => r.name !== 'alloy');
    expect(staleness(set, [...bumped, { ...bumped[0], name: 'extra' }])).toEqual([
      'reference/loki.json: records loki 18.11.0, the output installs loki 18.12.0',
      expect.stringMatching(/^reference\/extra\.json: missing/),
      'reference/alloy.json: no release alloy in the output any more',
    ]);
  });
});
