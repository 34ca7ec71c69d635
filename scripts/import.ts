/**
 * `npm run import [-- --mirror <folder|url>] [--record]`
 *
 * Regenerates imports/ (the CRD classes) from the CRDs that cdk8s.yaml's `imports:` names by their
 * pinned upstream URLs. Every file is read first (from its URL, or with --mirror from
 * `<mirror>/<name>.yaml`) and checked against the SHA-256 recorded in imports/crds.sha256, so a
 * mirror that holds another version fails before anything changes; then each is imported into a
 * scratch folder, and only when all succeeded are the generated files moved into imports/.
 * `npx cdk8s import` (no arguments) fetches the same URLs without the checks.
 */
import { spawn } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';

const HELP = `usage: npm run import [-- --mirror <folder|url>] [--record] [--config <cdk8s.yaml>] [--output <folder>]

Regenerates the CRD classes in imports/ from the CRDs cdk8s.yaml's imports: names (NAME:=URL, the
pinned upstream files). Each file's SHA-256 must match imports/crds.sha256; nothing changes unless
every file was read, matched and imported.
  --mirror <folder|url>  read <mirror>/<NAME>.yaml instead of the upstream URL (a folder, such as
                         ../shared/crds on a machine without internet, or an http(s) mirror)
  --record               after a pin bump: record the checksums of the files read instead of
                         checking them
  --config <file>        the cdk8s.yaml to read (default: the repository's)
  --output <folder>      where the classes go (default: imports/ beside the config)
  -h, --help             this text`;

export interface ImportSpec {
  readonly name: string;
  readonly url: string;
}

/** The `NAME:=URL` entries of a cdk8s.yaml's `imports:`. */
export function importSpecs(config: string): ImportSpec[] {
  const doc = parse(fs.readFileSync(config, 'utf8')) as { imports?: unknown };
  if (!Array.isArray(doc?.imports)) throw new Error(`${config} has no imports: list`);
  return doc.imports.map((entry) => {
    const m = typeof entry === 'string' ? /^([a-z0-9][a-z0-9-]*):=(https:\/\/\S+\.ya?ml)$/.exec(entry) : null;
    if (!m) throw new Error(`${config}: imports entry ${JSON.stringify(entry)} is not NAME:=https://.../file.yaml`);
    return { name: m[1], url: m[2] };
  });
}

/** `<hash>  <name>.yaml` lines, as sha256sum prints them. */
export function parseChecksums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of text.split('\n').filter((l) => l.trim() && !l.startsWith('#'))) {
    const m = /^([0-9a-f]{64}) {2}([a-z0-9-]+)\.yaml$/.exec(line);
    if (!m) throw new Error(`crds.sha256: line ${JSON.stringify(line)} is not "<sha256>  <name>.yaml"`);
    sums.set(m[2], m[1]);
  }
  return sums;
}

/** Where a spec is read from: its URL, or the mirror's file of its name. */
export function sourceOf(spec: ImportSpec, mirror?: string): string {
  if (!mirror) return spec.url;
  return /^https?:\/\//.test(mirror) ? `${mirror.replace(/\/+$/, '')}/${spec.name}.yaml` : path.resolve(mirror, `${spec.name}.yaml`);
}

/** The file's text (CRDs are UTF-8 YAML; hashed and written back as the same bytes). */
async function read(source: string): Promise<string> {
  if (!/^https?:\/\//.test(source)) return fs.readFileSync(source, 'utf8');
  const response = await fetch(source);
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.text();
}

function run(command: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, NODE_OPTIONS: '', CDK8S_CHECK_UPGRADE: 'false' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(output) : reject(new Error(output.trim() || `exit ${code}`))));
  });
}

export interface ImportOptions {
  readonly config: string;
  readonly output: string;
  readonly mirror?: string;
  readonly record?: boolean;
}

