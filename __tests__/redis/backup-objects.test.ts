import { parseAllDocuments } from 'yaml';
import { ArgoCd, NovahostApp } from '../../lib';
import { SharedRedis, SharedRedisProps } from '../../lib/data/redis/shared-redis';
import { allObjects, findObject, synthesize, synthOf, testPlatform } from '../support/platform';

/**
 * What SharedRedis renders for its backups (the scripts themselves run on a real server in
 * backup.test.ts): the objects, their traffic rules and Secrets, the data-safety plan, the printed
 * restore steps naming objects that exist, and the errors of bad backup props.
 */
const S3 = { endpoint: 'https://fra1.digitaloceanspaces.com', bucket: 'example-backups', credentialsSecret: 'redis-backup-s3' };

function setup(props: SharedRedisProps = {}) {
  const platform = testPlatform();
  new ArgoCd(platform, 'argocd');
  const redis = new SharedRedis(platform, 'redis', props);
  new NovahostApp(platform, 'alpha', { cache: { server: redis, index: 0 }, services: { api: { image: 'ghcr.io/example/api:1.0.0', port: 9000, cache: true } } });
  return { platform, redis, shared: synthesize(platform).shared };
}

const names = (objects: any[], kind: string) => objects.filter((o) => o.kind === kind).map((o) => o.metadata.name).sort();
const manifestOf = (steps: string) => parseAllDocuments(/<<'MANIFEST'\n([\s\S]*?)\nMANIFEST/.exec(steps)![1])[0].toJS();

