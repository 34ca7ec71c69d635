import { ExternalSecrets, NovahostApp, SharedPostgres, SharedRedis } from '../lib';
import { findSecretUses, secretInventory } from '../lib/checks/secrets/inventory';
import { platform as reference } from '../main';
import { andSynth, routedPlatform, synthesize } from './support/platform';
import { helmValuesProblems, validateAll } from './support/schemas';

function withExternalSecrets() {
  const platform = routedPlatform();
  const postgres = new SharedPostgres(platform, 'postgres');
  const redis = new SharedRedis(platform, 'redis');
  new NovahostApp(platform, 'shop', {
    database: { server: postgres },
    cache: { server: redis, index: 0 },
    services: {
      web: {
        image: 'ghcr.io/x/web:1.0.0', port: 3000, route: { path: '/' }, database: true, cache: true,
        secretEnv: { STRIPE_KEY: { secret: 'shop-stripe', key: 'api-key' } },
      },
    },
  });
  const eso = new ExternalSecrets(platform, 'external-secrets', { store: { name: 'vault' } });
  const out = synthesize(platform);
  return { platform, eso, out, objects: Object.values(out).flat() };
}

describe('ExternalSecrets', () => {
  it('renders one ExternalSecret per Secret of the inventory, with its keys (snapshot)', () => {
    const { platform, objects } = withExternalSecrets();
    const externals = objects.filter((o) => o.kind === 'ExternalSecret');
    expect(externals).toMatchSnapshot();
    const inventory = secretInventory(platform, objects);
    expect(externals.map((e) => `${e.metadata.namespace}/${e.spec.target.name}`).sort()).toEqual(inventory.map((s) => `${s.namespace}/${s.name}`).sort());
    for (const s of inventory) {
      const e = externals.find((x) => x.metadata.namespace === s.namespace && x.spec.target.name === s.name);
      expect(e.spec.data.map((d: any) => d.secretKey).sort()).toEqual(s.keys.map((k) => k.key).sort());
      expect(e.spec.secretStoreRef).toEqual({ name: 'vault', kind: 'ClusterSecretStore' });
      expect(e.spec.target.deletionPolicy).toBe('Retain');
    }
  });

  it('leaves no Secret that a pod reads without an ExternalSecret', () => {
    const { objects } = withExternalSecrets();
    const provided = new Set(objects.filter((o) => o.kind === 'ExternalSecret').map((e) => `${e.metadata.namespace}/${e.spec.target.name}`));
    for (const use of findSecretUses(objects)) expect([use.object, provided.has(`${use.namespace}/${use.name}`)]).toEqual([use.object, true]);
  });

  it('reads values that must agree from one remote entry', () => {
    const { objects } = withExternalSecrets();
    const remote = (ns: string, name: string) => objects.find((o) => o.kind === 'ExternalSecret' && o.metadata.namespace === ns && o.metadata.name === name).spec.data[0].remoteRef;
    expect(remote('shop', 'shop-postgres')).toEqual(remote('shared', 'postgres-app-shop'));
    expect(remote('shop', 'shop-redis')).toEqual(remote('shared', 'redis-user-shop'));
    expect(remote('shop', 'shop-postgres')).not.toEqual(remote('shop', 'shop-redis'));
    expect(remote('shop', 'shop-stripe')).toEqual({ key: 'novahost-platform/shop/shop-stripe', property: 'api-key' });
  });

  it('installs the operator at a pinned version, in its own namespace, with schema-valid objects', () => {
    const { platform, objects, out } = withExternalSecrets();
    expect(platform.helmReleases.find((r) => r.name === 'external-secrets')).toMatchObject({ version: '2.9.0', namespace: 'external-secrets', serverSideApply: true });
    expect(out['external-secrets'][0]).toMatchObject({ kind: 'Namespace', metadata: { name: 'external-secrets' } });
    expect(validateAll(objects)).toEqual([]);
  });

  it("passes values the chart's own schema accepts", () => {
    const { eso } = withExternalSecrets();
    expect(helmValuesProblems('external-secrets', eso.values as any)).toEqual([]);
    expect(helmValuesProblems('external-secrets', { ...eso.values, webhookk: {} } as any)).not.toEqual([]);
  });

  it('is off by default: the reference installation creates its Secrets by hand', () => {
    expect([...reference.manifests().values()].flat().filter((o: any) => o.kind === 'ExternalSecret')).toEqual([]);
  });

  it.each([
    [{ store: { name: 'Vault!' } }, /store.name "Vault!" is not a DNS-1123 subdomain/],
    [{ store: { name: 'vault' }, refreshInterval: 'hourly' }, /refreshInterval "hourly" is not a positive Go duration/],
    [{ store: { name: 'vault' }, remotePrefix: '../x y' }, /remotePrefix "..\/x y" is not a path/],
  ])('fails when the settings are wrong: %j', (props, message) => {
    expect(andSynth(() => new ExternalSecrets(routedPlatform(), 'eso', props as any))).toThrow(message);
  });
});
