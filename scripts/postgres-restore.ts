/**
 * The restore procedures of the reference installation's SharedPostgres, printed:
 *
 *   npm run -s postgres-restore -- <database>                 the dump restore script, to run in the pod:
 *     kubectl -n shared exec -i postgres-0 -- sh -c "$(npm run -s postgres-restore -- novahost)" < novahost.dump
 *   npm run -s postgres-restore -- <database> --to '<time>'   the steps that bring one database back as it was
 *                                                            at that time (base backup + archived WAL)
 *   npm run -s postgres-restore -- --server [--to '<time>']   the steps that restore the whole server from the
 *                                                            off-site copy (after losing the cluster)
 *
 * Times need a zone: '2026-11-23T14:05:00Z' or '2026-11-23 15:05+01:00'.
 */
import { parseRestoreTime, SharedPostgres } from '../lib';

const USAGE = "usage: npm run -s postgres-restore -- <database> [--to '<time with zone>'] | --server [--to '<time with zone>']";
const HELP = `${USAGE}

<database> alone: the restore script of one database of this installation's SharedPostgres
(pg_restore of a pg_dump -Fc dump read from standard input, wrapped in timescaledb_pre_restore()
and timescaledb_post_restore()). Run it in the pod (-s keeps npm's banner out of the script):
  kubectl -n shared exec -i postgres-0 -- sh -c "$(npm run -s postgres-restore -- novahost)" < novahost.dump
<database> --to '<time>': the steps that bring that database back as it was at the time, from
base backups and archived WAL, leaving the other databases as they are.
--server [--to '<time>']: the steps that restore the whole server from the off-site copy.
Times need a zone: '2026-11-23T14:05:00Z' or '2026-11-23 15:05+01:00'.`;

if (process.argv[2] === '--help' || process.argv[2] === '-h') {
  console.log(HELP);
  process.exit(0);
}

function main(args: string[]): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { platform } = require('../main') as typeof import('../main');
  const servers = platform.node.findAll().filter((c): c is SharedPostgres => c instanceof SharedPostgres);
  if (servers.length !== 1) throw new Error(`expected one SharedPostgres in main.ts, found ${servers.length}`);
  const [pg] = servers;
  const at = args.indexOf('--to');
  const to = at >= 0 ? parseRestoreTime(args[at + 1] ?? '') : undefined;
  const rest = args.filter((_, i) => at < 0 || (i !== at && i !== at + 1));
  if (rest.length !== 1) throw new Error(USAGE);
  if (rest[0] === '--server') return pg.serverRestore(to);
  return to ? pg.pointInTimeRestore(rest[0], to) : `${pg.restoreCommand(rest[0])}\n`;
}

try {
  process.stdout.write(main(process.argv.slice(2)));
} catch (e) {
  console.error((e as Error).message);
  process.exit(2);
}
