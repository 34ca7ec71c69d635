import { parseAllDocuments } from 'yaml';
import { ArgoCd, ClusterProfiles, configureVolumeSnapshots, Registry, SharedPostgres, SharedRedis, snapshotScript, volumeRestoreSteps } from '../../lib';
import { DEFAULT_ALERT_OPTIONS } from '../../lib/services/monitoring/alerts';
import { backupsBlock } from '../../scripts/backups';
import { main as volumeRestore } from '../../scripts/volume-restore';
import { allObjects, findObject, routedPlatform, testPlatform } from '../support/platform';
import { validateObject } from '../support/schemas';

const doks = () => routedPlatform({ cluster: ClusterProfiles.doks({ region: 'fra1', pools: [{ size: 's-2vcpu-4gb', count: 3 }], loadBalancer: { hostname: 'ingress.example.com' } }) });

describe('scheduled volume snapshots', () => {
  it('on DOKS: a Retain class, and per data construct a CronJob with RBAC limited to its snapshots', () => {
    const platform = doks();
    new SharedRedis(platform, 'redis');
    new Registry(platform, 'registry', { snapshots: { schedule: '0 4 * * *', keep: 3 } });
    const objects = allObjects(platform);
    const cls = findObject(objects, 'VolumeSnapshotClass', 'volume-snapshots-retain');
    expect(cls).toMatchObject({ driver: 'dobs.csi.digitalocean.com', deletionPolicy: 'Retain' });
    expect(cls.metadata.namespace).toBeUndefined();
    const cron = findObject(objects, 'CronJob', 'registry-volume-backup');
    expect(cron.spec.schedule).toBe('0 4 * * *');
    const container = cron.spec.jobTemplate.spec.template.spec.containers[0];
    expect(container.command[2]).toBe(snapshotScript({ namespace: 'registry', claims: ['data-registry-0'], className: 'volume-snapshots-retain', keep: 3, schedule: 'registry-volume-backup', readyTimeoutSeconds: 600 }));
    expect(findObject(objects, 'CronJob', 'redis-volume-backup').spec.schedule).toBe('15 1 * * *');
    const role = findObject(objects, 'Role', 'redis-volume-backup');
    expect(role.rules).toEqual([
      { apiGroups: ['snapshot.storage.k8s.io'], resources: ['volumesnapshots'], verbs: ['create', 'get', 'list', 'watch', 'delete'] },
      { apiGroups: [''], resources: ['persistentvolumeclaims'], resourceNames: ['data-redis-0'], verbs: ['get'] },
    ]);
    expect(findObject(objects, 'ClusterRole', 'shared-redis-volume-backup').rules).toEqual([{ apiGroups: ['snapshot.storage.k8s.io'], resources: ['volumesnapshotcontents'], verbs: ['get', 'patch'] }]);
    // The claim the script snapshots is the StatefulSet's.
    expect(findObject(objects, 'StatefulSet', 'redis').spec.volumeClaimTemplates[0].metadata.name).toBe('data');
    // Egress to the API server only, through the profile's mechanism (Cilium's kube-apiserver entity on DOKS).
    const policies = objects.filter((o) => o.kind === 'CiliumNetworkPolicy' && JSON.stringify(o).includes('redis-volume-backup'));
    expect(policies.length).toBeGreaterThan(0);
    expect(JSON.stringify(policies)).toContain('kube-apiserver');
    // The generic backup alerts (failed Job, no success in 26 h, never succeeded) select these CronJobs.
    expect(new RegExp(`^(?:${DEFAULT_ALERT_OPTIONS.backupCronJobPattern})$`).test('redis-volume-backup')).toBe(true);
    for (const o of objects.filter((x) => x.apiVersion.startsWith('snapshot.storage.k8s.io'))) expect(validateObject(o)).toEqual([]);
  });

  it('is off on k3s and when turned off platform-wide', () => {
    const k3s = testPlatform();
    new SharedRedis(k3s, 'redis');
    // Redis's own snapshot CronJobs (redis-backup, its upload) stay; no volume snapshot job or class.
    expect(allObjects(k3s).filter((o) => o.kind === 'VolumeSnapshotClass' || o.metadata.name.endsWith('volume-backup'))).toEqual([]);
    expect(allObjects(k3s).filter((o) => o.kind === 'CronJob').map((o) => o.metadata.name)).toEqual(['redis-backup']);
    const off = doks();
    configureVolumeSnapshots(off, { enabled: false });
    new SharedRedis(off, 'redis');
    expect(allObjects(off).filter((o) => o.kind === 'VolumeSnapshotClass' || o.metadata.name.endsWith('volume-backup'))).toEqual([]);
  });

  it('says so in the data-safety table and adds a runbook step', () => {
    const platform = doks();
    new SharedRedis(platform, 'redis');
    new Registry(platform, 'registry');
    const block = backupsBlock(platform);
    expect(block).toContain('DigitalOcean volume snapshots of `data-redis-0` (`15 1 * * *` UTC, 7 kept, CronJob `redis-volume-backup`');
    expect(block).toContain('Registry images `registry/registry`');
    expect(block).toContain('rebuilt from their sources by the builds');
    expect(block).toContain('npm run -s volume-restore -- registry/data-registry-0 --handle <snapshot-id>');
    expect(block).not.toContain('DigitalOcean volumes in general');
  });

  it('names the snapshots as the only copy of a PostgreSQL without backups', () => {
    const platform = doks();
    new SharedPostgres(platform, 'postgres', { backup: { enabled: false } });
    const row = backupsBlock(platform).split('\n').find((l) => l.startsWith('| PostgreSQL'))!;
    expect(row).toContain('volume snapshots only');
    expect(row).toContain('DigitalOcean volume snapshots of `data-postgres-0`');
    expect(row).toContain('`npm run -s volume-restore -- shared/data-postgres-0` (a snapshot: up to a day of writes lost)');
  });
});

