import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { templateJobs } from '../../lib/builds/template-jobs';
import { inventoryTable, kubectlScript } from '../../lib/checks/secrets/bootstrap';
import { InventorySecret, secretInventory, undeclaredUses } from '../../lib/checks/secrets/inventory';
import { NovahostApp } from '../../lib';
import { allObjects, testPlatform } from '../support/platform';
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
  // setsid: a session of its own, without a controlling terminal, so /dev/tty cannot be opened
  // (as in CI) even when the tests run in a terminal.
  const r = spawnSync('setsid', ['-w', 'bash', '-c', script], {
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

/** The variables of every provided value of the inventory, set (whatever main.ts declares). */
function providedEnvironment(secrets: readonly InventorySecret[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const s of secrets) {
    for (const k of s.keys) {
      if (k.value.kind !== 'provided') continue;
      if (s.type === 'kubernetes.io/dockerconfigjson') {
        Object.assign(env, { [`${k.value.env}_SERVER`]: 'ghcr.io', [`${k.value.env}_USERNAME`]: 'bot', [`${k.value.env}_PASSWORD`]: "p@ss w'rd" });
      } else {
        env[k.value.env] = `provided ${k.value.env} 'quoted' $x`;
      }
    }
  }
  return env;
}
const PROVIDED = providedEnvironment(inventory);

/** A generated group with at least two Secrets, and its members: the case the script must keep in step. */
const sharedGroup = (() => {
  const members = new Map<string, string[]>();
  for (const s of inventory) {
    for (const k of s.keys) {
      if (k.value.kind === 'generated' && k.value.group) members.set(k.value.group, [...(members.get(k.value.group) ?? []), `${s.namespace}/${s.name}/${k.key}`]);
    }
  }
  return [...members.values()].find((m) => m.length >= 2);
})();
const withProvided = inventory.filter((s) => s.keys.some((k) => k.value.kind === 'provided'));

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
    // Each app's cache password is read by exactly the Deployments of its services with cache: true.
    const apps = platform.node.findAll().filter((c): c is NovahostApp => c instanceof NovahostApp);
    for (const app of apps.filter((a) => a.cache)) {
      const secret = inventory.find((s) => s.namespace === app.namespace && s.name === app.cache!.password.name)!;
      const readers = app.allServices.filter((svc) => svc.uses.cache).map((svc) => `${svc.namespace}/Deployment/${svc.name}`).sort();
      expect([app.appName, secret.keys[0].usedBy]).toEqual([app.appName, readers]);
    }
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
  // One Secret of a shared group goes missing (its namespace and name: the member's first two parts).
  const [lostNs, lostName] = sharedGroup?.[0].split('/') ?? [];
  if (sharedGroup) fs.rmSync(path.join(store, 'secrets', lostNs, lostName), { recursive: true });
  const third = runScript(script, store, PROVIDED);

  it('creates every Secret of the inventory, with its namespace, name, type and keys', () => {
    const { status, stderr, secrets } = first;
    expect([status, stderr]).toEqual([0, '']);
    expect(Object.keys(secrets).sort()).toEqual(inventory.map((s) => `${s.namespace}/${s.name}`).sort());
    for (const s of inventory) {
      expect(Object.keys(secrets[`${s.namespace}/${s.name}`].data).sort()).toEqual(s.keys.map((k) => k.key).sort());
      expect(secrets[`${s.namespace}/${s.name}`].type).toBe(s.type);
    }
    for (const s of inventory.filter((x) => x.type === 'kubernetes.io/dockerconfigjson')) {
      const login = JSON.parse(secrets[`${s.namespace}/${s.name}`].data['.dockerconfigjson']);
      expect(login.auths['ghcr.io']).toMatchObject({ username: 'bot', password: "p@ss w'rd" });
    }
    for (const s of inventory.filter((x) => x.type === 'Opaque')) {
      for (const k of s.keys) if (k.value.kind === 'provided') expect(secrets[`${s.namespace}/${s.name}`].data[k.key]).toBe(PROVIDED[k.value.env]);
    }
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
    expect(sharedGroup).toBeDefined();
    const value = (member: string, run: typeof first) => { const [ns, name, key] = member.split('/'); return run.secrets[`${ns}/${name}`].data[key]; };
    expect(value(sharedGroup![0], third)).toBe(value(sharedGroup![1], first));
    expect(third.secrets).toEqual(first.secrets);
  });

  it('fails, creating nothing more, when a provided value is missing and cannot be asked for', () => {
    expect(withProvided.length).toBeGreaterThan(0);
    const { status, stderr, secrets } = runScript(script, tmp(), {});
    expect(status).not.toBe(0);
    const first = withProvided[0];
    const key = first.keys.find((k) => k.value.kind === 'provided')!;
    expect(stderr).toContain((key.value as { env: string }).env);
    expect(secrets[`${first.namespace}/${first.name}`]).toBeUndefined();
  });

  it('prints no secret value: every value is made or read when the script runs', () => {
    expect(script).not.toMatch(/--from-literal=[^ ]*="[^$]/);
  });
});

describe('npm run -s secrets -- --kubectl | bash, at a terminal', () => {
  const ROOT = path.join(__dirname, '..', '..');
  const store = fs.mkdtempSync(path.join(os.tmpdir(), 'secrets-pty-'));
  const bin = path.join(store, 'bin');
  fs.mkdirSync(bin);
  fs.copyFileSync(path.join(__dirname, '..', 'support', 'fake-kubectl.sh'), path.join(bin, 'kubectl'));
  fs.chmodSync(path.join(bin, 'kubectl'), 0o755);
  // The README's command as printed, on a pseudo-terminal; no provided value in the environment.
  const env: Record<string, string> = { PATH: `${bin}:${process.env.PATH}`, HOME: store, FAKE_KUBECTL_STORE: store, NODE_OPTIONS: '', CDK8S_CHECK_UPGRADE: 'false' };
  const r = spawnSync('python3', [path.join(__dirname, '..', 'support', 'pty-run.py'), `cd ${JSON.stringify(ROOT)} && npm run -s secrets -- --kubectl | bash`], { encoding: 'utf8', env, timeout: 120_000 });
  const shown = r.stdout;

  it('asks on the terminal for every provided value, naming its Secret and readers, and uses the answer', () => {
    expect(shown).toMatch(/EXIT 0\n$/);
    for (const s of withProvided) {
      const vars = s.type === 'kubernetes.io/dockerconfigjson'
        ? ['SERVER', 'USERNAME', 'PASSWORD'].map((p) => `${(s.keys[0].value as { env: string }).env}_${p}`)
        : s.keys.filter((k) => k.value.kind === 'provided').map((k) => (k.value as { env: string }).env);
      for (const v of vars) {
        const prompt = new RegExp(`^${v} \\([^\\n]*Secret ${s.namespace}/${s.name}[ ,][^\\n]*read by ${s.keys[0].usedBy[0] ?? 'a chart or controller'}`, 'm');
        expect([v, prompt.test(shown)]).toEqual([v, true]);
      }
      const dir = path.join(store, 'secrets', s.namespace, s.name);
      if (s.type === 'kubernetes.io/dockerconfigjson') {
        const login = JSON.parse(Buffer.from(fs.readFileSync(path.join(dir, 'data..dockerconfigjson'), 'utf8'), 'base64').toString());
        expect(Object.keys(login.auths)).toEqual([`typed-${vars[0]}`]);
      } else {
        for (const k of s.keys.filter((x) => x.value.kind === 'provided')) {
          expect(Buffer.from(fs.readFileSync(path.join(dir, `data.${k.key}`), 'utf8'), 'base64').toString()).toBe(`typed-${(k.value as { env: string }).env}`);
        }
      }
    }
  });

  it('does not echo what is typed', () => {
    expect(shown).not.toContain('typed-');
  });
});

describe('npm run secrets, options', () => {
  const ROOT = path.join(__dirname, '..', '..');
  const npm = (...args: string[]) => spawnSync('npm', ['run', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });

  it('--help says what each option does, exit 0', () => {
    const r = npm('-s', 'secrets', '--', '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('npm run -s secrets -- --kubectl | bash');
  });

  it('--create runs the script: every Secret of the inventory exists afterwards', () => {
    const store = fs.mkdtempSync(path.join(os.tmpdir(), 'secrets-create-'));
    fs.mkdirSync(path.join(store, 'bin'));
    fs.copyFileSync(path.join(__dirname, '..', 'support', 'fake-kubectl.sh'), path.join(store, 'bin', 'kubectl'));
    fs.chmodSync(path.join(store, 'bin', 'kubectl'), 0o755);
    const r = spawnSync('setsid', ['-w', 'npm', 'run', '-s', 'secrets', '--', '--create'], {
      cwd: ROOT, encoding: 'utf8',
      env: { ...process.env, ...PROVIDED, NODE_OPTIONS: '', PATH: `${store}/bin:${process.env.PATH}`, FAKE_KUBECTL_STORE: store },
    });
    expect([r.status, r.stderr]).toEqual([0, '']);
    for (const s of inventory) expect(fs.existsSync(path.join(store, 'secrets', s.namespace, s.name))).toBe(true);
  });

  it('without -s, the piped script stops before doing anything, and says to use -s', () => {
    const r = npm('secrets', '--', '--kubectl');
    expect(r.status).not.toBe(0);
    expect(r.stdout).toMatch(/\necho "secrets: npm wrote its banner[^\n]*" >&2; exit 2\n$/);
    expect(r.stdout).not.toContain('kubectl -n');
  });
});

describe('apps that read the same variable name from Secrets of their own', () => {
  const p = testPlatform();
  const web = (secret: string) => ({ image: 'ghcr.io/example/web:1.0.0', port: 3000, secretEnv: { SESSION_SECRET: { secret, key: 'secret' } } });
  new NovahostApp(p, 'blog', { services: { web: web('session') } });
  new NovahostApp(p, 'wiki', { services: { web: web('wiki-session') } });
  new NovahostApp(p, 'shop', { services: { web: { ...web('shop-session'), secretEnv: { SESSION_SECRET: { secret: 'shop-session', key: 'secret', value: { kind: 'generated', length: 40 } } } } } });
  const objs = allObjects(p);
  const inv = secretInventory(p, objs);

  it('get a variable, and so a value, each; the construct may declare another way', () => {
    const value = (ns: string) => inv.find((s) => s.namespace === ns)!.keys[0].value;
    expect(value('blog')).toEqual({ kind: 'provided', env: 'BLOG_SESSION_SECRET' });
    expect(value('wiki')).toEqual({ kind: 'provided', env: 'WIKI_SESSION_SECRET' });
    expect(value('shop')).toEqual({ kind: 'generated', length: 40 });
    const { status, secrets } = runScript(kubectlScript(inv), fs.mkdtempSync(path.join(os.tmpdir(), 'secrets-')), { BLOG_SESSION_SECRET: 'b', WIKI_SESSION_SECRET: 'w' });
    expect(status).toBe(0);
    expect([secrets['blog/session'].data.secret, secrets['wiki/wiki-session'].data.secret]).toEqual(['b', 'w']);
    expect(secrets['shop/shop-session'].data.secret).toMatch(/^[A-Za-z0-9]{40}$/);
  });
});