/** Reads, checks and imports every spec; returns the generated file names. Throws listing every problem. */
export async function importAll(o: ImportOptions): Promise<string[]> {
  const specs = importSpecs(o.config);
  const sumsFile = path.join(o.output, 'crds.sha256');
  const recorded = !o.record && fs.existsSync(sumsFile) ? parseChecksums(fs.readFileSync(sumsFile, 'utf8')) : new Map<string, string>();
  const problems: string[] = [];
  const read_ = await Promise.all(specs.map(async (spec) => {
    const source = sourceOf(spec, o.mirror);
    try {
      const data = await read(source);
      const sum = crypto.createHash('sha256').update(data).digest('hex');
      if (!o.record && recorded.get(spec.name) !== sum) {
        problems.push(recorded.has(spec.name)
          ? `${spec.name}: ${source} has SHA-256 ${sum}, not the recorded ${recorded.get(spec.name)} (another version than ${spec.url}). Fix: use a mirror of that file, or after a pin bump run with --record`
          : `${spec.name}: no checksum in ${sumsFile}. Fix: run with --record once the file is the pinned one`);
      }
      return { spec, data, sum };
    } catch (e) {
      problems.push(`${spec.name}: cannot read ${source}: ${(e as Error).message}. Fix: ${o.mirror ? `put the file of ${spec.url} at that place` : 'check the network, or pass --mirror <folder> with the files'}`);
      return undefined;
    }
  }));
  if (problems.length) throw new Error(problems.sort().join('\n'));

  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'novahost-import-'));
  try {
    const cli = path.join(__dirname, '..', 'node_modules', '.bin', 'cdk8s');
    // The CLI records each spec in the cdk8s.yaml of the folder it runs in: a scratch one (outside
    // the repository, where .npmrc's preload cannot be found, hence NODE_OPTIONS '' in run()).
    fs.writeFileSync(path.join(scratch, 'cdk8s.yaml'), 'language: typescript\n');
    const out = path.join(scratch, 'imports');
    // Two at a time: each import is one CPU-bound CLI process.
    const queue = read_.map((r) => r!);
    const worker = async () => {
      for (let r = queue.shift(); r; r = queue.shift()) {
        const file = path.join(scratch, `${r.spec.name}.yaml`);
        fs.writeFileSync(file, r.data);
        try {
          await run(cli, ['import', `${r.spec.name}:=${file}`, '--no-check-upgrade', '--language', 'typescript', '--output', out], scratch);
        } catch (e) {
          problems.push(`${r.spec.name}: cdk8s import failed: ${(e as Error).message}`);
        }
      }
    };
    await Promise.all([worker(), worker()]);
    if (problems.length) throw new Error(problems.sort().join('\n'));
    const generated = fs.readdirSync(out).filter((f) => f.endsWith('.ts')).sort();
    fs.mkdirSync(o.output, { recursive: true });
    for (const f of generated) fs.copyFileSync(path.join(out, f), path.join(o.output, f));
    // Classes of CRDs that cdk8s.yaml no longer names go (imports/ holds generated files only).
    for (const f of fs.readdirSync(o.output).filter((f) => f.endsWith('.ts') && !generated.includes(f))) fs.rmSync(path.join(o.output, f));
    const sums = read_.map((r) => `${r!.sum}  ${r!.spec.name}.yaml`).sort((a, b) => a.slice(66).localeCompare(b.slice(66)));
    fs.writeFileSync(sumsFile, `# SHA-256 of the CRD files cdk8s.yaml imports (npm run import checks them; --record rewrites)\n${sums.join('\n')}\n`);
    return generated;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (!value || value.startsWith('--')) throw new Error(`${name} needs a value`);
  args.splice(i, 2);
  return value;
}

async function main(argv: string[]): Promise<number> {
  const args = [...argv];
  if (args.includes('--help') || args.includes('-h')) {
    console.log(HELP);
    return 0;
  }
  try {
    const root = path.join(__dirname, '..');
    const config = path.resolve(option(args, '--config') ?? path.join(root, 'cdk8s.yaml'));
    const output = path.resolve(option(args, '--output') ?? path.join(path.dirname(config), 'imports'));
    const mirror = option(args, '--mirror');
    const record = args.includes('--record');
    const unknown = args.filter((a) => a !== '--record');
    if (unknown.length) throw new Error(`unknown argument ${unknown.join(' ')}\n${HELP}`);
    const files = await importAll({ config, output, mirror, record });
    console.log(`import: ${files.length} files in ${path.relative(process.cwd(), output) || '.'}/ from ${mirror ?? 'the upstream URLs'}${record ? ' (checksums recorded)' : ''}`);
    return 0;
  } catch (e) {
    console.error(`import: ${(e as Error).message}\nNothing changed.`);
    return 1;
  }
}

if (require.main === module) main(process.argv.slice(2)).then((code) => (process.exitCode = code));
