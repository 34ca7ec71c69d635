import { spawn } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { PINS } from '../lib';
import { importSpecs, parseChecksums } from '../scripts/import';

/**
 * `npm run import`: cdk8s.yaml names the pinned upstream CRD files; the script reads them from
 * there or from a mirror (a folder or an http server), checks each against imports/crds.sha256
 * and changes imports/ only when every file was read, matched and imported.
 */
const ROOT = path.join(__dirname, '..');
const specs = importSpecs(path.join(ROOT, 'cdk8s.yaml'));

describe("cdk8s.yaml's imports", () => {
  it('name raw upstream files at the tags lib/core/pins.ts pins for their repository', () => {
    const pinned = new Map<string, string>(Object.values(PINS.crds).map((p) => [p.source.replace('https://github.com/', ''), p.version]));
    for (const spec of specs) {
      const m = /^https:\/\/raw\.githubusercontent\.com\/([^/]+\/[^/]+)\/([^/]+)\/.+\.yaml$/.exec(spec.url);
      expect([spec.name, m && pinned.get(m[1])]).toEqual([spec.name, m?.[2]]);
    }
    expect(specs.length).toBeGreaterThan(10);
  });

  it('each have a recorded checksum, and imports/ holds exactly the classes of those imports', () => {
    const sums = parseChecksums(fs.readFileSync(path.join(ROOT, 'imports', 'crds.sha256'), 'utf8'));
    expect([...sums.keys()].sort()).toEqual(specs.map((s) => s.name).sort());
    const generated = fs.readdirSync(path.join(ROOT, 'imports')).filter((f) => f.endsWith('.ts'));
    expect(generated.map((f) => specs.find((s) => f.startsWith(`${s.name}-`))?.name).sort()).toEqual(specs.map((s) => s.name).sort());
  });
});

const crd = (kind: string, group = 'example.com') => `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ${kind.toLowerCase()}s.${group}
spec:
  group: ${group}
  names: { kind: ${kind}, plural: ${kind.toLowerCase()}s, singular: ${kind.toLowerCase()}, listKind: ${kind}List }
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec: { type: object, properties: { size: { type: integer } } }
`;

function npmImport(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', './scripts/swc-register.js', 'scripts/import.ts', ...args], { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('npm run import', () => {
  let dir: string;
  let config: string;
  let mirror: string;
  let out: string;
  const listing = () => fs.readdirSync(out).sort().map((f) => `${f} ${crypto.createHash('sha256').update(fs.readFileSync(path.join(out, f), 'utf8')).digest('hex')}`);

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'import-test-'));
    config = path.join(dir, 'cdk8s.yaml');
    mirror = path.join(dir, 'mirror');
    out = path.join(dir, 'imports');
    fs.mkdirSync(mirror);
    fs.writeFileSync(config, [
      'language: typescript',
      'imports:',
      '  - widget:=https://raw.githubusercontent.com/example/widgets/v1.0.0/crds/widget.yaml',
      '  - gadget:=https://raw.githubusercontent.com/example/widgets/v1.0.0/crds/gadget.yaml',
      '',
    ].join('\n'));
    fs.writeFileSync(path.join(mirror, 'widget.yaml'), crd('Widget'));
    fs.writeFileSync(path.join(mirror, 'gadget.yaml'), crd('Gadget'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('imports from a mirror folder, records the checksums, then checks them; cdk8s.yaml stays as it was', async () => {
    const configBefore = fs.readFileSync(config, 'utf8');
    const first = await npmImport('--config', config, '--mirror', mirror, '--record');
    expect([first.status, first.stderr]).toEqual([0, '']);
    expect(first.stdout).toContain('import: 2 files');
    expect(fs.readFileSync(path.join(out, 'widget-example.com.ts'), 'utf8')).toContain('export class Widget extends ApiObject');
    expect(fs.readFileSync(path.join(out, 'gadget-example.com.ts'), 'utf8')).toContain('export class Gadget extends ApiObject');
    expect(parseChecksums(fs.readFileSync(path.join(out, 'crds.sha256'), 'utf8')).get('widget'))
      .toBe(crypto.createHash('sha256').update(crd('Widget')).digest('hex'));
    expect(fs.readFileSync(config, 'utf8')).toBe(configBefore);

    const again = await npmImport('--config', config, '--mirror', mirror);
    expect([again.status, again.stderr]).toEqual([0, '']);
  }, 60_000);

  it('refuses a mirror file of another version, and a missing one, naming each, and changes nothing', async () => {
    expect((await npmImport('--config', config, '--mirror', mirror, '--record')).status).toBe(0);
    const before = listing();
    fs.writeFileSync(path.join(mirror, 'widget.yaml'), crd('Widget').replace('integer', 'string'));
    fs.rmSync(path.join(mirror, 'gadget.yaml'));
    const r = await npmImport('--config', config, '--mirror', mirror);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`import: gadget: cannot read ${path.join(mirror, 'gadget.yaml')}`);
    expect(r.stderr).toContain('put the file of https://raw.githubusercontent.com/example/widgets/v1.0.0/crds/gadget.yaml at that place');
    expect(r.stderr).toMatch(/widget: .*widget\.yaml has SHA-256 [0-9a-f]{64}, not the recorded [0-9a-f]{64}/);
    expect(r.stderr).toContain('Nothing changed.');
    expect(listing()).toEqual(before);
  }, 60_000);

  it('reads an http(s) mirror (the same path the upstream URLs take) and gets the same classes', async () => {
    expect((await npmImport('--config', config, '--mirror', mirror, '--record')).status).toBe(0);
    const fromFolder = listing();
    // The classes go; the checksums recorded from the folder stay, and the server must match them.
    for (const f of fs.readdirSync(out).filter((f) => f.endsWith('.ts'))) fs.rmSync(path.join(out, f));
    const requests: string[] = [];
    const server = http.createServer((req, res) => {
      requests.push(req.url!);
      const file = path.join(mirror, path.basename(req.url!));
      if (!fs.existsSync(file)) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/yaml' }).end(fs.readFileSync(file));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/crds/`;
      const r = await npmImport('--config', config, '--mirror', base);
      expect([r.status, r.stderr]).toEqual([0, '']);
      expect(requests.sort()).toEqual(['/crds/gadget.yaml', '/crds/widget.yaml']);
      expect(listing()).toEqual(fromFolder);
      fs.rmSync(path.join(mirror, 'gadget.yaml'));
      const missing = await npmImport('--config', config, '--mirror', base);
      expect(missing.stderr).toContain(`gadget: cannot read ${base}gadget.yaml: HTTP 404`);
    } finally {
      server.close();
    }
  }, 60_000);

  it('answers --help without reading anything', async () => {
    const r = await npmImport('--help');
    expect([r.status, r.stdout.split('\n')[0]]).toEqual([0, 'usage: npm run import [-- --mirror <folder|url>] [--record] [--config <cdk8s.yaml>] [--output <folder>]']);
  });
});
