import { checkName, NameRules, selectorLabels, standardLabels, suggestName } from '../lib';

describe('name rules', () => {
  it.each([
    ['DNS1123_LABEL', 'api-server', true],
    ['DNS1123_LABEL', 'Api', false],
    ['DNS1123_LABEL', '-api', false],
    ['DNS1123_LABEL', 'a'.repeat(64), false],
    ['DNS1035_LABEL', '9web', false],
    ['DNS1035_LABEL', 'web9', true],
    ['STATEFULSET', 'p'.repeat(52), true],
    ['STATEFULSET', 'p'.repeat(53), false],
    ['PORT_NAME', 'http', true],
    ['PORT_NAME', 'metrics-exporter', false],
    ['PORT_NAME', 'a--b', false],
    ['PORT_NAME', '8080', false],
    ['HOSTNAME', 'novahost.shakalabs.com', true],
    ['HOSTNAME', 'localhost', false],
    ['HOSTNAME', 'https://x.example.com', false],
    ['HOSTNAME', '*.example.com', false],
    ['DNS1123_SUBDOMAIN', 'a.b-c', true],
  ] as const)('%s %j valid=%s', (rule, value, valid) => {
    const check = () => checkName('scope', 'field', value, NameRules[rule]);
    if (valid) expect(check()).toBe(value);
    else expect(check).toThrow(/^scope: field .* is not .*Fix: rename it/);
  });

  it('suggests a valid name', () => {
    expect(suggestName('My_App!!')).toBe('my-app');
    expect(checkName('s', 'f', suggestName('9 Lives'), NameRules.DNS1035_LABEL)).toBe('lives');
  });

  it('selector labels are a subset of the standard labels', () => {
    const id = { name: 'novahost', instance: 'novahost', component: 'web' };
    expect(standardLabels(id)).toMatchObject(selectorLabels(id));
    expect(standardLabels(id)['app.kubernetes.io/managed-by']).toBe('cdk8s');
  });
});
