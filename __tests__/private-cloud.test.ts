import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { capacityReport, formatCapacityTable } from '../lib/checks/capacity';
import { ALL_POLICIES, formatFindings, runPolicies } from '../lib/checks/policies';
import { secretInventory, undeclaredUses } from '../lib/checks/secrets/inventory';
import { helmValuesProblems } from './support/schemas';
import { validateWithMinimal } from './support/minimal-schemas';
import { findObject } from './support/platform';

/** The example synthesized in-process, once (it is a module with one platform). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const example = require('../examples/private-cloud') as typeof import('../examples/private-cloud');
const out = Object.fromEntries(example.platform.manifests()) as Record<string, any[]>;
const objects = Object.values(out).flat();

describe('examples/private-cloud.ts', () => {
  it('synthesizes the namespace folders of the profile (snapshot)', () => {
    expect(Object.keys(out).sort()).toEqual(['auth', 'fastapi', 'flux-system', 'go-api', 'longhorn-system', 'registry', 'shared']);
    expect(out).toMatchSnapshot();
  });

  it('validates every object against its schema', () => {
    expect(validateWithMinimal(objects)).toEqual([]);
  });

  it('passes the policy suite (one reviewed exception: a route to a chart-rendered Service)', () => {
    const findings = runPolicies(objects, example.POLICY_EXCEPTIONS, ALL_POLICIES);
    if (findings.length) throw new Error(formatFindings(findings));
  });

  it('fits one 2 vCPU / 4 GiB node with k3s, the Flux controllers and k3s\'s Traefik reserved', () => {
    const report = capacityReport(objects, example.platform.helmReleases, example.platform.capacity);
    if (!report.fits) throw new Error(formatCapacityTable(report, 40));
    expect(example.platform.capacity.cpu).toBe('2');
    expect(example.platform.capacity.memory).toBe('4Gi');
  });

  it('gives every chart values its own schema (or values.yaml) accepts', () => {
    for (const r of example.platform.helmReleases) expect([r.chart, helmValuesProblems(r.chart, JSON.parse(JSON.stringify(r.values)))]).toEqual([r.chart, []]);
  });

  it('is applied by Flux only: no Argo CD object, every folder has a Kustomization, releases as HelmReleases', () => {
    const fs = out['flux-system'];
    expect(objects.filter((o) => o.apiVersion.startsWith('argoproj.io'))).toEqual([]);
    for (const ns of Object.keys(out).filter((n) => n !== 'flux-system')) expect(findObject(fs, 'Kustomization', ns).spec.path).toBe(`./clusters/private-cloud/${ns}`);
    expect(fs.filter((o) => o.kind === 'HelmRelease').map((r) => `${r.metadata.name}@${r.spec.chart.spec.version}`).sort())
      .toEqual(['authelia@0.11.5', 'cert-manager@v1.21.1', 'longhorn@1.12.1']);
    // Shared services (and Authelia, which stores into them) before the apps.
    const apps = findObject(fs, 'Kustomization', 'go-api').spec.dependsOn.map((d: any) => d.name);
    expect(apps).toEqual(expect.arrayContaining(['auth', 'longhorn-system', 'registry', 'shared']));
    expect(findObject(fs, 'Kustomization', 'shared').spec.dependsOn).toEqual([{ name: 'root' }]);
    expect(findObject(fs, 'Kustomization', 'root').spec.healthChecks.map((h: any) => h.name)).toEqual(['cert-manager', 'longhorn']);
  });

  it('wires the Go and FastAPI apps to their own databases with discrete DB_* variables, images from the registry', () => {
    for (const [ns, name, database] of [['go-api', 'api', 'go_api'], ['fastapi', 'web', 'fastapi']]) {
      const container = findObject(out[ns], 'Deployment', name).spec.template.spec.containers[0];
      expect(container.image).toMatch(/^registry\.novahost\.example\//);
      const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
      expect(env).toMatchObject({ DB_HOST: 'postgres.shared.svc.cluster.local', DB_PORT: '5432', DB_NAME: database, DB_USER: database });
      expect(env.DB_PASSWORD.secretKeyRef).toBeDefined();
      expect(env.DATABASE_URL).toBeUndefined();
    }
  });

  it('lets Authelia use the same PostgreSQL and Redis handles as the apps, and puts the FastAPI route behind it', () => {
    const authelia = example.platform.helmReleases.find((r) => r.name === 'authelia')!.values as any;
    expect(authelia.configMap.storage.postgres).toMatchObject({ enabled: true, address: 'tcp://postgres.shared.svc.cluster.local:5432', database: 'authelia', username: 'authelia' });
    expect(authelia.configMap.session.redis).toMatchObject({ enabled: true, host: 'redis.shared.svc.cluster.local', username: 'authelia', database_index: 0 });
    expect(authelia.configMap.access_control.rules).toEqual([{ domain: ['fastapi.novahost.example'], policy: 'two_factor' }]);
    expect(authelia.pod.kind).toBe('Deployment');
    expect(authelia.secret.existingSecret).toBe('authelia');
    const ingress = findObject(out.fastapi, 'Ingress', 'fastapi-novahost-example-sso');
    expect(ingress.metadata.annotations['traefik.ingress.kubernetes.io/router.middlewares']).toBe('fastapi-sso-forward-auth@kubernetescrd');
    expect(findObject(out.fastapi, 'Middleware', 'sso-forward-auth').spec.forwardAuth.address).toBe('http://authelia.auth.svc.cluster.local:9091/api/authz/forward-auth');
    expect(findObject(out.auth, 'Ingress', 'auth-novahost-example').spec.rules[0].host).toBe('auth.novahost.example');
    // PostgreSQL and Redis accept Authelia's pods; Authelia accepts the forward-auth calls from k3s's Traefik.
    expect(findObject(out.shared, 'NetworkPolicy', 'allow-ingress-postgres-from-auth')).toBeDefined();
    expect(findObject(out.shared, 'NetworkPolicy', 'allow-ingress-redis-from-auth')).toBeDefined();
    expect(findObject(out.auth, 'NetworkPolicy', 'allow-ingress-authelia-from-kube-system').spec.ingress[0].ports).toEqual([{ port: 9091, protocol: 'TCP' }]);
  });

  it('keeps data on the retained Longhorn class, protected from pruning', () => {
    expect(findObject(out['longhorn-system'], 'StorageClass', 'longhorn-retain').reclaimPolicy).toBe('Retain');
    for (const s of objects.filter((o) => o.kind === 'StatefulSet')) {
      expect([s.metadata.name, s.spec.volumeClaimTemplates[0].spec.storageClassName]).toEqual([s.metadata.name, 'longhorn-retain']);
      expect(s.spec.volumeClaimTemplates[0].metadata.annotations['kustomize.toolkit.fluxcd.io/prune']).toBe('disabled');
    }
    expect(findObject(out['longhorn-system'], 'RecurringJob', 'snapshot-daily').spec).toMatchObject({ task: 'snapshot', groups: ['default'], retain: 7 });
  });

  it('lists every Secret its objects read in the secrets inventory', () => {
    const inventory = secretInventory(example.platform, objects);
    expect(undeclaredUses(inventory, objects)).toEqual([]);
    const names = inventory.map((s) => `${s.namespace}/${s.name}`);
    expect(names).toEqual(expect.arrayContaining(['auth/authelia', 'auth/authelia-users', 'registry/registry-htpasswd', 'registry/registry-http-secret', 'flux-system/platform-git', 'flux-system/registry-pull']));
  });

  it('gives the node a registries.yaml for the registry host', () => {
    expect(Object.keys(parse(example.registry.registriesYaml(example.NODE_PULL_USER)).configs)).toEqual(['registry.novahost.example']);
  });
});

describe('docs/ node files', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const node = require('../examples/private-cloud-node') as typeof import('../examples/private-cloud-node');
  const fs = require('fs') as typeof import('fs');

  it.each(Object.keys(node.nodeFiles()))('docs/%s is what examples/private-cloud-node.ts renders, and parses', (file) => {
    const text = fs.readFileSync(`${__dirname}/../docs/${file}`, 'utf8');
    expect(text).toBe(node.nodeFiles()[file]);
    expect(parse(text)).toBeTruthy();
  });

  it('pulls from the registry host the installation serves', () => {
    expect(node.REGISTRY_HOST).toBe(example.registry.host);
    expect(node.NODE_PULL_USER).toBe(example.NODE_PULL_USER);
    expect(parse(fs.readFileSync(`${__dirname}/../docs/cloud-init.yaml`, 'utf8')).runcmd.join('\n')).not.toContain('--disable=traefik');
  });
});

describe('examples/private-cloud.ts as a script', () => {
  const ROOT = path.join(__dirname, '..');
  const stamp = () => fs.statSync(path.join(ROOT, 'dist', 'argocd')).mtimeMs;
  const run = (outdir: string) => spawnSync(process.execPath, ['-r', './scripts/swc-register.js', 'examples/private-cloud.ts'], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '', CDK8S_OUTDIR: outdir },
  });

  it.each(['', 'dist', './dist/', path.join(ROOT, 'dist')])('refuses CDK8S_OUTDIR="%s", leaving the reference dist/ alone', (outdir) => {
    const before = stamp();
    const r = run(outdir);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('set CDK8S_OUTDIR to the folder to write, other than the reference installation');
    expect(stamp()).toBe(before);
  });
});
