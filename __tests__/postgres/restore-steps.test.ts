import { parseAllDocuments } from 'yaml';
import { NovahostApp } from '../../lib';
import { downloadScript } from '../../lib/data/postgres/offsite';
import { scratchDumpScript } from '../../lib/data/postgres/pitr';
import { parseRestoreTime } from '../../lib/data/postgres/restore-steps';
import { SharedPostgres } from '../../lib/data/postgres/shared-postgres';
import { BEGIN, END, backupsBlock, withBackups } from '../../scripts/backups';
import { README } from '../../scripts/readme-blocks';
import { Construct } from 'constructs';
import { ArgoCd, BackupDeclarer, declareBackups, Flux, SharedRedis } from '../../lib';
import * as fs from 'fs';
import { allObjects, testPlatform } from '../support/platform';
import { canConnect } from '../support/reachability';

/**
 * The printed restore procedures use the scripts pitr.test.ts proves on a real server, and name
 * objects that exist in the rendered platform. The README's data-safety block is fresh.
 */
function setup(backup = {}) {
  const platform = testPlatform();
  new ArgoCd(platform, 'argocd');
  const postgres = new SharedPostgres(platform, 'postgres', {
    backup: { s3: { endpoint: 'https://fra1.digitaloceanspaces.com', bucket: 'example-backups', credentialsSecret: 'postgres-backup-s3' }, ...backup },
  });
  new NovahostApp(platform, 'app-a', { services: { web: { image: 'ghcr.io/example/web:1.0.0', port: 3000, database: true } }, database: { server: postgres, extensions: ['timescaledb'] } });
  return { platform, postgres, objects: allObjects(platform) };
}

const manifestOf = (steps: string) => parseAllDocuments(/<<'MANIFEST'\n([\s\S]*?)\nMANIFEST/.exec(steps)![1])[0].toJS();
const T = new Date('2026-11-23T14:05:00Z');

describe('printed restore procedures', () => {
  const { postgres, objects } = setup();
  const names = new Set(objects.map((o) => `${o.kind}/${o.metadata.name}`));

  it('restores one database to a time with the proven scratch script, beside the server', () => {
    const steps = postgres.pointInTimeRestore('app_a', T);
    const pod = manifestOf(steps);
    expect(pod.spec.containers[0].command[2]).toBe(scratchDumpScript({
      walDir: '/backups/wal-archive', baseDir: '/backups/base-backups', dataDir: '/scratch/pgdata', target: T, database: 'app_a',
      configFile: '/etc/postgresql/postgresql.conf', socketDir: '/tmp', outDir: '/backups/pitr',
    }));
    for (const v of pod.spec.volumes) {
      if (v.persistentVolumeClaim) expect(names).toContain(`PersistentVolumeClaim/${v.persistentVolumeClaim.claimName}`);
      if (v.configMap) expect(names).toContain(`ConfigMap/${v.configMap.name}`);
    }
    expect(pod.spec.affinity.podAffinity).toBeDefined();
    expect(steps).toContain('ALTER DATABASE "app_a" RENAME TO "app_a_before_20261123t140500z"');
    expect(steps).toContain('timescaledb_pre_restore');
    // The root's sync is held first (its self-heal would undo the folder's), and resumed last.
    const lines = steps.split('\n');
    expect(lines.filter((l) => l.includes('patch application'))).toEqual([
      "kubectl -n argocd patch application root --type merge -p '{\"spec\":{\"syncPolicy\":{\"automated\":null}}}'",
      "kubectl -n argocd patch application app-a --type merge -p '{\"spec\":{\"syncPolicy\":{\"automated\":null}}}'",
      "kubectl -n argocd patch application app-a --type merge -p '{\"spec\":{\"syncPolicy\":{\"automated\":{\"prune\":true,\"selfHeal\":true}}}}'",
      "kubectl -n argocd patch application root --type merge -p '{\"spec\":{\"syncPolicy\":{\"automated\":{\"prune\":true,\"selfHeal\":true}}}}'",
    ]);
  });

  it('with Flux, suspends the root and the folder Kustomizations instead, and resumes them', () => {
    const platform = testPlatform();
    new Flux(platform, 'flux');
    const pg = new SharedPostgres(platform, 'postgres', {});
    new NovahostApp(platform, 'app-a', { services: { web: { image: 'ghcr.io/example/web:1.0.0', port: 3000, database: true } }, database: { server: pg } });
    const lines = pg.pointInTimeRestore('app_a', T).split('\n').filter((l) => l.includes('kustomization') || l.includes('application'));
    expect(lines).toEqual([
      "kubectl -n flux-system patch kustomization root --type merge -p '{\"spec\":{\"suspend\":true}}'",
      "kubectl -n flux-system patch kustomization app-a --type merge -p '{\"spec\":{\"suspend\":true}}'",
      "kubectl -n flux-system patch kustomization app-a --type merge -p '{\"spec\":{\"suspend\":false}}'",
      "kubectl -n flux-system patch kustomization root --type merge -p '{\"spec\":{\"suspend\":false}}'",
    ]);
    // Those are the objects the engine renders.
    const kustomizations = allObjects(platform).filter((o) => o.kind === 'Kustomization').map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
    expect(kustomizations).toEqual(expect.arrayContaining(['flux-system/root', 'flux-system/app-a']));
  });

  it('restores the whole server from the encrypted off-site copy, then the passwords from the new Secrets', () => {
    const steps = postgres.serverRestore();
    const pod = manifestOf(steps);
    expect(pod.spec.initContainers.map((c: any) => c.name)).toEqual(['download', 'decrypt']);
    expect(pod.spec.initContainers[1].command[2]).toContain(downloadScript({ endpoint: 'https://fra1.digitaloceanspaces.com', bucket: 'example-backups', prefix: 'shared/postgres', target: '/backups/restore-download' }).split('\n').slice(5).join('\n'));
    expect(pod.spec.affinity).toBeUndefined();
    expect(pod.spec.volumes.map((v: any) => v.persistentVolumeClaim?.claimName).filter(Boolean)).toEqual(['postgres-backups', 'data-postgres-0']);
    expect(steps).toContain('ALTER ROLE postgres PASSWORD');
  });

  it("gives the off-site download a way out through the platform's NetworkPolicies: to the S3 endpoint, nowhere else", () => {
    const pod = manifestOf(postgres.serverRestore());
    const from = { namespace: pod.metadata.namespace, labels: pod.metadata.labels };
    // fra1.digitaloceanspaces.com is outside the cluster: any public address stands for it.
    expect(canConnect(objects, from, { ip: '203.0.113.7' }, 443)).toBe(true);
    expect(canConnect(objects, from, { ip: '203.0.113.7' }, 80)).toBe(false);
    expect(canConnect(objects, from, { namespace: 'shared', labels: postgres.endpoint.podLabels }, 5432)).toBe(false);
    // The point-in-time pod downloads nothing: it may not leave the cluster.
    const pitr = manifestOf(postgres.pointInTimeRestore('app_a', T));
    expect(canConnect(objects, { namespace: pitr.metadata.namespace, labels: pitr.metadata.labels }, { ip: '203.0.113.7' }, 443)).toBe(false);
  });

  it('fails without archiving, for unknown databases and for times without a zone', () => {
    expect(() => setup({ pitr: { enabled: false } }).postgres.pointInTimeRestore('app_a', T)).toThrow(/backup.pitr false is off/);
    expect(() => postgres.pointInTimeRestore('nope', T)).toThrow('nope is not a database of shared/postgres: use one of app_a');
    expect(() => parseRestoreTime('2026-11-23 14:05')).toThrow('is not a time with a zone');
    expect(parseRestoreTime('2026-11-23 15:05+01:00').toISOString()).toBe('2026-11-23T14:05:00.000Z');
  });
});

