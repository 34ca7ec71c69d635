import * as path from 'path';
import { helmCharts, helmValuesProblems, readManifests } from './support/schemas';

const DIST = path.join(__dirname, '..', 'dist');

/** The Argo CD Applications in dist/argocd/ that install a Helm chart. */
const helmApps = readManifests(path.join(DIST, 'argocd'))
  .filter(({ object }) => object?.kind === 'Application' && object.spec?.source?.chart)
  .map(({ file, object }) => ({ file: `dist/argocd/${file}`, name: object.metadata.name as string, source: object.spec.source }));

/** An exact SemVer release, with the optional leading `v` some charts publish (cert-manager). */
const EXACT_VERSION = /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

function expectNoProblems(where: string, problems: string[]): void {
  if (problems.length) throw new Error(`${where}:\n  ${problems.join('\n  ')}`);
}

describe('Helm releases in dist/argocd/', () => {
  it('exist', () => {
    expect(helmApps.map((a) => a.source.chart)).toEqual(expect.arrayContaining(['argo-cd', 'cert-manager', 'traefik']));
  });

  describe.each(helmApps)('$file', ({ file, source }) => {
    it('pins an exact chart version that its values are checked against', () => {
      expect(source.targetRevision).toMatch(EXACT_VERSION);
      const reference = helmCharts[source.chart];
      expect(reference).toBeDefined();
      if (reference.version !== source.targetRevision) {
        throw new Error(`${file}: pins ${source.chart} ${source.targetRevision}, but __tests__/schemas/helm holds the values of ${reference.version}; `
          + 'update the chart files (scripts/extract-schemas.ts) together with the version');
      }
    });

    it('passes values the chart knows', () => {
      expect(source.helm?.valuesObject).toBeDefined();
      expectNoProblems(`${file} (chart ${source.chart} ${source.targetRevision})`, helmValuesProblems(source.chart, source.helm.valuesObject));
    });
  });
});

describe('helmValuesProblems', () => {
  it('validates charts with a values.schema.json against it, merged with the defaults as Helm does', () => {
    expect(helmValuesProblems('cert-manager', { crds: { enabled: true }, replicaCount: 1 })).toEqual([]);
    expect(helmValuesProblems('cert-manager', { crds: { enabeld: true } })).toEqual(['/crds: unknown field "enabeld"']);
    expect(helmValuesProblems('cert-manager', { replicaCount: 'one' })).toContain('/replicaCount: must be of type number');
    expect(helmValuesProblems('traefik', { deployment: { replicass: 1 } })).toEqual(['/deployment: unknown field "replicass"']);
  });

  it('finds misspelt keys even where the chart schema leaves objects open (loki, external-secrets)', () => {
    expect(helmValuesProblems('loki', { deploymentMode: 'SingleBinary', singleBinary: { replicas: 1 }, loki: { commonConfig: { replication_factor: 1 } } })).toEqual([]);
    expect(helmValuesProblems('loki', { singleBinry: { replicas: 1 }, singleBinary: { replica: 1 } }).sort()).toEqual([
      '(values): unknown field "singleBinry"',
      '/singleBinary: unknown field "replica"',
    ]);
    expect(helmValuesProblems('external-secrets', { installCRDs: true, webhook: { replicaCount: 1 } })).toEqual([]);
    expect(helmValuesProblems('external-secrets', { installCRD: true })).toEqual(['(values): unknown field "installCRD"']);
  });

  it('keeps the schema\'s own free-form maps open', () => {
    expect(helmValuesProblems('traefik', { service: { spec: { type: 'NodePort' }, annotations: { 'example.com/any': 'x' } } })).toEqual([]);
    expect(helmValuesProblems('traefik', { service: { type: 'NodePort' } })).toEqual(['/service: unknown field "type"']);
  });

  it('checks key paths of charts without a schema against their values.yaml', () => {
    expect(helmValuesProblems('argo-cd', { dex: { enabled: false }, server: { resources: { requests: { cpu: '10m' } } } })).toEqual([]);
    const problems = helmValuesProblems('argo-cd', { dex: { enabeld: false } });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^dex\.enabeld: unknown key \(no such value in chart argo-cd 10\.1\.1 values\.yaml; dex has .*\benabled\b/);
  });

  it('allows keys under empty maps and documented free-form maps, and nothing deeper than a scalar', () => {
    expect(helmValuesProblems('argo-cd', {
      global: { podAnnotations: { 'example.com/any': 'x' } },
      configs: { cm: { 'resource.customizations.anything': 'x' }, params: { 'server.insecure': true } },
    })).toEqual([]);
    expect(helmValuesProblems('argo-cd', { dex: { enabled: { really: true } } })).toEqual([
      "dex.enabled: is a boolean in chart argo-cd's values.yaml, not a map (we set dex.enabled.really)",
    ]);
  });

  it('fails on a chart it has no reference for', () => {
    expect(helmValuesProblems('unknown-chart', {})).toEqual([
      'no values reference for chart unknown-chart: add it to CHARTS in scripts/extract-schemas.ts and run it',
    ]);
  });

  it.each(Object.keys(helmCharts))('loads the reference of %s', (chart) => {
    // The chart's own defaults must pass its own checks: proves the schema compiles and the merge is right.
    expect(helmValuesProblems(chart, {})).toEqual([]);
  });
});
