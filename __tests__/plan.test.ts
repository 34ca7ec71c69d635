import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';
import { diff, formatPlan, plan, provisionedDatabases } from '../lib/checks/plan';

const ROOT = path.join(__dirname, '..');

function deployment(image = 'ghcr.io/x/web:1.0.0', selector = { app: 'web' }): any {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'demo', labels: { 'app.kubernetes.io/instance': 'demo', 'app.kubernetes.io/component': 'web' } },
    spec: { replicas: 1, selector: { matchLabels: selector }, template: { metadata: { labels: selector }, spec: { containers: [{ name: 'web', image }] } } },
  };
}

function statefulSet(name = 'postgres', extra: object = {}): any {
  return {
    apiVersion: 'apps/v1', kind: 'StatefulSet',
    metadata: { name, namespace: 'shared', labels: { 'app.kubernetes.io/instance': 'shared-postgres', 'app.kubernetes.io/component': 'database' }, annotations: { 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false' } },
    spec: {
      serviceName: `${name}-headless`, podManagementPolicy: 'OrderedReady', selector: { matchLabels: { app: 'postgres' } },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } } }],
      template: { spec: { containers: [{ name: 'postgres', image: 'postgres:17.2' }] } },
      ...extra,
    },
  };
}

function pvc(storage = '10Gi', extra: object = {}): any {
  return { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: 'shared' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'local-path', resources: { requests: { storage } }, ...extra } };
}

function service(spec: object): any {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'demo' }, spec: { ports: [{ port: 80 }], ...spec } };
}

function job(image: string): any {
  return { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'migrate', namespace: 'demo' }, spec: { template: { spec: { containers: [{ name: 'migrate', image }] } } } };
}

const files = (...objects: any[]): Map<string, any> => new Map(objects.map((o) => [`${o.metadata.namespace ?? o.metadata.name}/${o.kind}.${o.metadata.name}.yaml`, o]));
const reasons = (p: ReturnType<typeof plan>): string[] => p.destructive.map((d) => `${d.object}: ${d.reason}`);

