import { Flux } from '../lib/gitops/flux';
import { Longhorn } from '../lib/addons/longhorn';
import { helmValuesProblems } from './support/schemas';
import { validateWithMinimal } from './support/minimal-schemas';
import { findObject, synthesize, testPlatform } from './support/platform';

function longhorn(props = {}) {
  const platform = testPlatform();
  new Flux(platform, 'flux');
  const lh = new Longhorn(platform, 'longhorn', props);
  return { platform, lh, out: synthesize(platform) };
}

describe('Longhorn', () => {
  it('renders the longhorn-system folder (snapshot)', () => {
    expect(longhorn().out['longhorn-system']).toMatchSnapshot();
  });

  it('installs chart 1.12.1 for one node: one replica, no pre-upgrade Job, k3s local-path stays the default', () => {
    const { platform, lh } = longhorn();
    const release = platform.helmReleases.find((r) => r.name === 'longhorn')!;
    expect(release).toMatchObject({ repoURL: 'https://charts.longhorn.io', chart: 'longhorn', version: '1.12.1', namespace: 'longhorn-system' });
    expect(lh.values.persistence).toMatchObject({ defaultClass: false, defaultClassReplicaCount: 1 });
    expect(lh.values.preUpgradeChecker.jobEnabled).toBe(false);
    expect(JSON.parse(lh.values.defaultSettings.defaultReplicaCount)).toEqual({ v1: '1', v2: '1' });
    expect(helmValuesProblems('longhorn', JSON.parse(JSON.stringify(release.values)))).toEqual([]);
  });

  it('keeps data volumes when their claims go (Retain) and snapshots every volume daily', () => {
    const { out } = longhorn();
    const ns = out['longhorn-system'];
    expect(findObject(ns, 'StorageClass', 'longhorn-retain')).toMatchObject({ provisioner: 'driver.longhorn.io', reclaimPolicy: 'Retain', parameters: { numberOfReplicas: '1' } });
    expect(findObject(ns, 'RecurringJob', 'snapshot-daily').spec).toEqual({ name: 'snapshot-daily', task: 'snapshot', cron: '0 2 * * *', retain: 7, concurrency: 1, groups: ['default'] });
    expect(ns.filter((o) => o.kind === 'RecurringJob')).toHaveLength(1);
    expect(validateWithMinimal(ns)).toEqual([]);
  });

  it('backs up to a target when one is given', () => {
    const { lh, out } = longhorn({ backupTarget: { url: 's3://backups@eu-central-1/longhorn', credentialSecret: 'longhorn-backup' } });
    expect(lh.values.defaultBackupStore).toEqual({ backupTarget: 's3://backups@eu-central-1/longhorn', backupTargetCredentialSecret: 'longhorn-backup' });
    expect(findObject(out['longhorn-system'], 'RecurringJob', 'backup-daily').spec).toMatchObject({ task: 'backup', retain: 14 });
    // Egress to the target's one port, nothing else off the cluster.
    expect(findObject(out['longhorn-system'], 'NetworkPolicy', 'allow-egress-longhorn-to-internet').spec.egress[0].ports).toEqual([{ port: 443, protocol: 'TCP' }]);
    // The credentials are in the secret inventory (npm run secrets creates them), never in dist/.
    expect(lh.secretReferences.map((r) => `${r.namespace}/${r.name}/${r.key}`)).toEqual(['longhorn-system/longhorn-backup/AWS_ACCESS_KEY_ID', 'longhorn-system/longhorn-backup/AWS_SECRET_ACCESS_KEY']);
  });

  it("reaches an S3-compatible store on its endpoint's port, with the endpoint in the Secret; NFS on 2049, without a Secret", () => {
    const s3 = longhorn({ backupTarget: { url: 's3://backups@fsn1/', credentialSecret: 'longhorn-backup', endpoint: 'https://s3.example.com:9000' } });
    expect(findObject(s3.out['longhorn-system'], 'NetworkPolicy', 'allow-egress-longhorn-to-internet').spec.egress[0].ports).toEqual([{ port: 9000, protocol: 'TCP' }]);
    expect(s3.lh.secretReferences.map((r) => r.key)).toEqual(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_ENDPOINTS']);
    const nfs = longhorn({ backupTarget: { url: 'nfs://backup.example.com:/longhorn' } });
    expect(findObject(nfs.out['longhorn-system'], 'NetworkPolicy', 'allow-egress-longhorn-to-internet').spec.egress[0].ports).toEqual([{ port: 2049, protocol: 'TCP' }]);
    expect(nfs.lh.secretReferences).toEqual([]);
  });

  describe('fails when', () => {
    it('backups are scheduled without a target', () => {
      expect(() => longhorn({ backups: { cron: '0 3 * * *', retain: 7 } })).toThrow('longhorn-system/longhorn: backups {"cron":"0 3 * * *","retain":7} is set without a backupTarget');
    });
    it('the replica count cannot be met', () => {
      expect(() => longhorn({ replicas: 5 })).toThrow('replicas 5 is not a whole number from 1 to 3');
    });
    it('a schedule is not cron', () => {
      expect(() => longhorn({ snapshots: { cron: 'daily', retain: 7 } })).toThrow('snapshots.cron "daily" has 1 field, not the five of a cron schedule');
    });
  });
});
