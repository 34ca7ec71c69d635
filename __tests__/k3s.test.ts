import { parse } from 'yaml';
import { ArgoCd, IngressController, NovahostApp } from '../lib';
import { Flux } from '../lib/gitops/flux';
import { TraefikInstalls } from '../lib/services/ingress-controller';
import { K3S_VERSION, k3sServerFlags, NodeStorage, renderCloudInit, renderRegistriesYaml, withReserved } from '../lib/cluster/k3s';
import { validateWithMinimal } from './support/minimal-schemas';
import { helmValuesProblems } from './support/schemas';
import { findObject, synthesize, testPlatform } from './support/platform';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHx0Yb0dJ8m0k1B2c3d4e5f6g7h8i9j0k1l2m3n4o5p6 ops@example.com';

describe('k3s bundled Traefik', () => {
  function bundled() {
    const platform = testPlatform();
    new Flux(platform, 'flux');
    const traefik = new IngressController(platform, 'traefik', { install: TraefikInstalls.K3S_BUNDLED });
    new NovahostApp(platform, 'app', { services: { web: { image: 'ghcr.io/example/web:1.0.0', port: 3000, route: { path: '/' } } } });
    return { platform, traefik, out: synthesize(platform) };
  }

  it('configures k3s\'s Traefik with a HelmChartConfig in kube-system and installs no second one', () => {
    const { platform, traefik, out } = bundled();
    const config = findObject(out.shared, 'HelmChartConfig', 'traefik');
    expect(config.metadata.namespace).toBe('kube-system');
    expect(parse(config.spec.valuesContent)).toEqual(JSON.parse(JSON.stringify(traefik.values)));
    expect(platform.helmReleases).toEqual([]);
    expect(out['flux-system'].filter((o) => o.kind === 'HelmRelease')).toEqual([]);
    expect(validateWithMinimal([config])).toEqual([]);
  });

  it('gives k3s\'s Traefik (chart 37.x) only keys its values.yaml knows, which differ from 41.x', () => {
    const { out } = bundled();
    const values = parse(findObject(out.shared, 'HelmChartConfig', 'traefik').spec.valuesContent);
    expect(helmValuesProblems('traefik-k3s', values)).toEqual([]);
    // 41.x's spelling of the redirect is unknown to 37.x (helm would ignore it without a word).
    expect(helmValuesProblems('traefik-k3s', { ports: { web: { http: { redirections: {} } } } }))
      .toEqual([expect.stringMatching(/^ports\.web\.http: unknown key \(no such value in chart traefik-k3s 37\.1\.1\+up37\.1\.0 values\.yaml/)]);
  });

  it('lets the routed pods be reached from k3s\'s Traefik pods in kube-system', () => {
    const policy = findObject(bundled().out.app, 'NetworkPolicy', 'allow-ingress-web-from-kube-system');
    expect(policy.spec.ingress[0].from).toEqual([{
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'traefik' } },
    }]);
  });

  it('fails with Argo CD, whose platform project does not admit kube-system', () => {
    const platform = testPlatform();
    new ArgoCd(platform, 'argocd');
    new IngressController(platform, 'traefik', { install: TraefikInstalls.K3S_BUNDLED });
    expect(() => synthesize(platform)).toThrow('install "k3s-bundled" renders a HelmChartConfig in kube-system, which Argo CD\'s "platform" AppProject does not admit');
  });
});

describe('registries.yaml', () => {
  it('gives containerd the registry login over HTTPS, with a placeholder for the password', () => {
    const text = renderRegistriesYaml({ host: 'registry.example.com', username: 'k3s-node' });
    expect(parse(text)).toEqual({
      mirrors: { 'registry.example.com': { endpoint: ['https://registry.example.com'] } },
      configs: { 'registry.example.com': { auth: { username: 'k3s-node', password: 'REPLACE_WITH_REGISTRY_PULL_PASSWORD' } } },
    });
  });

  it('fails on a host that is not a host name', () => {
    expect(() => renderRegistriesYaml({ host: 'https://registry.example.com', username: 'k3s-node' })).toThrow('registries.yaml: host "https://registry.example.com" is not a lower-case fully qualified domain name');
  });
});

describe('cloud-init', () => {
  const props = {
    hostname: 'novahost-1',
    sshAuthorizedKeys: [KEY],
    storage: NodeStorage.LONGHORN,
    volumeDevice: '/dev/disk/by-id/scsi-0HC_Volume_100000001',
    bundledTraefik: true,
    registriesYaml: renderRegistriesYaml({ host: 'registry.example.com', username: 'k3s-node' }),
  };

  it('parses as cloud-config: volume formatted once and mounted before k3s is installed', () => {
    const text = renderCloudInit(props);
    expect(text.startsWith('#cloud-config\n')).toBe(true);
    const doc = parse(text);
    expect(doc.packages).toEqual(['curl', 'open-iscsi', 'nfs-common']);
    expect(doc.write_files[0]).toMatchObject({ path: '/etc/rancher/k3s/registries.yaml', permissions: '0600' });
    expect(parse(doc.write_files[0].content).configs['registry.example.com'].auth.username).toBe('k3s-node');
    const cmds: string[] = doc.runcmd;
    const format = cmds.findIndex((c) => c.includes('mkfs.ext4'));
    expect(cmds[format]).toMatch(/^blkid \S+ >\/dev\/null 2>&1 \|\| mkfs\.ext4/);
    // k3s is installed only when the volume is mounted (runcmd goes on after a failed command).
    const install = cmds.find((c) => c.includes('get.k3s.io'))!;
    expect(install.startsWith('mountpoint -q /var/lib/longhorn && curl -sfL https://get.k3s.io')).toBe(true);
    expect(cmds.indexOf(install)).toBeGreaterThan(format);
    expect(install).toContain(`INSTALL_K3S_VERSION='${K3S_VERSION}'`);
  });

  it('disables the bundled Traefik only when the platform installs its own, and local-path with Longhorn', () => {
    expect(k3sServerFlags({ storage: NodeStorage.LONGHORN, bundledTraefik: true })).toEqual(['--write-kubeconfig-mode=0600', '--secrets-encryption', '--disable=local-storage']);
    expect(k3sServerFlags({ storage: NodeStorage.LOCAL_PATH, bundledTraefik: false })).toEqual(['--write-kubeconfig-mode=0600', '--secrets-encryption', '--disable=traefik']);
  });

  it('fails on a key that is not a public key', () => {
    expect(() => renderCloudInit({ ...props, sshAuthorizedKeys: ['-----BEGIN OPENSSH PRIVATE KEY-----'] })).toThrow('cloud-init: sshAuthorizedKeys');
  });

  it('adds what is not in dist/ to the node reserve', () => {
    expect(withReserved({ cpu: '2', memory: '4Gi' }, { cpu: '100m', memory: '64Mi' }).systemReserved).toEqual({ cpu: '350m', memory: '832Mi' });
  });
});