describe('plan', () => {
  it('shows an image bump field by field and lets it pass', () => {
    const p = plan(files(deployment()), files(deployment('ghcr.io/x/web:1.1.0')));
    expect(p.namespaces).toEqual([{
      namespace: 'demo', added: [], removed: [], renamed: [],
      changed: [{ object: 'Deployment/web', changes: ['spec.template.spec.containers[web].image: ghcr.io/x/web:1.0.0 -> ghcr.io/x/web:1.1.0'] }],
    }]);
    expect(p.blocked).toBe(false);
    expect(formatPlan(p)).toBe([
      'demo:',
      '  ~ Deployment/web',
      '      spec.template.spec.containers[web].image: ghcr.io/x/web:1.0.0 -> ghcr.io/x/web:1.1.0',
      '',
      'Plan: 0 to add, 1 to change, 0 to remove, 0 renamed; 0 destructive.',
    ].join('\n'));
  });

  it('says so when nothing changes', () => {
    expect(formatPlan(plan(files(deployment()), files(deployment())))).toBe('No changes.');
  });

  it('blocks the deletion of a PVC, a StatefulSet and a Namespace', () => {
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shared' } };
    const p = plan(files(ns, pvc(), statefulSet()), files());
    expect(reasons(p)).toEqual([
      'shared/Namespace/shared: deleted: a Namespace holds data (with everything in it)',
      'shared/PersistentVolumeClaim/data: deleted: a PersistentVolumeClaim holds data',
      'shared/StatefulSet/postgres: deleted: a StatefulSet holds data. Prune=false keeps the old one in the cluster, orphaned, until it is deleted by hand',
    ]);
    expect(p.blocked).toBe(true);
    expect(formatPlan(p)).toContain('Blocked: review the destructive changes above, then rerun with --allow shared/Namespace/shared --allow shared/PersistentVolumeClaim/data --allow shared/StatefulSet/postgres (or --allow-destructive).');
  });

  it('does not block what is allowed, one object or everything', () => {
    const one = plan(files(pvc(), statefulSet()), files(), { allow: ['shared/PersistentVolumeClaim/data'] });
    expect(one.destructive.map((d) => [d.object, d.allowed])).toEqual([['shared/PersistentVolumeClaim/data', true], ['shared/StatefulSet/postgres', false]]);
    expect(one.blocked).toBe(true);
    expect(plan(files(pvc(), statefulSet()), files(), { allowDestructive: true }).blocked).toBe(false);
  });

  it('blocks changes to immutable StatefulSet fields', () => {
    const after = statefulSet('postgres', { serviceName: 'pg', podManagementPolicy: 'Parallel', selector: { matchLabels: { app: 'pg' } } });
    after.spec.volumeClaimTemplates[0].spec.resources.requests.storage = '20Gi';
    expect(reasons(plan(files(statefulSet()), files(after)))).toEqual([
      'shared/StatefulSet/postgres: spec.selector is immutable: Argo CD can only apply the change by deleting and recreating the StatefulSet',
      'shared/StatefulSet/postgres: spec.volumeClaimTemplates is immutable: Argo CD can only apply the change by deleting and recreating the StatefulSet',
      'shared/StatefulSet/postgres: spec.serviceName is immutable: Argo CD can only apply the change by deleting and recreating the StatefulSet',
      'shared/StatefulSet/postgres: spec.podManagementPolicy is immutable: Argo CD can only apply the change by deleting and recreating the StatefulSet',
    ]);
  });

  it('blocks a Deployment selector change and any Job template change', () => {
    expect(reasons(plan(files(deployment(), job('m:1')), files(deployment(undefined, { app: 'web2' }), job('m:2'))))).toEqual([
      'demo/Deployment/web: spec.selector is immutable: Argo CD can only apply the change by deleting and recreating the Deployment',
      'demo/Job/migrate: spec.template is immutable: Argo CD can only apply the change by deleting and recreating the Job',
    ]);
  });

  it('blocks Service clusterIP changes and type changes to or from ExternalName', () => {
    expect(reasons(plan(files(service({})), files(service({ clusterIP: 'None' }))))).toEqual([
      'demo/Service/web: spec.clusterIP (auto) -> None is immutable: the Service is deleted and recreated (clients see a new IP)',
    ]);
    expect(reasons(plan(files(service({ type: 'ClusterIP' })), files(service({ type: 'ExternalName', externalName: 'x.example.com' }))))).toEqual([
      'demo/Service/web: spec.type ClusterIP -> ExternalName: a change to or from ExternalName recreates the Service',
    ]);
    expect(plan(files(service({ type: 'ClusterIP' })), files(service({ type: 'NodePort' }))).blocked).toBe(false);
  });

  it('blocks immutable PVC fields and a shrink, and warns about a growth', () => {
    expect(reasons(plan(files(pvc()), files(pvc('5Gi', { storageClassName: 'longhorn', accessModes: ['ReadWriteMany'] }))))).toEqual([
      'shared/PersistentVolumeClaim/data: spec.storageClassName is immutable: Argo CD can only apply the change by deleting and recreating the PersistentVolumeClaim',
      'shared/PersistentVolumeClaim/data: spec.accessModes is immutable: Argo CD can only apply the change by deleting and recreating the PersistentVolumeClaim',
      'shared/PersistentVolumeClaim/data: spec.resources.requests.storage 10Gi -> 5Gi: a volume cannot shrink; the PVC would have to be recreated, losing its data',
    ]);
    const grow = plan(files(pvc()), files(pvc('20Gi')));
    expect(grow.blocked).toBe(false);
    expect(grow.warnings.map((w) => w.reason)).toEqual(['spec.resources.requests.storage 10Gi -> 20Gi: expansion needs a StorageClass with allowVolumeExpansion (k3s local-path has none)']);
  });

  it('reports a renamed stateful construct as a rename that recreates it', () => {
    const p = plan(files(statefulSet('postgres')), files(statefulSet('shared-postgres')));
    expect(p.namespaces[0].renamed).toEqual([{ from: 'StatefulSet/postgres', to: 'StatefulSet/shared-postgres' }]);
    expect(p.namespaces[0].added).toEqual([]);
    expect(reasons(p)).toEqual([
      'shared/StatefulSet/postgres: renamed to shared-postgres (a changed construct id?): the StatefulSet is deleted and a new, empty one created; its data does not follow the name. Prune=false keeps the old one in the cluster, orphaned, until it is deleted by hand',
    ]);
  });

  it('warns, without blocking, when provisioning no longer creates a database', () => {
    const sql = (dbs: string[]) => ({
      apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'postgres-provisioning', namespace: 'shared' },
      data: { 'provision.sql': dbs.map((d, i) => `SELECT '${d}' AS db_${i}, '${d}' AS role_${i} \\gset\nSELECT format('CREATE DATABASE %I OWNER %I', :'db_${i}', :'role_${i}') \\gexec`).join('\n') },
    });
    const p = plan(files(sql(['novahost', 'umami'])), files(sql(['novahost'])));
    expect(p.blocked).toBe(false);
    expect(p.warnings).toEqual([{ object: 'shared/ConfigMap/postgres-provisioning', reason: 'database "umami" is no longer provisioned: data stays, see README to drop deliberately' }]);
  });

  it('reads literal CREATE DATABASE targets and ignores comments', () => {
    const cm = { kind: 'ConfigMap', metadata: { name: 'x' }, data: { 'init.sql': 'CREATE DATABASE app;\n-- CREATE DATABASE old;\nCREATE DATABASE IF NOT EXISTS "Mixed";\n' } };
    expect([...provisionedDatabases(cm)!]).toEqual(['app', 'Mixed']);
    expect(provisionedDatabases({ kind: 'ConfigMap', data: { a: 'b' } })).toBeUndefined();
  });

  it('diffs by name in lists and keys with dots, and shows a multi-line value as a line diff', () => {
    expect(diff({ data: { 'a.conf': 'x\ny' }, ports: [{ name: 'http', port: 80 }] }, { data: { 'a.conf': 'x\ny\nz' }, ports: [{ name: 'http', port: 8080 }] })).toEqual([
      'data["a.conf"]: (2 lines) -> (3 lines)\n  @@ line 1 @@\n    x\n    y\n  + z',
      'ports[http].port: 80 -> 8080',
    ]);
  });

  it('shows the changed lines of a long script with two lines of context, nothing else', () => {
    const lines = Array.from({ length: 40 }, (_, i) => `line ${i + 1}`);
    const changed = [...lines];
    changed[19] = 'line 20, changed';
    const [entry] = diff({ command: ['sh', '-c', lines.join('\n')] }, { command: ['sh', '-c', changed.join('\n')] });
    expect(entry.split('\n')).toEqual([
      'command[2]: (40 lines) -> (40 lines)',
      '  @@ line 18 @@', '    line 18', '    line 19', '  - line 20', '  + line 20, changed', '    line 21', '    line 22',
    ]);
  });

  it('shows short values whole and long single-line values as the differing part with context', () => {
    expect(diff({ a: { x: 1 } }, { a: { x: 2, y: [1, 2] } })).toEqual(['a.x: 1 -> 2', 'a.y: (none) -> [1,2]']);
    const long = (mid: string) => `${'a'.repeat(100)}${mid}${'b'.repeat(100)}`;
    const [entry] = diff({ v: long('OLD') }, { v: long('NEW') });
    expect(entry).toBe(`v: …${'a'.repeat(30)}OLD${'b'.repeat(30)}… -> …${'a'.repeat(30)}NEW${'b'.repeat(30)}…`);
    // The new env entry of a Job, in full (the old output cut it before the Secret's name).
    const env = { name: 'PASSWORD_WIKI', valueFrom: { secretKeyRef: { key: 'password', name: 'postgres-app-wiki' } } };
    expect(diff({ env: [] }, { env: [env] })).toEqual([`env[PASSWORD_WIKI]: (none) -> ${JSON.stringify(env)}`]);
  });

  it('indents the line diff under its field in the printed plan', () => {
    const cm = (v: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'demo' }, data: { 'a.conf': v } });
    expect(formatPlan(plan(files(cm('x\ny')), files(cm('x\nz'))))).toContain([
      '  ~ ConfigMap/c', '      data["a.conf"]: (2 lines) -> (2 lines)', '          @@ line 1 @@', '            x', '          - y', '          + z',
    ].join('\n'));
  });
});

