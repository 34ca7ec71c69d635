import * as fs from 'fs';
import * as path from 'path';
import { parse, parseAllDocuments } from 'yaml';
import { toYaml, toYamlStream } from '../lib/core/yaml';

const TRICKY = [
  '', ' ', 'a', 'yes', 'No', 'on', 'OFF', 'y', 'n', 'null', '~', 'true', 'False', '<<', '=',
  '0', '007', '0755', '1_000', '1e3', '1.5', '.5', '-1', '+1', '0x1F', '0o17', '0b101', '1:30', '.inf', '-.Inf', '.NaN',
  '2026-11-23', '2026-11-23T20:00:00Z', '128Mi', '15s', '10m', 'v1.28', '3000', 'sha256:abc',
  'a: b', 'a #b', 'a:', 'key:value', '- x', '-x', ': x', '? x', '[x]', '{x}', '!x', '&x', '*x', '|x', '>x', '%x', '@x', '`x`', "'x'", '"x"', '#x',
  'trailing ', ' leading', 'tab\there', 'multi\nline', 'multi\nline\n', 'multi\nline\n\n', '\nstarts with newline', '  indented\nblock\n',
  'line with trailing space \nnext', 'crlf\r\nline', 'unicode é ✓', 'emoji 🚀', 'nul\u0000byte', 'bell\u0007', 'ls\u2028sep',
  '$(PGPASSWORD)', 'postgresql://$(PGUSER):$(PGPASSWORD)@host:5432/db', 'novahost-api-server-strip-api@kubernetescrd', '0.0.0.0/0',
  'https://example.com/path?q=1#frag', 'C:\\path', 'a\\b', 'quote " inside', "apostrophe ' inside",
];

function roundTrip(value: unknown): void {
  const text = toYaml(value as object);
  for (const version of ['1.1', '1.2'] as const) {
    expect([version, parse(text, { version })]).toEqual([version, value]);
  }
}

describe('toYaml', () => {
  it.each(TRICKY)('writes the string %j so that YAML 1.1 and 1.2 read it back unchanged', (s) => {
    roundTrip({ value: s, list: [s], [s || 'empty']: s });
  });

  it('writes numbers, booleans, null, empty and nested collections', () => {
    roundTrip({ a: 1, b: -2.5, c: true, d: false, e: null, f: {}, g: [], h: [[1, [2]], { x: [] }], i: [{ j: { k: [{ l: 1 }] } }] });
  });

  it('puts apiVersion, kind and metadata first and sorts the rest', () => {
    expect(toYaml({ spec: { b: 1, a: 2 }, metadata: { name: 'x' }, kind: 'K', apiVersion: 'v1', data: {} }))
      .toBe('apiVersion: v1\nkind: K\nmetadata:\n  name: x\ndata: {}\nspec:\n  a: 2\n  b: 1\n');
  });

  it('writes multi-line text as a literal block', () => {
    expect(toYaml({ script: 'set -e\necho hi\n' })).toBe('script: |\n  set -e\n  echo hi\n');
    expect(toYaml({ script: 'no newline\nat end' })).toBe('script: |-\n  no newline\n  at end\n');
  });

  it('refuses what Kubernetes YAML cannot hold', () => {
    expect(() => toYaml({ n: Number.NaN })).toThrow('cannot write the number NaN');
    expect(() => toYaml({ f: () => 1 } as any)).toThrow('cannot write a value of type function');
  });

  it('writes a stream whose documents no string can split or end', () => {
    const objects = [{ a: '---' }, { b: '---\n...\n--- x\n' }, { '---': ['...'] }, {}];
    const text = toYamlStream(objects);
    for (const version of ['1.1', '1.2'] as const) {
      const docs = parseAllDocuments(text, { version });
      expect(docs.flatMap((d) => d.errors)).toEqual([]);
      expect(docs.map((d) => d.toJS())).toEqual(objects);
    }
  });

  it('reads every file of dist/ back to the same text', () => {
    const files: string[] = [];
    const walk = (dir: string) => fs.readdirSync(dir, { withFileTypes: true }).forEach((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : files.push(path.join(dir, e.name))));
    walk(path.join(__dirname, '..', 'dist'));
    expect(files.length).toBeGreaterThan(3);
    for (const file of files) {
      const text = fs.readFileSync(file, 'utf8');
      const docs = parseAllDocuments(text, { version: '1.1' }).map((d) => d.toJS());
      expect(docs.length).toBeGreaterThan(1);
      expect([file, toYamlStream(docs)]).toEqual([file, text]);
    }
  });
});