describe('README data-safety block', () => {
  it('is fresh (npm run backups rewrites it)', () => {
    const readme = fs.readFileSync(README, 'utf8');
    expect(withBackups(readme)).toBe(readme);
  });

  it('states the RPO and RTO and names the bucket', () => {
    const { platform } = setup();
    const block = backupsBlock(platform);
    expect(block).toMatch(/\*\*Recovery point objective\*\* .*5 minutes/);
    expect(block).toContain('**Recovery time objective**');
    expect(block).toContain('s3://example-backups/shared/postgres');
    expect(withBackups(`a\n${BEGIN}\nold\n${END}\nb`)).toContain('npm run -s postgres-restore -- --server');
  });

  it('lists what every construct that owns state declares, in tree order, and orders the runbook by step', () => {
    const platform = testPlatform();
    new SharedPostgres(platform, 'postgres', { backup: { s3: { endpoint: 'https://fra1.digitaloceanspaces.com', bucket: 'example-backups', credentialsSecret: 'postgres-backup-s3' } } });
    new SharedRedis(platform, 'cache-a', {});
    const custom = new Construct(platform, 'custom') as Construct & BackupDeclarer;
    Object.defineProperty(custom, 'backupPlan', {
      value: {
        rows: [{ state: 'Custom `x/y`', what: 'a | b', where: 'w', schedule: 's', restore: 'r' }],
        oldSecrets: ['custom-key (k)'],
        recovery: [{ order: 5, lines: ['# Restore custom first:', 'echo custom'] }],
      },
    });
    declareBackups(custom);
    const block = backupsBlock(platform);
    const states = [...block.matchAll(/^\| (PostgreSQL|Redis|Custom)[^|]*\|/gm)].map((m) => m[1]);
    expect(states).toEqual(['PostgreSQL', 'Redis', 'Custom']);
    // A pipe inside a cell is escaped, so the table keeps its columns.
    expect(block).toContain('| a \\| b |');
    expect(block).toMatch(/off-cluster copy: postgres-backup-s3 .*custom-key \(k\)/);
    const steps = [...block.matchAll(/^# (\d+)\. (.*)$/gm)].map((m) => `${m[1]} ${m[2].split(' ')[0]}`);
    expect(steps).toEqual(['1 A', '2 Secrets:', '3 Restore', '4 Let', '5 Redis', '6 The']);
    // The first step names this platform's bootstrap and engine.
    expect(block).toContain('# 1. A new cluster (see "Bootstrap a cluster" above), then Argo CD and the root Application.');
    const flux = testPlatform();
    new Flux(flux, 'flux');
    new SharedPostgres(flux, 'postgres', {});
    expect(backupsBlock(flux)).toContain('# 1. A new cluster (see "Bootstrap a cluster" above), then Flux and its root Kustomization.');
  });
});
