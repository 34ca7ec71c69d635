// The synth runner behind `npm run synth` and `npx cdk8s synth`: loads main.ts, synthesizes, and on
// failure prints every problem in the compiler's form, exit code 1, no stack trace by default.
import * as fs from 'fs';
import * as path from 'path';
import { pathOf, problemLine, sortProblems } from './errors';
import { Platform } from './platform';

/** What a run printed and its exit code; `runSynth` applies them to the process. */
export interface SynthOutcome {
  readonly exitCode: number;
  /** For stderr: the problem lines, then `N errors` (and a stack trace when asked for). */
  readonly report: string;
}

export interface RunOptions {
  /** Show the stack trace of a thrown error. @default - `--stack` in argv or NOVAHOST_DEBUG=1 */
  readonly stack?: boolean;
  /**
   * The folder `cdk8s.yaml` names as `output`, which the cdk8s CLI deletes before it starts the app.
   * When CDK8S_OUTDIR is this folder, the platform writes `outdir` instead (atomically) and then
   * makes the staging folder a symlink to it, for the CLI's list of manifests; the CLI deletes only
   * the link, so a failed synth never costs the real output folder. @default - none
   */
  readonly staging?: string;
  /** The real output folder when CDK8S_OUTDIR is the staging folder. @default 'dist' */
  readonly outdir?: string;
}

/**
 * Loads the installation file (which declares a Platform and exports it as `platform`, or just
 * creates it) and synthesizes it. Everything that goes wrong, a problem reported by a construct, a
 * PlatformError thrown by one, the constructs library's errors or a TypeError, is collected and
 * formatted (core/errors.ts problemLine); nothing is written then.
 */
export function synthEntry(entry: string, options: RunOptions = {}): SynthOutcome {
  const stack = options.stack ?? (process.env.NOVAHOST_DEBUG === '1');
  const before = Platform.latest;
  const file = path.resolve(entry);
  const staging = options.staging;
  const viaStaging = !!staging && !!process.env.CDK8S_OUTDIR && path.resolve(process.env.CDK8S_OUTDIR) === path.resolve(staging);
  if (viaStaging) process.env.CDK8S_OUTDIR = options.outdir ?? 'dist';
  let platform: Platform | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const exported = require(file).platform;
    platform = exported instanceof Platform ? exported : Platform.latest !== before ? Platform.latest : undefined;
    if (!platform) throw new Error(`${path.basename(file)} declares no Platform (new Platform({...}) exported as \`platform\`)`);
    platform.synth();
    // The CLI lists the manifests in its output folder: a link to the real one shows them.
    if (viaStaging) linkStaging(staging!, platform.outdir);
    return { exitCode: 0, report: '' };
  } catch (e) {
    // Problems reported before the throw belong to the same run; the thrown one joins them.
    const declared = platform ?? (Platform.latest !== before ? Platform.latest : undefined);
    const where = declared ? innermostConstruct(declared) ?? path.basename(file) : path.basename(file);
    const lines = sortProblems([...(declared?.registry.problems ?? []), ...problemLine(e, where).split('\n')]);
    const count = `${lines.length} error${lines.length === 1 ? '' : 's'}`;
    const trace = stack && e instanceof Error && e.stack ? `\n${e.stack}` : '';
    const notes = declared?.registry.notes.length ? `\n\n${declared.registry.notes.join('\n\n')}` : '';
    return { exitCode: 1, report: `${lines.join('\n')}\n${count}${notes}${trace}\n` };
  }
}

/** Replaces the staging folder (or link) with a relative symlink to `outdir`. */
function linkStaging(staging: string, outdir: string): void {
  fs.rmSync(staging, { recursive: true, force: true });
  fs.symlinkSync(path.relative(path.dirname(path.resolve(staging)), path.resolve(outdir)), staging);
}

/** `synthEntry` for a process: prints the report to stderr and sets the exit code. */
export function runSynth(entry: string, argv: readonly string[] = process.argv.slice(2)): void {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const outcome = synthEntry(entry, {
    stack: argv.includes('--stack') || process.env.NOVAHOST_DEBUG === '1',
    staging: value('--staging'),
    outdir: value('--outdir'),
  });
  if (outcome.report) process.stderr.write(outcome.report);
  process.exitCode = outcome.exitCode;
}

/**
 * The construct created last, for an error thrown while constructing it (a TypeError from a prop
 * of the wrong shape): the deepest last child of the tree, shown as its app-level path.
 */
function innermostConstruct(platform: Platform): string | undefined {
  let node = platform.node.children.at(-1);
  if (!node) return undefined;
  // Charts hold what their constructs made; the app construct is the chart's last child.
  for (let depth = 0; depth < 2 && node.node.children.length; depth++) node = node.node.children.at(-1)!;
  return pathOf(node);
}
