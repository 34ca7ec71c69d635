import * as path from 'path';
import { ALL_POLICIES, EXCEPTIONS, formatFindings, runPolicies } from '../../lib/policies';
import { loadManifests } from '../../lib/policies/load';
import { fillTemplate, TemplatePlaceholders } from '../../lib/build/inputs';

/**
 * Jobs the build-server creates at run time from template ConfigMaps: filled with each
 * placeholder's documented example, they must follow the same rules as everything in dist/.
 */
function templateJobs(objects: any[]): any[] {
  const examples = Object.fromEntries(Object.entries(TemplatePlaceholders).map(([k, v]) => [k, v.example])) as any;
  return objects
    .filter((o) => o.kind === 'ConfigMap' && typeof o.data?.['job.json'] === 'string')
    .map((o) => JSON.parse(fillTemplate(o.data['job.json'], examples)));
}

/**
 * Every rule over everything Argo CD applies from dist/. Third-party charts' objects are rendered
 * by Argo CD and are not here; their Applications (and the values given to them) are.
 */
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