describe('SharedRedis backups', () => {
  it('takes hourly snapshots by default onto a retained volume of its own, as the replication-only user', () => {
    const { redis, shared } = setup();
    const pvc = findObject(shared, 'PersistentVolumeClaim', 'redis-backups');
    expect(pvc.spec.resources.requests.storage).toBe('5Gi');
    expect(pvc.metadata.annotations['argocd.argoproj.io/sync-options']).toBe('Prune=false,Delete=false');
    const cron = findObject(shared, 'CronJob', 'redis-backup');
    expect([cron.spec.schedule, cron.spec.concurrencyPolicy]).toEqual(['13 * * * *', 'Forbid']);
    const pod = cron.spec.jobTemplate.spec.template.spec;
    // The data volume is not mounted: the snapshot comes over the network.
    expect(pod.volumes.map((v: any) => v.persistentVolumeClaim?.claimName).filter(Boolean)).toEqual(['redis-backups']);
    expect(pod.containers[0].image).toBe(redis.image.ref);
    expect(pod.containers[0].command[2]).toContain("sed '1,24d'");
    expect(names(shared, 'CronJob')).toEqual(['redis-backup']);
    const template: string = findObject(shared, 'ConfigMap', 'redis-config').data['users.acl.template'];
    expect(template).toContain('user backup on resetpass resetkeys resetchannels -@all +replconf +sync\n');
    expect(redis.secretReferences.map((r) => r.name)).toContain('redis-backup');
    const policy = findObject(shared, 'NetworkPolicy', 'allow-egress-redis-backup-to-redis');
    expect(policy.spec.egress[0].ports).toEqual([{ port: 6379, protocol: 'TCP' }]);
    expect(findObject(shared, 'NetworkPolicy', 'allow-ingress-redis-from-redis-backup')).toBeDefined();
  });

  it('renders nothing of it, and no backup user, with backup.enabled false', () => {
    const { redis, shared } = setup({ backup: { enabled: false } });
    expect(names(shared, 'CronJob')).toEqual([]);
    expect(names(shared, 'PersistentVolumeClaim')).toEqual([]);
    expect(findObject(shared, 'ConfigMap', 'redis-config').data['users.acl.template']).not.toContain('user backup');
    expect(redis.secretReferences.map((r) => r.name)).not.toContain('redis-backup');
    expect(redis.backupPlan.rows[0].what).toContain('no snapshots');
    expect(() => redis.restoreSteps()).toThrow('has no backups');
  });

  it('uploads encrypted copies every 30 minutes with SharedPostgres\' images and Secret keys, and may reach only the S3 endpoint for it', () => {
    const { redis, shared } = setup({ backup: { keep: 48, schedule: '*/15 * * * *', s3: S3 } });
    const upload = findObject(shared, 'CronJob', 'redis-backup-upload');
    expect(upload.spec.schedule).toBe('*/30 * * * *');
    const pod = upload.spec.jobTemplate.spec.template.spec;
    expect([pod.initContainers[0].image, pod.containers[0].image]).toEqual([expect.stringMatching(/^alpine\/git:/), expect.stringMatching(/^amazon\/aws-cli:/)]);
    expect(pod.volumes.find((v: any) => v.name === 'encryption').secret.secretName).toBe('redis-backup-encryption');
    expect(pod.containers[0].command[2]).toContain("s3 sync . 's3://example-backups/shared/redis'");
    const egress = findObject(shared, 'NetworkPolicy', 'allow-egress-redis-backup-upload-to-internet').spec.egress[0];
    expect(egress.ports).toEqual([{ port: 443, protocol: 'TCP' }]);
    expect(egress.to[0].ipBlock.except).toContain('10.0.0.0/8');
    expect(redis.secretReferences.filter((r) => r.name !== 'redis-admin' && r.name !== 'redis-healthcheck' && !r.name.includes('user') && !r.name.includes('alpha'))
      .map((r) => `${r.name}/${r.key}`)).toEqual(['redis-backup/password', 'redis-backup-s3/access-key-id', 'redis-backup-s3/secret-access-key', 'redis-backup-encryption/passphrase']);
    const plan = redis.backupPlan;
    expect(plan.rows[0].schedule).toBe('snapshots `*/15 * * * *`, the newest 48 kept; off-site `*/30 * * * *`, the newest 48 kept there too (deleted from the bucket\'s listing)');
    expect(plan.rows[0].where).toContain('`s3://example-backups/shared/redis` (https://fra1.digitaloceanspaces.com), gpg-encrypted');
    expect(plan.oldSecrets).toEqual(['redis-backup-s3 (access-key-id, secret-access-key)', 'redis-backup-encryption (passphrase)']);
    expect(plan.recovery).toEqual([{ order: 20, lines: [expect.stringContaining('newest off-site snapshot'), expect.stringContaining('npm run -s redis-restore -- --offsite')] }]);
  });

  it('prints restore steps that name objects, Secrets and CronJobs the platform renders, and hold Argo CD and the backups meanwhile', () => {
    const { platform, redis } = setup({ backup: { s3: S3 } });
    const objects = allObjects(platform);
    const exists = new Set(objects.map((o) => `${o.kind}/${o.metadata.name}`));
    const secrets = new Set(redis.secretReferences.map((r) => `${r.name}/${r.key}`));
    for (const offsite of [false, true]) {
      const steps = redis.restoreSteps({ offsite });
      const pod = manifestOf(steps);
      expect(pod.metadata).toMatchObject({ name: 'redis-restore', namespace: 'shared' });
      for (const v of pod.spec.volumes) {
        if (v.persistentVolumeClaim?.claimName === 'data-redis-0') expect(findObject(objects, 'StatefulSet', 'redis').spec.volumeClaimTemplates[0].metadata.name).toBe('data');
        else if (v.persistentVolumeClaim) expect(exists).toContain(`PersistentVolumeClaim/${v.persistentVolumeClaim.claimName}`);
        if (v.secret) expect(secrets).toContain(`${v.secret.secretName}/${v.secret.items[0].key}`);
      }
      for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
        for (const e of c.env ?? []) if (e.valueFrom) expect(secrets).toContain(`${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`);
        expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
        expect(c.resources.limits.memory).toBeDefined();
      }
      expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 999, seccompProfile: { type: 'RuntimeDefault' } });
      for (const cron of ['redis-backup', 'redis-backup-upload']) {
        expect(exists).toContain(`CronJob/${cron}`);
        expect(steps).toContain(`kubectl -n shared patch cronjob ${cron} -p '{"spec":{"suspend":true}}'`);
        expect(steps).toContain(`kubectl -n shared patch cronjob ${cron} -p '{"spec":{"suspend":false}}'`);
      }
      const lines = steps.split('\n');
      const at = (s: string) => lines.findIndex((l) => l.startsWith(s));
      expect(at('kubectl -n shared scale statefulset redis --replicas=0')).toBeLessThan(at('kubectl apply -f -'));
      expect(at('kubectl apply -f -')).toBeLessThan(at('kubectl -n shared scale statefulset redis --replicas=1'));
      // The root first: its self-heal would turn the folder's automated sync back on.
      expect(at("kubectl -n argocd patch application root --type merge -p '{\"spec\":{\"syncPolicy\":{\"automated\":null}}}'"))
        .toBeLessThan(at("kubectl -n argocd patch application shared --type merge -p '{\"spec\":{\"syncPolicy\":{\"automated\":null}}}'"));
      expect(at("kubectl -n argocd patch application shared --type merge -p '{\"spec\":{\"syncPolicy\":{\"automated\":null}}}'")).toBeLessThan(at('kubectl -n shared scale statefulset redis --replicas=0'));
      expect(at("kubectl -n argocd patch application root --type merge -p '{\"spec\":{\"syncPolicy\":{\"automated\":{\"prune\":true,\"selfHeal\":true}}}}'")).toBeGreaterThan(at('kubectl -n shared scale statefulset redis --replicas=1'));
    }
    // The restore pod that downloads is selected by the upload pod's egress rule (the S3 endpoint only); the other by none.
    const policy = findObject(synthesize(platform).shared, 'NetworkPolicy', 'allow-egress-redis-backup-upload-to-internet');
    const labelsOf = (offsite: boolean) => manifestOf(redis.restoreSteps({ offsite })).metadata.labels;
    expect(labelsOf(true)).toMatchObject(policy.spec.podSelector.matchLabels);
    expect(labelsOf(false)['app.kubernetes.io/component']).toBe('restore');
    expect(synthesize(platform).shared.filter((o: any) => o.kind === 'NetworkPolicy' && o.metadata.name.includes('redis-restore'))).toEqual([]);
    expect(manifestOf(redis.restoreSteps({ snapshot: 'redis-20261201T191300Z.rdb' })).spec.containers[0].command[2]).toContain("src='/backups/redis-20261201T191300Z.rdb'");
    expect(() => redis.restoreSteps({ snapshot: '../etc/passwd' })).toThrow('is not a snapshot file name');
    expect(() => setup().redis.restoreSteps({ offsite: true })).toThrow('has no off-site copies');
  });

  it('fails on bad backup props, naming each', () => {
    const bad = synthOf((platform) => new SharedRedis(platform, 'redis', {
      backup: { keep: 0, schedule: 'hourly', storageSize: 'lots', s3: { endpoint: 'fra1', bucket: 'B', credentialsSecret: 'x' } as any, extra: true } as any,
    }));
    expect(bad).toThrow(/redis: backup\.keep 0 is not a whole number from 1 to 1000\. Fix: keep e\.g\. 24/);
    for (const field of ['backup.schedule "hourly"', 'backup.storageSize "lots"', 'backup.s3.endpoint "fra1"', 'backup.s3.bucket "B"', 'backup.extra']) expect(bad).toThrow(field);
  });
});