describe('plan: what the GitOps engine recreates itself', () => {
  const hookJob = (image: string, annotations: Record<string, string>) => ({ ...job(image), metadata: { ...job(image).metadata, annotations } });

  it('does not block a changed Argo CD hook Job with BeforeHookCreation (the provisioning Job)', () => {
    const a = { 'argocd.argoproj.io/hook': 'PostSync', 'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation' };
    const p = plan(files(hookJob('psql:1', a)), files(hookJob('psql:2', a)));
    expect(p.destructive).toEqual([]);
    expect(p.blocked).toBe(false);
    expect(p.namespaces[0].changed[0].changes).toEqual(['spec.template.spec.containers[migrate].image: psql:1 -> psql:2']);
  });

  it('does not block a changed Job that Flux force-replaces', () => {
    const a = { 'kustomize.toolkit.fluxcd.io/force': 'enabled' };
    expect(plan(files(hookJob('psql:1', a)), files(hookJob('psql:2', a))).blocked).toBe(false);
  });

  it('still blocks a hook without BeforeHookCreation, and a plain Job', () => {
    const a = { 'argocd.argoproj.io/hook': 'PostSync', 'argocd.argoproj.io/hook-delete-policy': 'HookFailed' };
    expect(reasons(plan(files(hookJob('psql:1', a)), files(hookJob('psql:2', a))))).toEqual([
      'demo/Job/migrate: spec.template is immutable: Argo CD can only apply the change by deleting and recreating the Job',
    ]);
    expect(plan(files(job('a:1')), files(job('a:2'))).blocked).toBe(true);
  });
});

