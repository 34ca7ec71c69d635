// lib/core/pins.ts is the only place in lib/ that names a version: every other file reads from it.
import * as fs from 'fs';
import * as path from 'path';
import { imageRef, minorOf, PINS } from '../lib/core/pins';

const LIB = path.join(__dirname, '..', 'lib');
const PINS_FILE = path.join('core', 'pins.ts');

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/**
 * The versions lib/ uses. The CRD sources' versions are left out: no code reads them (they say
 * where ../shared/crds came from), and short ones such as v1.2.0 are also ordinary examples.
 */
function pinnedVersions(): string[] {
  return [
    ...Object.values(PINS.images).map((p) => p.tag),
    ...Object.values(PINS.charts).map((p) => p.version),
    ...Object.values(PINS.releases).map((p) => p.version),
  ];
}

/** Image references with a tag (`repo:1.2`, `host/org/repo:v1.2.3-alpine`) in a text. */
const IMAGE_WITH_TAG = /(?<![\w.:/@-])((?:[a-z0-9][a-z0-9.-]*(?::\d+)?\/)*[a-z0-9][a-z0-9._-]*):(v?\d+\.\d+[\w.+-]*)/g;
/** Chart-style exact versions given as a property. */
const VERSION_PROPERTY = /\bversion: ['"`]v?\d+\.\d+\.\d+/g;
/** Documentation examples of what a user writes (error messages, TSDoc), not pins. */
const EXAMPLE_REPOSITORY = /^(ghcr\.io\/owner\/|[a-z0-9.-]*example\.com\/)/;

/** `file:line: text` for each version-like string in a file's text. */
function findings(file: string, text: string, versions: readonly string[]): string[] {
  const out: string[] = [];
  text.split('\n').forEach((line, i) => {
    const where = `${file}:${i + 1}`;
    for (const m of line.matchAll(IMAGE_WITH_TAG)) {
      if (!EXAMPLE_REPOSITORY.test(m[1])) out.push(`${where}: image ${m[0]}`);
    }
    for (const m of line.matchAll(VERSION_PROPERTY)) out.push(`${where}: ${m[0]}`);
    for (const v of versions) {
      const escaped = v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      if (new RegExp(`(?<![\\w.])${escaped}(?![\\w.])`).test(line)) out.push(`${where}: pinned version ${v}`);
    }
  });
  return out;
}

describe('pins', () => {
  it('are the only versions named in lib/ (every other file reads lib/core/pins.ts)', () => {
    const versions = pinnedVersions();
    const found = tsFiles(LIB)
      .filter((f) => path.relative(LIB, f) !== PINS_FILE)
      .flatMap((f) => findings(path.relative(LIB, f), fs.readFileSync(f, 'utf8'), versions));
    expect(found).toEqual([]);
  });

  it('finds image tags, chart versions and pinned versions outside the pins file', () => {
    const text = [
      "const a = 'quay.io/org/thing:v1.2.3-alpine';",
      "const b = { chart: 'x', version: '0.0.1' };",
      `// runs ${PINS.releases.k3s.version} on the node`,
      "fix: 'e.g. \"ghcr.io/owner/app:1.4.2\"', url: 'redis://127.0.0.1:6379', cidr: '10.0.0.0/8'",
    ].join('\n');
    expect(findings('x.ts', text, pinnedVersions())).toEqual([
      'x.ts:1: image quay.io/org/thing:v1.2.3-alpine',
      "x.ts:2: version: '0.0.1",
      `x.ts:3: pinned version ${PINS.releases.k3s.version}`,
    ]);
  });

  it('pin every image to a tag, and a digest (if any) to sha256', () => {
    for (const [key, pin] of Object.entries(PINS.images)) {
      expect([key, pin.tag]).not.toEqual([key, 'latest']);
      expect([key, imageRef(pin)]).toEqual([key, expect.stringMatching(/^[a-z0-9./_-]+:[\w.+-]+(@sha256:[0-9a-f]{64})?$/)]);
    }
  });

  it('name a licence and an upstream source for every entry (the README table shows them)', () => {
    const all = [...Object.values(PINS.images), ...Object.values(PINS.charts), ...Object.values(PINS.releases), ...Object.values(PINS.crds)];
    for (const pin of all) {
      expect(pin.licence).toMatch(/^[A-Za-z0-9.+-]+( (AND|OR) [A-Za-z0-9.+-]+)*$/);
      expect(pin.source).toMatch(/^https:\/\/github\.com\/[\w.-]+\/[\w.-]+$/);
    }
  });

  it('derive a release line from a version', () => {
    expect(minorOf('v2.9.4')).toBe('v2.9');
    expect(() => minorOf('v2')).toThrow(/not a vX.Y.Z version/);
  });
});