describe('npm run volume-restore', () => {
  const platform = doks();
  new ArgoCd(platform, 'argocd');
  new SharedRedis(platform, 'redis');
  const objects = allObjects(platform);
  const names = new Set(objects.map((o) => `${o.kind}/${o.metadata.name}`));
  const manifests = (steps: string) => [...steps.matchAll(/<<'MANIFEST'\n([\s\S]*?)\nMANIFEST/g)].flatMap((m) => parseAllDocuments(m[1]).map((d) => d.toJS()));

  it('from a provider snapshot id: a static content, a VolumeSnapshot and the claim, all valid', () => {
    const steps = volumeRestoreSteps(platform, 'shared/data-redis-0', { handle: '0123abcd-1111-2222-3333-444455556666' });
    const docs = manifests(steps);
    expect(docs.map((d) => d.kind)).toEqual(['VolumeSnapshotContent', 'VolumeSnapshot', 'PersistentVolumeClaim']);
    for (const d of docs) expect(validateObject(d)).toEqual([]);
    const [content, snapshot, pvc] = docs;
    expect(content.spec).toMatchObject({ deletionPolicy: 'Retain', driver: 'dobs.csi.digitalocean.com', source: { snapshotHandle: '0123abcd-1111-2222-3333-444455556666' }, volumeSnapshotRef: { namespace: 'shared', name: snapshot.metadata.name } });
    expect(snapshot.spec.source.volumeSnapshotContentName).toBe(content.metadata.name);
    expect(names).toContain(`VolumeSnapshotClass/${content.spec.volumeSnapshotClassName}`);
    expect(pvc.spec.dataSource).toEqual({ apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: snapshot.metadata.name });
    const sts = findObject(objects, 'StatefulSet', 'redis');
    expect(pvc.metadata.name).toBe(`data-${sts.metadata.name}-0`);
    expect(pvc.spec.storageClassName).toBe(sts.spec.volumeClaimTemplates[0].spec.storageClassName);
    expect(pvc.spec.resources).toEqual(sts.spec.volumeClaimTemplates[0].spec.resources);
    expect(steps).toContain('kubectl -n shared scale statefulset redis --replicas=0');
    expect(steps).toContain("kubectl -n argocd patch application shared --type merge -p '{\"spec\":{\"syncPolicy\":{\"automated\":null}}}'");
    expect(names).toContain('Application/shared');
  });

  it('from a VolumeSnapshot of this cluster: only the claim', () => {
    const docs = manifests(volumeRestoreSteps(platform, 'shared/data-redis-0', { snapshot: 'data-redis-0-20261201-011500' }));
    expect(docs.map((d) => d.kind)).toEqual(['PersistentVolumeClaim']);
    expect(docs[0].spec.dataSource.name).toBe('data-redis-0-20261201-011500');
  });

  it('fails for a volume the platform does not snapshot, and for a bad handle', () => {
    expect(() => volumeRestoreSteps(platform, 'shared/data-postgres-0', { handle: 'x' })).toThrow('shared/data-postgres-0 is not a volume the platform snapshots (shared/data-redis-0)');
    expect(() => volumeRestoreSteps(platform, 'shared/data-redis-0', { handle: '$(reboot)' })).toThrow('is not a snapshot id');
  });

  it('prints the steps for main.ts', () => {
    const steps = volumeRestore(['shared/data-postgres-0', '--handle', '0123abcd-1111-2222-3333-444455556666']);
    expect(steps).toContain('kubectl -n shared scale statefulset postgres --replicas=0');
    expect(() => volumeRestore(['shared/data-postgres-0'])).toThrow(/usage/);
  });
});
