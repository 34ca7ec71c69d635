/**
 * The restore procedure of the reference installation's SharedRedis, printed as shell:
 *
 *   npm run -s redis-restore                          the newest snapshot on the backups volume
 *   npm run -s redis-restore -- --offsite             the newest encrypted snapshot in the bucket
 *                                                     (after losing the cluster or the backups volume)
 *   npm run -s redis-restore -- --snapshot <file>     that snapshot (with --offsite: from the bucket)
 *
 * Read it, then run it: `npm run -s redis-restore -- --offsite | bash -x`.
 */
import { SharedRedis } from '../lib';

const USAGE = 'usage: npm run -s redis-restore -- [--offsite] [--snapshot <redis-YYYYMMDDTHHMMSSZ.rdb>]';
const HELP = `${USAGE}

Prints the steps that put a snapshot of this installation's SharedRedis back: hold the server
(Argo CD's automated sync off, the backup CronJobs suspended, the StatefulSet at 0), a pod that
turns the snapshot into the data volume (with appendonly yes, into the AOF: a lone dump.rdb would
be ignored), then the server, the backups and Argo CD back on. What was on the data volume is
kept in before-restore-<time>/ on it.
--offsite: download and decrypt the snapshot from the bucket instead of the backups volume.
--snapshot <file>: that snapshot instead of the newest; each backup Job's log names the file it
wrote (kubectl -n shared logs job/<job>), and \`aws s3 ls\` lists the bucket.`;

function main(args: string[]): string {
  if (args.includes('--help') || args.includes('-h')) return `${HELP}\n`;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { platform } = require('../main') as typeof import('../main');
  const servers = platform.node.findAll().filter((c): c is SharedRedis => c instanceof SharedRedis);
  if (servers.length !== 1) throw new Error(`expected one SharedRedis in main.ts, found ${servers.length}`);
  let offsite = false;
  let snapshot: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--offsite') offsite = true;
    else if (args[i] === '--snapshot' && args[i + 1]) snapshot = args[++i];
    else throw new Error(USAGE);
  }
  return servers[0].restoreSteps({ offsite, snapshot });
}

try {
  process.stdout.write(main(process.argv.slice(2)));
} catch (e) {
  console.error((e as Error).message);
  process.exit(2);
}
