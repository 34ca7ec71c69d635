/**
 * `npm run plan [-- --ref origin/main] [--allow-destructive] [--allow <ns>/<Kind>/<name>] [--after <dir>]`
 *
 * Synthesizes main.ts into a temporary folder (or reads --after <dir>), compares it with dist/ at a
 * Git ref (default HEAD), prints the plan per namespace and exits 1 when a change is destructive
 * and not allowed, 2 on a usage or synth error, 0 otherwise.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { formatPlan, loadManifests, Manifests, parseManifest, plan } from '../lib';

interface Args {
  ref: string;
  dist: string;
  after?: string;
  allowDestructive: boolean;
  allow: string[];
  typecheck: boolean;
}

const USAGE = 'usage: plan [--ref <git ref>] [--allow-destructive] [--allow <namespace>/<Kind>/<name>]... [--after <dir>] [--dist <path in repo>] [--no-typecheck]';

const HELP = `${USAGE}

What a change does to the cluster: synthesizes main.ts into a temporary folder, compares it with
dist/ at a Git ref, prints what is added, changed (old and new value of every field) and removed
per namespace, and stops destructive changes (a PVC, StatefulSet or Namespace deleted or renamed,
an immutable field changed). Argo CD hook Jobs with BeforeHookCreation and Jobs Flux force-replaces
are recreated by the engine and are not destructive.

  --ref <git ref>        compare with dist/ at this ref (default HEAD; CI uses origin/main)
  --allow <ns>/<Kind>/<name>
                         a reviewed destructive change of this object passes; repeatable. Names
                         match exactly and case-sensitively (shared/PersistentVolumeClaim/data-postgres-0),
                         and an --allow that matches no destructive change is an error
  --allow-destructive    every destructive change passes (still printed)
  --after <dir>          compare a synthesized folder instead of a fresh synth of main.ts
  --dist <path>          the output folder in the repository (default dist)
  --no-typecheck         skip the type check (it is skipped anyway with --after)
  -h, --help             this text

Before it synthesizes, it type-checks the project (incremental tsc; --no-typecheck skips it).
Exit: 0 nothing blocks, 1 a destructive change is not allowed, 2 a usage, type or synth error, or
an --allow that matches nothing.`;

class UsageError extends Error {}
class Help extends Error {}

function parseArgs(argv: string[]): Args {
  const args: Args = { ref: 'HEAD', dist: 'dist', allowDestructive: false, allow: [], typecheck: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === '--ref') args.ref = value();
    else if (a === '--dist') args.dist = value().replace(/\/+$/, '');
    else if (a === '--after') args.after = value();
    else if (a === '--allow') {
      const v = value();
      if (!/^[^/]+\/[^/]+\/[^/]+$/.test(v)) throw new UsageError(`--allow ${v}: expected <namespace>/<Kind>/<name>, e.g. shared/PersistentVolumeClaim/data-postgres-0`);
      args.allow.push(v);
    } else if (a === '--allow-destructive') args.allowDestructive = true;
    else if (a === '--no-typecheck') args.typecheck = false;
    else if (a === '--help' || a === '-h') throw new Help();
    else throw new UsageError(`unknown argument ${a}`);
  }
  return args;
}

/** dist/ at a Git ref, read with one `git cat-file --batch` (one process, however many files). */
function manifestsAtRef(cwd: string, ref: string, dist: string): Map<string, any> {
  const commit = spawnSync('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd, encoding: 'utf8' });
  if (commit.status !== 0) throw new UsageError(`git ref ${JSON.stringify(ref)} does not exist here`);
  const sha = commit.stdout.trim();
  const files = execFileSync('git', ['ls-tree', '-r', '--name-only', sha, '--', `${dist}/`], { cwd, encoding: 'utf8', maxBuffer: 1 << 28 })
    .split('\n').filter((f) => /\.ya?ml$/.test(f));
  const out = new Map<string, any>();
  if (!files.length) return out;
  const batch = execFileSync('git', ['cat-file', '--batch'], { cwd, input: files.map((f) => `${sha}:${f}`).join('\n') + '\n', maxBuffer: 1 << 30 });
  let pos = 0;
  for (const file of files) {
    const nl = batch.indexOf(0x0a, pos);
    const [, type, size] = batch.subarray(pos, nl).toString('utf8').split(' ');
    if (type !== 'blob') throw new Error(`git cat-file: ${file} at ${ref} is a ${type}`);
    const text = batch.subarray(nl + 1, nl + 1 + Number(size)).toString('utf8');
    pos = nl + 1 + Number(size) + 1;
    parseManifest(file.slice(dist.length + 1), text).forEach((o, k) => out.set(k, o));
  }
  return out;
}

/**
 * `tsc --noEmit --incremental` over the project (its tsconfig.json), so a type error never reaches
 * dist/ on the synth -> plan -> commit loop: synthesis only strips types. The build info lives in
 * node_modules/.cache/tsc, so a second run after a small change takes a fraction of a full check.
 */
function typecheck(cwd: string): void {
  const tsc = require.resolve('typescript/lib/tsc.js', { paths: [cwd, __dirname] });
  const key = crypto.createHash('sha256').update(path.resolve(cwd)).digest('hex').slice(0, 12);
  const info = path.join(cwd, 'node_modules', '.cache', 'tsc', `plan-${key}.tsbuildinfo`);
  const r = spawnSync(process.execPath, [tsc, '--noEmit', '--incremental', '--tsBuildInfoFile', info, '-p', cwd], { cwd, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  if (r.status !== 0) throw new UsageError(`type errors (fix them, or --no-typecheck to plan anyway):\n${(r.stdout + r.stderr).trimEnd()}`);
}

/** A fresh synth of main.ts into a temporary folder, the way `npm run synth` runs it. */
function synthesize(cwd: string): { manifests: Manifests; cleanup: () => void } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'novahost-plan-'));
  const cleanup = (): void => fs.rmSync(outdir, { recursive: true, force: true });
  const r = spawnSync(process.execPath, ['-r', './scripts/swc-register.js', 'main.ts'], {
    cwd,
    env: { ...process.env, CDK8S_OUTDIR: outdir, CDK8S_CHECK_UPGRADE: 'false', NODE_OPTIONS: '' },
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    cleanup();
    throw new Error(`synth of main.ts failed (exit ${r.status}):\n${r.stderr || r.stdout}`);
  }
  return { manifests: loadManifests(outdir), cleanup };
}

export function main(argv: string[], cwd = process.cwd()): number {
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (e instanceof Help) {
      console.log(HELP);
      return 0;
    }
    console.error(`plan: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  let cleanup = (): void => undefined;
  try {
    const before = manifestsAtRef(cwd, args.ref, args.dist);
    let after: Manifests;
    if (args.after) {
      after = loadManifests(path.resolve(cwd, args.after));
    } else {
      if (args.typecheck) typecheck(cwd);
      const s = synthesize(cwd);
      after = s.manifests;
      cleanup = s.cleanup;
    }
    const result = plan(before, after, { allowDestructive: args.allowDestructive, allow: args.allow });
    console.log(`Plan: ${args.after ?? 'main.ts'} against ${args.dist}/ at ${args.ref}\n`);
    console.log(formatPlan(result));
    if (result.unmatchedAllows.length) {
      console.error(`plan: ${result.unmatchedAllows.length} --allow argument(s) match no destructive change (see "Unmatched" above); remove or correct them`);
      return 2;
    }
    return result.blocked ? 1 : 0;
  } catch (e) {
    console.error(`plan: ${e instanceof UsageError ? e.message : (e as Error).stack ?? e}`);
    return 2;
  } finally {
    cleanup();
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
