/**
 * Generated blocks of README.md: text between a begin and an end marker comment that a script
 * writes from the constructs, and a test keeps fresh.
 */
import * as fs from 'fs';
import * as path from 'path';

export const README = path.join(__dirname, '..', 'README.md');

/** `readme` with `body` between the markers; throws when the markers are missing. */
export function withBlock(readme: string, begin: string, end: string, body: string): string {
  const b = readme.indexOf(begin);
  const e = readme.indexOf(end);
  if (b < 0 || e < b) throw new Error(`README.md has no "${begin}" ... "${end}" markers`);
  return `${readme.slice(0, b + begin.length)}\n${body}\n${readme.slice(e)}`;
}

/** Writes the block, or with `--check` exits 1 when it is stale. */
export function writeOrCheck(name: string, update: (readme: string) => string): void {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(`usage: npm run ${name} [-- --check]\n\nWrites the README's generated ${name} block (between its marker comments); with --check it\nonly reports, exit 1, whether the block is stale.`);
    return;
  }
  const current = fs.readFileSync(README, 'utf8');
  const next = update(current);
  if (process.argv.includes('--check')) {
    if (next !== current) {
      process.stderr.write(`${name}: the README block is stale; run npm run ${name}\n`);
      process.exit(1);
    }
  } else if (next !== current) {
    fs.writeFileSync(README, next);
  }
}
