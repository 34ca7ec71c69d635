import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ArgoCd, ExternalSecrets, kubectlScript, secretInventory } from '../../lib';
import { allObjects, testPlatform } from '../support/platform';

/** Argo CD's credentials for a private repository: a labelled Secret by reference, made by the secrets tooling. */
const SSH_URL = 'git@github.com:example/infra.git';

function inventoryOf(kind: 'ssh' | 'https', repoURL: string, secret?: string) {
  const platform = testPlatform({ git: { repoURL } });
  new ArgoCd(platform, 'argocd', { repositoryCredentials: { kind, secret } });
  const objects = allObjects(platform);
  return { platform, objects, inventory: secretInventory(platform, objects) };
}

/** Runs the kubectl script against the fake kubectl; the Secrets it made, with their labels. */
function runScript(script: string, env: Record<string, string>) {
  const store = fs.mkdtempSync(path.join(os.tmpdir(), 'repo-creds-'));
  try {
    fs.mkdirSync(path.join(store, 'bin'));
    fs.copyFileSync(path.join(__dirname, '..', 'support', 'fake-kubectl.sh'), path.join(store, 'bin', 'kubectl'));
    fs.chmodSync(path.join(store, 'bin', 'kubectl'), 0o755);
    const r = spawnSync('setsid', ['-w', 'bash', '-c', script], { encoding: 'utf8', input: '', env: { PATH: `${store}/bin:${process.env.PATH}`, HOME: store, FAKE_KUBECTL_STORE: store, ...env } });
    const dir = path.join(store, 'secrets', 'argocd', 'git-repository');
    const read = (f: string) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), 'utf8') : undefined);
    const data = Object.fromEntries(['type', 'url', 'sshPrivateKey', 'username', 'password'].map((k) => [k, read(`data.${k}`)]).filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, Buffer.from(v!, 'base64').toString()]));
    return { status: r.status, stderr: r.stderr, data, labels: read('labels') };
  } finally {
    fs.rmSync(store, { recursive: true, force: true });
  }
}

describe('ArgoCd repositoryCredentials', () => {
  it('declares nothing by default (a public repository)', () => {
    const platform = testPlatform();
    new ArgoCd(platform, 'argocd');
    expect(secretInventory(platform, allObjects(platform))).toEqual([]);
  });

  it('ssh: a repository Secret in argocd with type, url and the deploy key, labelled for Argo CD', () => {
    const { inventory, objects } = inventoryOf('ssh', SSH_URL);
    expect(inventory).toEqual([{
      namespace: 'argocd', name: 'git-repository', type: 'Opaque', labels: { 'argocd.argoproj.io/secret-type': 'repository' },
      keys: [
        expect.objectContaining({ key: 'sshPrivateKey', value: { kind: 'provided', env: 'ARGOCD_REPOSITORY_SSH_PRIVATE_KEY' } }),
        expect.objectContaining({ key: 'type', value: { kind: 'literal', value: 'git' } }),
        expect.objectContaining({ key: 'url', value: { kind: 'literal', value: SSH_URL } }),
      ],
    }]);
    // By reference only: no Secret object, no key in dist/.
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    expect(JSON.stringify(objects)).not.toContain('sshPrivateKey');
  });

  it('ssh: the kubectl script creates it with the label and a multi-line key from the environment', () => {
    const key = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----';
    const script = kubectlScript(inventoryOf('ssh', SSH_URL).inventory);
    expect(script).toContain("| kubectl label --local -f - 'argocd.argoproj.io/secret-type=repository' -o yaml | kubectl apply -f -");
    const r = runScript(script, { ARGOCD_REPOSITORY_SSH_PRIVATE_KEY: key });
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.data).toEqual({ type: 'git', url: SSH_URL, sshPrivateKey: key });
    expect(r.labels).toBe('argocd.argoproj.io/secret-type=repository\n');
  });

  it('https: username and password (a token), from the environment', () => {
    const url = 'https://github.com/example/infra.git';
    const { inventory } = inventoryOf('https', url, undefined);
    expect(inventory[0].keys.map((k) => k.key)).toEqual(['password', 'type', 'url', 'username']);
    const r = runScript(kubectlScript(inventory), { ARGOCD_REPOSITORY_USERNAME: 'x-access-token', ARGOCD_REPOSITORY_PASSWORD: 'ghp_token' });
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.data).toEqual({ type: 'git', url, username: 'x-access-token', password: 'ghp_token' });
    expect(r.labels).toBe('argocd.argoproj.io/secret-type=repository\n');
  });

  it('with External Secrets: the ExternalSecret templates the label onto its Secret', () => {
    const platform = testPlatform({ git: { repoURL: SSH_URL } });
    new ArgoCd(platform, 'argocd', { repositoryCredentials: { kind: 'ssh' } });
    new ExternalSecrets(platform, 'external-secrets', { store: { name: 'vault' } });
    const es = allObjects(platform).find((o) => o.kind === 'ExternalSecret' && o.metadata.name === 'git-repository');
    expect(es.spec.target.template).toEqual({ metadata: { labels: { 'argocd.argoproj.io/secret-type': 'repository' } } });
  });

  it('fails when the kind does not match the repository URL, or is unknown, or the name is bad', () => {
    const platform = testPlatform();
    new ArgoCd(platform, 'argocd', { repositoryCredentials: { kind: 'ssh', secret: 'Repo' } });
    expect(() => platform.manifests()).toThrow(/^argocd: repositoryCredentials\.kind "ssh" does not match git\.repoURL https:\/\/github\.com\/example\/infra\.git\. Fix: give the platform the ssh URL.*\nargocd: repositoryCredentials\.secret "Repo" is not a DNS-1123 subdomain/);
    const p2 = testPlatform();
    new ArgoCd(p2, 'argocd', { repositoryCredentials: { kind: 'token' as 'ssh' } });
    expect(() => p2.manifests()).toThrow('argocd: repositoryCredentials.kind "token" is not a kind of repository credentials. Fix: use "ssh" (a deploy key) or "https" (a token)');
  });
});
