#!/usr/bin/env node
// A stand-in for kubectl in the secrets-script tests: it keeps Secrets as JSON files in
// $FAKE_KUBECTL_STORE and answers the few commands the script uses, exactly as kubectl does.
'use strict';
const fs = require('fs');
const path = require('path');
const store = process.env.FAKE_KUBECTL_STORE;
const args = process.argv.slice(2);
fs.appendFileSync(path.join(store, 'calls.log'), `${JSON.stringify(args)}\n`);

let namespace = 'default';
const rest = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '-n') namespace = args[++i];
  else rest.push(args[i]);
}
const file = (ns, name) => path.join(store, `secret.${ns}.${name}.json`);
const flag = (name) => rest.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const dryRun = rest.includes('--dry-run=client');
const b64 = (s) => Buffer.from(s).toString('base64');
const fail = (msg) => { process.stderr.write(`${msg}\n`); process.exit(1); };

if (rest[0] === 'create' && rest[1] === 'namespace' && dryRun) {
  process.stdout.write(JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: rest[2] } }));
} else if (rest[0] === 'apply' && rest[1] === '-f' && rest[2] === '-') {
  const obj = JSON.parse(fs.readFileSync(0, 'utf8'));
  if (obj.kind === 'Secret') fs.writeFileSync(file(obj.metadata.namespace, obj.metadata.name), JSON.stringify(obj));
  process.stdout.write(`${obj.kind.toLowerCase()}/${obj.metadata.name} configured\n`);
} else if (rest[0] === 'get' && rest[1] === 'secret') {
  const f = file(namespace, rest[2]);
  if (!fs.existsSync(f)) fail(`Error from server (NotFound): secrets "${rest[2]}" not found`);
  const output = rest.find((a, i) => rest[i - 1] === '-o') ?? flag('output');
  if (output?.startsWith('jsonpath={.data.')) {
    const key = output.slice('jsonpath={.data.'.length, -1).replace(/\\\./g, '.');
    process.stdout.write(JSON.parse(fs.readFileSync(f, 'utf8')).data[key] ?? '');
  }
} else if (rest[0] === 'create' && rest[1] === 'secret' && dryRun) {
  const name = rest[3];
  const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, type: 'Opaque', data: {} };
  if (rest[2] === 'generic') {
    for (const a of rest.filter((x) => x.startsWith('--from-literal='))) {
      const kv = a.slice('--from-literal='.length);
      const eq = kv.indexOf('=');
      secret.data[kv.slice(0, eq)] = b64(kv.slice(eq + 1));
    }
  } else if (rest[2] === 'docker-registry') {
    secret.type = 'kubernetes.io/dockerconfigjson';
    const server = flag('docker-server');
    const auth = { username: flag('docker-username'), password: flag('docker-password') };
    secret.data['.dockerconfigjson'] = b64(JSON.stringify({ auths: { [server]: { ...auth, auth: b64(`${auth.username}:${auth.password}`) } } }));
  } else fail(`fake kubectl: unsupported secret type ${rest[2]}`);
  process.stdout.write(JSON.stringify(secret));
} else {
  fail(`fake kubectl: unsupported command ${JSON.stringify(args)}`);
}
