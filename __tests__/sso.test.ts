import { NovahostApp, SharedPostgres, SharedRedis } from '../lib';
import { Flux } from '../lib/gitops/flux';
import { IngressController } from '../lib/services/ingress-controller';
import { Authelia } from '../lib/addons/sso';
import { helmValuesProblems } from './support/schemas';
import { findObject, synthesize, testPlatform } from './support/platform';

function sso(props: Partial<ConstructorParameters<typeof Authelia>[2]> = {}) {
  const platform = testPlatform();
  new Flux(platform, 'flux');
  new IngressController(platform, 'traefik');
  const postgres = new SharedPostgres(platform, 'postgres');
  const redis = new SharedRedis(platform, 'redis');
  const authelia = new Authelia(platform, 'authelia', { database: postgres, cache: { server: redis, index: 0 }, ...props });
  new NovahostApp(platform, 'wiki', { services: { web: { image: 'ghcr.io/example/wiki:1.0.0', port: 3000, route: { path: '/', sso: true } } } });
  return { platform, authelia, out: synthesize(platform) };
}

describe('Authelia', () => {
  it('renders the auth folder (snapshot)', () => {
    expect(sso().out.auth).toMatchSnapshot();
  });

  it('installs chart 0.11.5 as one Deployment with secrets from existing Secrets, values the chart schema accepts', () => {
    const { platform, authelia } = sso();
    const release = platform.helmReleases.find((r) => r.name === 'authelia')!;
    expect(release).toMatchObject({ repoURL: 'https://charts.authelia.com', chart: 'authelia', version: '0.11.5', namespace: 'auth' });
    expect(authelia.values.pod.kind).toBe('Deployment');
    expect(authelia.values.secret.existingSecret).toBe('authelia');
    expect(authelia.values.configMap.session.cookies).toEqual([{ domain: 'example.com', subdomain: 'auth' }]);
    expect(helmValuesProblems('authelia', JSON.parse(JSON.stringify(release.values)))).toEqual([]);
  });

  it('stores into a database of the shared PostgreSQL and keeps sessions in the shared Redis, through the app handles', () => {
    const { authelia, out } = sso();
    expect(authelia.database.database).toBe('authelia');
    expect(authelia.values.configMap.storage.postgres.password).toEqual({ secret_name: authelia.database.password.name, path: authelia.database.password.key });
    expect(authelia.values.configMap.session.redis).toMatchObject({ username: 'authelia', database_index: 0 });
    expect(authelia.values.secret.additionalSecrets).toHaveProperty(authelia.cache.password.name);
    // The provisioning SQL creates Authelia's role and database like an app's.
    expect(findObject(out.shared, 'ConfigMap', 'postgres-provisioning').data['provision.sql']).toContain('authelia');
    expect(findObject(out.shared, 'NetworkPolicy', 'allow-ingress-postgres-from-auth')).toBeDefined();
  });

  it('routes auth.<domain> to itself and adds an access rule for each sso host', () => {
    const { authelia, out } = sso();
    expect(findObject(out.auth, 'Ingress', 'auth-example-com').spec.rules[0].http.paths[0].backend.service).toEqual({ name: 'authelia', port: { number: 9091 } });
    expect(authelia.values.configMap.access_control).toEqual({ default_policy: 'deny', rules: [{ domain: ['wiki.example.com'], policy: 'two_factor' }] });
    expect(findObject(out.wiki, 'Middleware', 'sso-forward-auth').spec.forwardAuth.address).toBe(authelia.forwardAuthAddress);
    expect(findObject(out.auth, 'NetworkPolicy', 'allow-ingress-authelia-from-shared').spec.ingress[0].ports).toEqual([{ port: 9091, protocol: 'TCP' }]);
  });

  describe('fails when', () => {
    it('a second SSO provider is declared', () => {
      const platform = testPlatform();
      const postgres = new SharedPostgres(platform, 'postgres');
      const redis = new SharedRedis(platform, 'redis');
      new Authelia(platform, 'authelia', { database: postgres, cache: { server: redis, index: 0 } });
      expect(() => new Authelia(platform, 'authelia2', { namespace: 'auth2', subdomain: 'login', database: postgres, cache: { server: redis, index: 1 } }))
        .toThrow('is already provided by auth/authelia');
    });
    it('the policy is not a sign-in policy', () => {
      expect(() => sso({ policy: 'bypass' as any }).platform.manifests()).toThrow('auth/authelia: policy "bypass" is not one of AutheliaPolicies. Fix: use one of: AutheliaPolicies.TWO_FACTOR ("two_factor")');
    });
  });
});
