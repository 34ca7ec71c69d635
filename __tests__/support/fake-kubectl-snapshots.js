#!/usr/bin/env node
// A stand-in for kubectl in the volume-snapshot script tests: keeps PVCs, VolumeSnapshots and their
// contents in $FAKE_KUBECTL_STORE/state.json and answers the commands the script uses the way
// kubectl and the snapshot controller do (a snapshot's content is kept on delete unless its
// deletionPolicy is Delete). Anything else fails, so a new command in the script must be added here.
const fs = require('fs');
const path = require('path');
const { parse } = require('yaml');

const file = path.join(process.env.FAKE_KUBECTL_STORE, 'state.json');
const state = JSON.parse(fs.readFileSync(file, 'utf8'));
const save = () => fs.writeFileSync(file, JSON.stringify(state, null, 1));
let args = process.argv.slice(2);
fs.appendFileSync(path.join(process.env.FAKE_KUBECTL_STORE, 'calls.log'), `${args.join(' ')}\n`);
let ns = 'default';
const i = args.indexOf('-n');
if (i >= 0) { ns = args[i + 1]; args = [...args.slice(0, i), ...args.slice(i + 2)]; }
const fail = (msg) => { process.stderr.write(`${msg}\n`); process.exit(1); };
const opt = (name) => { const a = args.find((x) => x.startsWith(`${name}=`)); if (a) return a.slice(name.length + 1); const k = args.indexOf(name); return k >= 0 ? args[k + 1] : undefined; };
const snaps = (state.snapshots[ns] ??= {});

const [verb, kind, name] = args;
if (verb === 'get' && kind === 'pvc') {
  const phase = state.pvcs[`${ns}/${name}`];
  if (phase === undefined) fail(`Error from server (NotFound): persistentvolumeclaims "${name}" not found`);
  if (opt('-o') !== 'jsonpath={.status.phase}') fail(`fake kubectl: unsupported ${args.join(' ')}`);
  process.stdout.write(phase);
} else if (verb === 'create' && kind === '-f' && name === '-') {
  const obj = parse(fs.readFileSync(0, 'utf8'));
  if (obj.apiVersion !== 'snapshot.storage.k8s.io/v1' || obj.kind !== 'VolumeSnapshot') fail('fake kubectl: only VolumeSnapshots are created');
  const n = obj.metadata.name;
  if (snaps[n]) fail(`Error from server (AlreadyExists): volumesnapshots.snapshot.storage.k8s.io "${n}" already exists`);
  if (state.pvcs[`${ns}/${obj.spec.source.persistentVolumeClaimName}`] === undefined) fail('fake kubectl: snapshot of a missing claim');
  const content = `snapcontent-${n}`;
  snaps[n] = { labels: obj.metadata.labels ?? {}, spec: obj.spec, content, ready: state.readyMode === 'ready', error: state.readyMode === 'ready' ? undefined : 'Failed to check and update snapshot content: provider is busy' };
  state.contents[content] = { deletionPolicy: 'Retain', snapshot: `${ns}/${n}` };
  save();
  process.stdout.write(`volumesnapshot.snapshot.storage.k8s.io/${n} created\n`);
} else if (verb === 'wait') {
  const target = args.find((a) => a.startsWith('volumesnapshot/'));
  if (opt('--for') !== 'jsonpath={.status.readyToUse}=true' || !target || !opt('--timeout')) fail(`fake kubectl: unsupported ${args.join(' ')}`);
  const s = snaps[target.slice('volumesnapshot/'.length)];
  if (!s) fail(`Error from server (NotFound): volumesnapshots "${target}" not found`);
  if (!s.ready) fail(`error: timed out waiting for the condition on volumesnapshots/${target.slice(15)}`);
  process.stdout.write(`volumesnapshot.snapshot.storage.k8s.io/${target.slice(15)} condition met\n`);
} else if (verb === 'get' && kind === 'volumesnapshot' && name && !name.startsWith('-')) {
  if (opt('-o') !== 'jsonpath={.status.error.message}') fail(`fake kubectl: unsupported ${args.join(' ')}`);
  process.stdout.write(snaps[name]?.error ?? '');
} else if (verb === 'get' && kind === 'volumesnapshot') {
  const selector = Object.fromEntries(opt('-l').split(',').map((kv) => kv.split('=')));
  if (opt('-o') !== 'jsonpath={range .items[*]}{.metadata.name}{" "}{.status.boundVolumeSnapshotContentName}{"\\n"}{end}') fail(`fake kubectl: unsupported ${args.join(' ')}`);
  // The API server lists by name.
  for (const [n, s] of Object.entries(snaps).sort(([a], [b]) => a.localeCompare(b))) {
    if (Object.entries(selector).every(([k, v]) => s.labels[k] === v)) process.stdout.write(`${n} ${s.content}\n`);
  }
} else if (verb === 'patch' && kind === 'volumesnapshotcontent') {
  const c = state.contents[name];
  if (!c) fail(`Error from server (NotFound): volumesnapshotcontents "${name}" not found`);
  if (opt('--type') !== 'merge') fail('fake kubectl: merge patches only');
  const patch = JSON.parse(opt('-p'));
  if (JSON.stringify(Object.keys(patch.spec)) !== '["deletionPolicy"]') fail('fake kubectl: only deletionPolicy is patched');
  c.deletionPolicy = patch.spec.deletionPolicy;
  save();
} else if (verb === 'delete' && kind === 'volumesnapshot') {
  const s = snaps[name];
  if (!s) fail(`Error from server (NotFound): volumesnapshots "${name}" not found`);
  delete snaps[name];
  // The snapshot controller: a Delete content goes, with the provider's snapshot.
  if (state.contents[s.content]?.deletionPolicy === 'Delete') delete state.contents[s.content];
  save();
  process.stdout.write(`volumesnapshot.snapshot.storage.k8s.io "${name}" deleted\n`);
} else {
  fail(`fake kubectl: unsupported command ${args.join(' ')}`);
}
