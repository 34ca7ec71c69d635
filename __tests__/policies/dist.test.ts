import * as path from 'path';
import { ALL_POLICIES, formatFindings, runPolicies } from '../../lib';
import { POLICY_EXCEPTIONS as EXCEPTIONS } from '../../policy-exceptions';
import { loadManifests } from '../../lib/checks/policies/load';
import { templateJobs } from '../../lib/builds/template-jobs';

describe('policies over dist/', () => {
  const dist = [...loadManifests(path.join(__dirname, '..', '..', 'dist')).values()];
  const objects = [...dist, ...templateJobs(dist)];

  it('reads the synthesized objects and the Jobs their templates create', () => {
    expect(dist.length).toBeGreaterThan(0);
    expect(templateJobs(dist).map((j) => `${j.metadata.namespace}/${j.kind}/${j.metadata.name}`)).toEqual(['builds/Job/build-20261123-1f2e3d']);
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
