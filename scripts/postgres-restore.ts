/**
 * `npm run -s postgres-restore -- <database>`: the restore script of one database of the reference
 * installation, to run in the PostgreSQL pod with the dump on standard input:
 *   kubectl -n shared exec -i postgres-0 -- sh -c "$(npm run -s postgres-restore -- novahost)" < novahost.dump
 */
import { SharedPostgres } from '../lib';

const HELP = `usage: npm run -s postgres-restore -- <database>

Prints the restore script of one database of this installation's SharedPostgres: pg_restore of a
pg_dump -Fc dump read from standard input, wrapped in timescaledb_pre_restore() and
timescaledb_post_restore(). Run it in the pod (-s keeps npm's banner out of the script):
  kubectl -n shared exec -i postgres-0 -- sh -c "$(npm run -s postgres-restore -- novahost)" < novahost.dump`;
if (process.argv[2] === '--help' || process.argv[2] === '-h') {
  console.log(HELP);
  process.exit(0);
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { platform } = require('../main') as typeof import('../main');
const servers = platform.node.findAll().filter((c): c is SharedPostgres => c instanceof SharedPostgres);
const database = process.argv[2];
if (!database || servers.length !== 1) {
  console.error(database ? `expected one SharedPostgres, found ${servers.length}` : 'usage: npm run -s postgres-restore -- <database>');
  process.exit(2);
}
process.stdout.write(`${servers[0].restoreCommand(database)}\n`);
