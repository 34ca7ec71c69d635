import * as path from 'path';
import { ALL_POLICIES, EXCEPTIONS, formatFindings, runPolicies } from '../../lib/policies';
import { loadManifests } from '../../lib/policies/load';

/**
 * Every rule over everything Argo CD applies from dist/. Third-party charts' objects are rendered
 * by Argo CD and are not here; their Applications (and the values given to them) are.
 */
describe('policies over dist/', () => {
  const objects = [...loadManifests(path.join(__dirname, '..', '..', 'dist')).values()];

  it('reads the synthesized objects', () => {
    expect(objects.length).toBeGreaterThan(0);
  });

  it('has no findings beyond the reviewed exceptions', () => {
    const findings = runPolicies(objects, EXCEPTIONS, ALL_POLICIES);
    if (findings.length) throw new Error(`${findings.length} policy finding(s) in dist/:\n${formatFindings(findings)}`);
  });

  it('has unique policy ids', () => {
    const ids = ALL_POLICIES.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
