/**
 * `npm run -s postgres-restore -- <database>`: the restore script of one database of the reference
 * installation, to run in the PostgreSQL pod with the dump on standard input:
 *   kubectl -n shared exec -i postgres-0 -- sh -c "$(npm run -s postgres-restore -- novahost)" < novahost.dump
 */
import { SharedPostgres } from '../lib';
import { platform } from '../main';

const servers = platform.node.findAll().filter((c): c is SharedPostgres => c instanceof SharedPostgres);
const database = process.argv[2];
if (!database || servers.length !== 1) {
  console.error(database ? `expected one SharedPostgres, found ${servers.length}` : 'usage: npm run -s postgres-restore -- <database>');
  process.exit(2);
}
process.stdout.write(`${servers[0].restoreCommand(database)}\n`);
