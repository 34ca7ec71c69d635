/**
 * `npm run dns`: every host this installation serves, with the namespace and Service behind it:
 * the DNS records to create before the first sync (cert-manager's HTTP-01 challenge needs them).
 *   npm run dns                 the hosts as a table
 *   npm run dns -- --markdown   the table for the README (between <!-- dns:begin --> and <!-- dns:end -->)
 */
import { hostTable } from './dns-table';

const HELP = `usage: npm run dns [-- --markdown | --help]

Every host the installation's Ingresses serve, with its namespace and the Service behind each path:
point an A (and AAAA) record of each at the ingress's public address: the node's on k3s, the load
balancer's on DOKS (or one wildcard record; on DOKS the doks block's CNAMEs).
  --markdown    the table for the README (between <!-- dns:begin --> and <!-- dns:end -->)
  -h, --help    this text`;

const mode = process.argv[2];
if (mode === '--help' || mode === '-h') console.log(HELP);
else if (mode !== undefined && mode !== '--markdown') {
  console.error(`dns: unknown option ${mode}\n${HELP}`);
  process.exitCode = 2;
} else {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { platform } = require('../main') as typeof import('../main');
  process.stdout.write(`${hostTable([...platform.manifests().values()].flat(), mode === '--markdown')}\n`);
}
