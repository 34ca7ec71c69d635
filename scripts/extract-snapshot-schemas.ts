/**
 * Regenerates the snapshot.storage.k8s.io schemas in `__tests__/schemas/crds/` from the upstream
 * CRDs of kubernetes-csi/external-snapshotter at the tag pinned in PINS.crds.externalSnapshotter
 * (`client/config/crd/`), read from a git clone or mirror of that repository:
 *
 *   npm run extract-snapshot-schemas -- <external-snapshotter git dir>
 *
 * Writes each served version's `openAPIV3Schema`, unmodified (as scripts/extract-schemas.ts does for
 * the CRDs of ../shared/crds); the upstream files themselves are not kept here.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { PINS } from '../lib';

const FILES = ['volumesnapshots', 'volumesnapshotclasses', 'volumesnapshotcontents'].map((n) => `client/config/crd/snapshot.storage.k8s.io_${n}.yaml`);
const TARGET = path.resolve(__dirname, '..', '__tests__', 'schemas', 'crds');

export function extract(gitDir: string, tag: string = PINS.crds.externalSnapshotter.version): string[] {
  const commit = execFileSync('git', ['--git-dir', gitDir, 'rev-parse', `${tag}^{commit}`], { encoding: 'utf8' }).trim();
  const written: string[] = [];
  for (const file of FILES) {
    const crd = parse(execFileSync('git', ['--git-dir', gitDir, 'show', `${commit}:${file}`], { encoding: 'utf8' }));
    for (const v of crd.spec.versions) {
      if (!v.served) continue;
      const out = path.join(TARGET, `${crd.spec.group}_${v.name}_${crd.spec.names.kind}.json`);
      fs.writeFileSync(out, `${JSON.stringify(v.schema.openAPIV3Schema, null, 1)}\n`);
      written.push(`${path.basename(out)} <- ${file} @ ${tag} (${commit})`);
    }
  }
  return written;
}

if (require.main === module) {
  const dir = process.argv[2];
  if (!dir || dir === '--help' || dir === '-h') {
    console.log('usage: npm run extract-snapshot-schemas -- <kubernetes-csi/external-snapshotter git dir>');
    process.exit(dir ? 0 : 2);
  }
  for (const line of extract(path.resolve(dir))) console.log(line);
}
