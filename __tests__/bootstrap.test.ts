import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { manifestFile } from '../lib';

/**
 * The one hand-applied bootstrap step picks objects out of a namespace's file with a label
 * selector. These tests run the documented commands' selection against the real output: it must
 * take exactly the root object(s), nothing more.
 */
const ROOT = path.join(__dirname, '..');

/** `kubectl apply -f <file> -l <selector>` commands in a Markdown file. */
function applyCommands(markdown: string): Array<{ file: string; selector: string }> {
  const text = fs.readFileSync(path.join(ROOT, markdown), 'utf8');
  return [...text.matchAll(/kubectl apply -f (\S+) -l ('[^']+'|\S+?)`/g)].map((m) => ({ file: m[1], selector: m[2].replace(/^'|'$/g, '') }));
}

/** kubectl's label selector: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`. */
function matches(selector: string, labels: Record<string, string> = {}): boolean {
  const requirements = selector.match(/[^,(]+(?:\([^)]*\))?/g) ?? [];
  return requirements.map((r) => r.trim()).every((r) => {
    let m: RegExpMatchArray | null;
    if ((m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(r))) {
      const inSet = m[3].split(',').map((v) => v.trim()).includes(labels[m[1]]);
      return m[2] === 'in' ? inSet : !inSet;
    }
    if ((m = /^([\w./-]+)\s*(==?|!=)\s*([\w.-]*)$/.exec(r))) return m[2] === '!=' ? labels[m[1]] !== m[3] : labels[m[1]] === m[3];
    if ((m = /^(!?)([\w./-]+)$/.exec(r))) return (m[2] in labels) !== (m[1] === '!');
    throw new Error(`unsupported label selector requirement "${r}"`);
  });
}

/** `Kind/name` of the objects a selector takes, as `kubectl apply -l` would. */
function selected(objects: any[], selector: string): string[] {
  return objects.filter((o) => matches(selector, o.metadata?.labels)).map((o) => `${o.kind}/${o.metadata.name}`);
}

describe('bootstrap', () => {
  it('evaluates label selectors as kubectl does', () => {
    const labels = { 'app.kubernetes.io/component': 'root', tier: 'a' };
    expect(matches('app.kubernetes.io/component=root', labels)).toBe(true);
    expect(matches('app.kubernetes.io/component==source', labels)).toBe(false);
    expect(matches('app.kubernetes.io/component in (source,root)', labels)).toBe(true);
    expect(matches('app.kubernetes.io/component in (source, helm)', labels)).toBe(false);
    expect(matches('tier notin (b),tier', labels)).toBe(true);
    expect(matches('!tier', labels)).toBe(false);
    expect(matches('tier!=a', labels)).toBe(false);
    expect(() => matches('tier ~ a', labels)).toThrow('unsupported');
  });

  it('README: the command applies the root Application, and only it', () => {
    // The DigitalOcean and the k3s bootstrap both show it; every such command must be this one.
    const commands = applyCommands('README.md');
    expect(commands.length).toBeGreaterThanOrEqual(1);
    expect([...new Set(commands.map((c) => JSON.stringify(c)))].map((c) => JSON.parse(c))).toEqual([{ file: `dist/${manifestFile('argocd')}`, selector: 'app.kubernetes.io/component=root' }]);
    const objects = parseAllDocuments(fs.readFileSync(path.join(ROOT, commands[0].file), 'utf8')).map((d) => d.toJS());
    expect(selected(objects, commands[0].selector)).toEqual(['Application/root']);
  });

  it('private cloud: the command applies the Flux source and root Kustomization, and only them', () => {
    const commands = applyCommands('docs/private-cloud.md');
    expect(commands).toHaveLength(1);
    const { file, selector } = commands[0];
    expect(file).toBe(`clusters/private-cloud/${manifestFile('flux-system')}`);
    // The example's output, synthesized as the doc says (CDK8S_OUTDIR=clusters/private-cloud).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const example = require('../examples/private-cloud') as typeof import('../examples/private-cloud');
    const objects = example.platform.manifests().get('flux-system') ?? [];
    expect(selected(objects, selector).sort()).toEqual(['GitRepository/platform', 'Kustomization/root']);
  });
});