describe('plan: --allow', () => {
  it('is an error when it matches no destructive change, and suggests the one that differs only in case', () => {
    const p = plan(files(pvc()), files(), { allow: ['shared/persistentvolumeclaim/data', 'shared/PersistentVolumeClaim/other'] });
    expect(p.unmatchedAllows).toEqual([
      { allow: 'shared/persistentvolumeclaim/data', didYouMean: 'shared/PersistentVolumeClaim/data' },
      { allow: 'shared/PersistentVolumeClaim/other' },
    ]);
    expect(p.blocked).toBe(true);
    expect(formatPlan(p)).toContain('Unmatched: --allow shared/persistentvolumeclaim/data names no destructive change of this plan (names match exactly, case-sensitively); did you mean --allow shared/PersistentVolumeClaim/data?');
  });

  it('matched entries leave nothing unmatched', () => {
    const p = plan(files(pvc()), files(), { allow: ['shared/PersistentVolumeClaim/data'] });
    expect([p.unmatchedAllows, p.blocked]).toEqual([[], false]);
  });
});

describe('scripts/plan.ts (CLI)', () => {
  let repo: string;

  function write(dir: string, objects: any[]): void {
    fs.rmSync(dir, { recursive: true, force: true });
    for (const [file, o] of files(...objects)) {
      fs.mkdirSync(path.join(dir, path.dirname(file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), stringify(o));
    }
  }

  function run(...args: string[]): { code: number | null; out: string } {
    const r = spawnSync(process.execPath, ['-r', path.join(ROOT, 'scripts/swc-register.js'), path.join(ROOT, 'scripts/plan.ts'), ...args], {
      cwd: repo, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' },
    });
    return { code: r.status, out: r.stdout + r.stderr };
  }

  beforeAll(() => {
    repo = fs.mkdtempSync(path.join(os.tmpdir(), 'novahost-plan-test-'));
    const git = (...a: string[]) => execFileSync('git', a, { cwd: repo, stdio: 'pipe' });
    git('init', '-q');
    write(path.join(repo, 'dist'), [deployment(), pvc()]);
    git('add', 'dist');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'dist');
  });

  afterAll(() => {
    if (repo) fs.rmSync(repo, { recursive: true, force: true });
  });

  it('exits 0 on an image bump', () => {
    write(path.join(repo, 'next'), [deployment('ghcr.io/x/web:1.1.0'), pvc()]);
    const r = run('--after', 'next');
    expect(r.out).toContain('spec.template.spec.containers[web].image: ghcr.io/x/web:1.0.0 -> ghcr.io/x/web:1.1.0');
    expect(r.code).toBe(0);
  });

  it('exits 1 on a destructive change, 0 when it is allowed', () => {
    write(path.join(repo, 'next'), [deployment()]);
    const blocked = run('--after', 'next', '--ref', 'HEAD');
    expect(blocked.out).toContain('BLOCKED shared/PersistentVolumeClaim/data: deleted: a PersistentVolumeClaim holds data');
    expect(blocked.code).toBe(1);
    expect(run('--after', 'next', '--allow', 'shared/PersistentVolumeClaim/data').code).toBe(0);
    expect(run('--after', 'next', '--allow-destructive').code).toBe(0);
  });

  it('exits 2 on a bad ref or argument', () => {
    const r = run('--after', 'next', '--ref', 'no-such-ref');
    expect(r.out).toContain('plan: git ref "no-such-ref" does not exist here');
    expect(r.code).toBe(2);
    expect(run('--allow', 'just-a-name').code).toBe(2);
  });

  it('exits 2 when an --allow matches nothing, naming it', () => {
    write(path.join(repo, 'next'), [deployment()]);
    const r = run('--after', 'next', '--allow', 'shared/PersistentVolumeClaim/data', '--allow', 'shared/persistentvolumeclaim/data');
    expect(r.out).toContain('did you mean --allow shared/PersistentVolumeClaim/data?');
    expect(r.code).toBe(2);
  });

  it('type-checks the project before it synthesizes, and stops on a type error', () => {
    const project = fs.mkdtempSync(path.join(os.tmpdir(), 'novahost-plan-tsc-'));
    try {
      fs.mkdirSync(path.join(project, 'scripts'));
      fs.copyFileSync(path.join(ROOT, 'scripts', 'swc-register.js'), path.join(project, 'scripts', 'swc-register.js'));
      fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(project, 'node_modules'));
      fs.writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, types: [] }, include: ['*.ts'] }));
      fs.writeFileSync(path.join(project, 'main.ts'), "const port: number = '3000';\nexport { port };\n");
      const git = (...a: string[]) => execFileSync('git', a, { cwd: project, stdio: 'pipe' });
      git('init', '-q');
      write(path.join(project, 'dist'), [pvc()]);
      git('add', '-A');
      git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'dist');
      const plan = (...args: string[]) => spawnSync(process.execPath, ['-r', path.join(ROOT, 'scripts/swc-register.js'), path.join(ROOT, 'scripts/plan.ts'), ...args], {
        cwd: project, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' },
      });
      const failed = plan();
      expect(failed.stderr).toContain("main.ts(1,7): error TS2322: Type 'string' is not assignable to type 'number'.");
      expect(failed.status).toBe(2);
      expect(fs.readdirSync(path.join(ROOT, 'node_modules', '.cache', 'tsc')).some((f) => f.endsWith('.tsbuildinfo'))).toBe(true);
      // Skipped on request: main.ts synthesizes nothing here, so the PVC's deletion blocks (exit 1).
      const skipped = plan('--no-typecheck');
      expect(skipped.stdout).toContain('BLOCKED shared/PersistentVolumeClaim/data');
      expect(skipped.status).toBe(1);
    } finally {
      fs.rmSync(project, { recursive: true, force: true });
    }
  });

  it('prints its help on --help and exits 0', () => {
    const r = run('--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain('case-sensitively');
  });
});
