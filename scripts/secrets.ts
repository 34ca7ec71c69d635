/**
 * `npm run secrets`: every Secret this installation reads, and how each value comes to be.
 * Nothing secret is printed: generated values are made by the script, on your machine, when it runs.
 */
import { spawnSync } from 'child_process';
import { inventoryTable, kubectlScript, secretInventory, templateJobs } from '../lib';

const HELP = `usage: npm run secrets [-- --create | --kubectl | --markdown | --help]

  (no option)   the inventory as a table: every Secret key the constructs read, how its value
                comes to be (generated, or provided from an environment variable) and who reads it
  --create      creates the missing Secrets with kubectl (current context): runs the script below
                with bash; asks on the terminal for provided values that are not in the environment
  --kubectl     prints that script (bash, idempotent): review it, or pipe it:
                  npm run -s secrets -- --kubectl | bash
                -s keeps npm's banner out of the pipe; prompts read the terminal (/dev/tty), so
                they work through the pipe
  --markdown    the table for the README (between <!-- secrets:begin --> and <!-- secrets:end -->)
  -h, --help    this text`;

/** npm prints its banner (`> pkg@version secrets ...`) to stdout unless run with -s. */
function npmBannerInPipe(): boolean {
  return !!process.env.npm_lifecycle_event && process.env.npm_config_loglevel !== 'silent' && !process.stdout.isTTY;
}

function main(mode: string | undefined): number {
  if (mode === '--help' || mode === '-h') {
    console.log(HELP);
    return 0;
  }
  if (mode !== undefined && !['--create', '--kubectl', '--markdown'].includes(mode)) {
    console.error(`secrets: unknown option ${mode}\n${HELP}`);
    return 2;
  }
  // Loaded here, not at the top, so --help works even when main.ts does not synthesize.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { platform } = require('../main') as typeof import('../main');
  const dist = [...platform.manifests().values()].flat();
  const inventory = secretInventory(platform, [...dist, ...templateJobs(dist)]);
  if (mode === '--create') {
    return spawnSync('bash', ['-c', kubectlScript(inventory)], { stdio: 'inherit' }).status ?? 1;
  }
  if (mode === '--kubectl') {
    if (npmBannerInPipe()) {
      // The banner is already in the pipe; what follows stops bash before it does anything else.
      process.stdout.write('\necho "secrets: npm wrote its banner into this script: run npm run -s secrets -- --kubectl | bash (with -s), or npm run secrets -- --create" >&2; exit 2\n');
      console.error('secrets: npm printed its banner into the pipe; use `npm run -s secrets -- --kubectl | bash` or `npm run secrets -- --create`');
      return 2;
    }
    process.stdout.write(kubectlScript(inventory));
    return 0;
  }
  process.stdout.write(`${inventoryTable(inventory, mode === '--markdown')}\n`);
  return 0;
}

process.exitCode = main(process.argv[2]);
