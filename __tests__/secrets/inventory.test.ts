import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { templateJobs } from '../../lib/builds/template-jobs';
import { inventoryTable, kubectlScript } from '../../lib/checks/secrets/bootstrap';
import { InventorySecret, secretInventory, undeclaredUses } from '../../lib/checks/secrets/inventory';
import { platform } from '../../main';

const dist = [...platform.manifests().values()].flat() as any[];
const objects = [...dist, ...templateJobs(dist)];
const inventory = secretInventory(platform, objects);

/** Runs the generated script with a fake kubectl; returns the Secrets it holds afterwards. */
function runScript(script: string, store: string, env: Record<string, string> = {}) {
  const bin = path.join(store, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.copyFileSync(path.join(__dirname, '..', 'support', 'fake-kubectl.sh'), path.join(bin, 'kubectl'));
  fs.chmodSync(path.join(bin, 'kubectl'), 0o755);
  const r = spawnSync('bash', ['-c', script], {
    encoding: 'utf8',
    input: '',
    // HOME: a clean one, so no start-up file of this machine's user joins the run.
    env: { PATH: `${bin}:${process.env.PATH}`, HOME: store, FAKE_KUBECTL_STORE: store, ...env },
  });
  const root = path.join(store, 'secrets');
  const secrets: Record<string, { type: string; data: Record<string, string> }> = {};
  for (const ns of fs.existsSync(root) ? fs.readdirSync(root) : []) {
    for (const name of fs.readdirSync(path.join(root, ns))) {
      const dir = path.join(root, ns, name);
      const data = Object.fromEntries(fs.readdirSync(dir).filter((f) => f.startsWith('data.')).map((f) => [
        f.slice('data.'.length), Buffer.from(fs.readFileSync(path.join(dir, f), 'utf8'), 'base64').toString(),
      ]));
      secrets[`${ns}/${name}`] = { type: fs.readFileSync(path.join(dir, 'type'), 'utf8'), data };
    }
  }
  return { status: r.status, stderr: r.stderr, secrets };
}

const PROVIDED = {
  REGISTRY_PUSH_SERVER: 'ghcr.io', REGISTRY_PUSH_USERNAME: 'bot', REGISTRY_PUSH_PASSWORD: "p@ss w'rd",
};

describe('secret inventory of the reference installation', () => {
  it('lists every Secret key that an object of dist/ (or a templated build Job) reads', () => {
    expect(undeclaredUses(inventory, objects)).toEqual([]);
    expect(inventory.length).toBeGreaterThan(3);
  });

  it('says how every value comes to be, and who reads it', () => {
    for (const s of inventory) {
      for (const k of s.keys) {
        expect(k.description.length).toBeGreaterThan(10);
        expect(['generated', 'provided']).toContain(k.value.kind);
      }
    }
    const redisApp = inventory.find((s) => s.name === 'novahost-redis')!;
    expect(redisApp.keys[0].usedBy).toEqual(['novahost/Deployment/api-server', 'novahost/Deployment/build-server']);
  });

  it('notices a Secret that nothing declares', () => {
    const rogue = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x', namespace: 'novahost' }, spec: { template: { spec: { containers: [{ name: 'x', env: [{ name: 'T', valueFrom: { secretKeyRef: { name: 'undeclared', key: 'token' } } }] }] } } } };
    expect(undeclaredUses(inventory, [...objects, rogue])).toEqual([{ namespace: 'novahost', name: 'undeclared', key: 'token', object: 'novahost/Deployment/x' }]);
  });

  it('is the table in the README (run `npm run secrets -- --markdown` and paste it)', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    const section = /<!-- secrets:begin -->\n([\s\S]*?)\n<!-- secrets:end -->/.exec(readme)?.[1];
    expect(section).toBe(inventoryTable(inventory, true));
  });
});

describe('npm run secrets -- --kubectl', () => {
  const script = kubectlScript(inventory);
  const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'secrets-'));
  // One store, three runs: a first run on an empty cluster, the same again, then again after one
  // Secret of a group was deleted. Each run is a real bash run of the script (fake kubectl).
  const store = tmp();
  const first = runScript(script, store, PROVIDED);
  const second = runScript(script, store, PROVIDED);
  fs.rmSync(path.join(store, 'secrets', 'novahost', 'novahost-redis'), { recursive: true });
  const third = runScript(script, store, PROVIDED);

  it('creates every Secret of the inventory, with its namespace, name, type and keys', () => {
    const { status, stderr, secrets } = first;
    expect([status, stderr]).toEqual([0, '']);
    expect(Object.keys(secrets).sort()).toEqual(inventory.map((s) => `${s.namespace}/${s.name}`).sort());
    for (const s of inventory) {
      expect(Object.keys(secrets[`${s.namespace}/${s.name}`].data).sort()).toEqual(s.keys.map((k) => k.key).sort());
      expect(secrets[`${s.namespace}/${s.name}`].type).toBe(s.type);
    }
    const login = JSON.parse(secrets['builds/registry-push'].data['.dockerconfigjson']);
    expect(login.auths['ghcr.io']).toMatchObject({ username: 'bot', password: "p@ss w'rd" });
  });

  it('writes one generated value into every Secret of a group, and different values elsewhere', () => {
    const { secrets } = first;
    const valueOf = (s: InventorySecret, key: string) => secrets[`${s.namespace}/${s.name}`].data[key];
    const groups = new Map<string, string[]>();
    const singles: string[] = [];
    for (const s of inventory) {
      for (const k of s.keys) {
        if (k.value.kind !== 'generated') continue;
        const v = valueOf(s, k.key);
        expect(v).toMatch(new RegExp(`^[A-Za-z0-9]{${k.value.length ?? 32}}$`));
        if (k.value.group) groups.set(k.value.group, [...(groups.get(k.value.group) ?? []), v]);
        else singles.push(v);
      }
    }
    expect(groups.size).toBeGreaterThan(0);
    for (const values of groups.values()) expect(new Set(values).size).toBe(1);
    const all = [...singles, ...[...groups.values()].map((v) => v[0])];
    expect(new Set(all).size).toBe(all.length);
  });

  it('is idempotent: a second run changes nothing', () => {
    expect(second.status).toBe(0);
    expect(second.secrets).toEqual(first.secrets);
  });

  it('reuses the value of an existing member of a group for the missing one', () => {
    expect(third.status).toBe(0);
    expect(third.secrets['novahost/novahost-redis'].data.password).toBe(first.secrets['shared/redis-user-novahost'].data.password);
  });

  it('fails, creating nothing more, when a provided value is missing and cannot be asked for', () => {
    const { status, stderr, secrets } = runScript(script, tmp(), {});
    expect(status).not.toBe(0);
    expect(stderr).toContain('REGISTRY_PUSH_SERVER');
    expect(secrets['builds/registry-push']).toBeUndefined();
  });

  it('prints no secret value: every value is made or read when the script runs', () => {
    expect(script).not.toMatch(/--from-literal=[^ ]*="[^$]/);
  });
});
