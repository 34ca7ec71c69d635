/**
 * `npm run -s volume-restore -- <namespace>/<claim> [--snapshot <name> | --handle <snapshot-id>]`
 *
 * Prints the kubectl steps that put one data volume of main.ts back from a scheduled snapshot
 * (lib/data/volume-snapshots.ts): `--snapshot` names a VolumeSnapshot of this cluster (default:
 * the newest, which the steps look up), `--handle` the provider's snapshot id (a new cluster).
 */
import { volumeRestoreSteps, VolumeRestoreSource } from '../lib';

const USAGE = 'usage: npm run -s volume-restore -- <namespace>/<claim> [--snapshot <name> | --handle <snapshot-id>]';

if (process.argv[2] === '--help' || process.argv[2] === '-h') {
  console.log(`${USAGE}

Prints the steps that restore a data volume from one of its scheduled snapshots: stop Argo CD's
sync and the StatefulSet, (with --handle) make the provider's snapshot a VolumeSnapshot, replace
the claim by one restored from the snapshot, start the server again. Read them, then run them.
List a volume's snapshots: kubectl -n <namespace> get volumesnapshot -l snapshots.novahost.dev/claim=<claim>`);
  process.exit(0);
}

export function main(args: string[]): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { platform } = require('../main') as typeof import('../main');
  const [target, flag, value, ...rest] = args;
  if (!target || rest.length || (flag !== undefined && !['--snapshot', '--handle'].includes(flag)) || (flag !== undefined && !value)) throw new Error(USAGE);
  if (flag === undefined) throw new Error(`${USAGE}\n(name the snapshot: kubectl -n ${target.split('/')[0]} get volumesnapshot -l snapshots.novahost.dev/claim=${target.split('/')[1] ?? '<claim>'})`);
  const source: VolumeRestoreSource = flag === '--handle' ? { handle: value } : { snapshot: value };
  return volumeRestoreSteps(platform, target, source);
}

if (require.main === module) {
  try {
    process.stdout.write(main(process.argv.slice(2)));
  } catch (e) {
    console.error((e as Error).message);
    process.exit(2);
  }
}
