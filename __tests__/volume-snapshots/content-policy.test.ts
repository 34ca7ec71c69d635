import { run as runCel } from '@bufbuild/cel';
import { ClusterProfiles, SharedRedis } from '../../lib';
import { allObjects, findObject, routedPlatform } from '../support/platform';

/**
 * The ValidatingAdmissionPolicy beside a snapshot CronJob's ClusterRole (get, patch on every
 * VolumeSnapshotContent), evaluated offline by a CEL engine (@bufbuild/cel) as the API server
 * would on UPDATE requests: what the job's prune does passes; anything else it could patch is denied.
 */
const platform = routedPlatform({ cluster: ClusterProfiles.doks({ region: 'fra1', pools: [{ size: 's-2vcpu-4gb', count: 3 }], loadBalancer: { hostname: 'ingress.example.com' } }) });
new SharedRedis(platform, 'redis');
const objects = allObjects(platform);
const policy = findObject(objects, 'ValidatingAdmissionPolicy', 'shared-redis-volume-backup');
const binding = findObject(objects, 'ValidatingAdmissionPolicyBinding', 'shared-redis-volume-backup');

const toCel = (x: any): any => (Array.isArray(x) ? x.map(toCel)
  : x && typeof x === 'object' ? new Map(Object.entries(x).map(([k, v]) => [k, toCel(v)]))
    : Number.isInteger(x) ? BigInt(x) : x);

const JOB = 'system:serviceaccount:shared:redis-volume-backup';

/** A content as the snapshot controller makes it for a VolumeSnapshot in `namespace`. */
function content(namespace = 'shared', deletionPolicy = 'Retain'): any {
  return {
    apiVersion: 'snapshot.storage.k8s.io/v1',
    kind: 'VolumeSnapshotContent',
    metadata: { name: 'snapcontent-1f2e', finalizers: ['snapshot.storage.kubernetes.io/volumesnapshotcontent-bound-protection'] },
    spec: {
      deletionPolicy,
      driver: 'dobs.csi.digitalocean.com',
      source: { volumeHandle: 'a1b2c3' },
      volumeSnapshotClassName: 'volume-snapshots-retain',
      volumeSnapshotRef: { apiVersion: 'snapshot.storage.k8s.io/v1', kind: 'VolumeSnapshot', name: 'data-redis-0-20261201-011500', namespace, uid: 'u1' },
    },
  };
}

/** null when the policy does not match the request; else the messages of the failed validations. */
function review(user: string, oldObject: any, object: any): string[] | null {
  const vars = { object: toCel(object), oldObject: toCel(oldObject), request: toCel({ userInfo: { username: user }, operation: 'UPDATE' }) };
  if (!policy.spec.matchConditions.every((m: any) => runCel(m.expression, vars) === true)) return null;
  return policy.spec.validations.filter((v: any) => runCel(v.expression, vars) !== true).map((v: any) => v.message);
}

const patched = (base: any, change: (c: any) => void) => {
  const c = structuredClone(base);
  change(c);
  return c;
};

describe("the snapshot job's content policy", () => {
  it('matches UPDATEs of VolumeSnapshotContents, denies on failure, and is bound', () => {
    expect(policy.spec.matchConstraints.resourceRules).toEqual([{ apiGroups: ['snapshot.storage.k8s.io'], apiVersions: ['*'], operations: ['UPDATE'], resources: ['volumesnapshotcontents'] }]);
    expect(policy.spec.failurePolicy).toBe('Fail');
    expect(binding.spec).toEqual({ policyName: policy.metadata.name, validationActions: ['Deny'] });
    // The ClusterRole it narrows is the job's.
    expect(findObject(objects, 'ClusterRoleBinding', policy.metadata.name).subjects).toEqual([{ kind: 'ServiceAccount', name: 'redis-volume-backup', namespace: 'shared' }]);
  });

  it("admits what the prune does: its own namespace's content, deletionPolicy Retain to Delete", () => {
    const old = content();
    expect(review(JOB, old, patched(old, (c) => (c.spec.deletionPolicy = 'Delete')))).toEqual([]);
  });

  it("denies another namespace's content, any other change, and a Retain", () => {
    const other = content('novahost');
    expect(review(JOB, other, patched(other, (c) => (c.spec.deletionPolicy = 'Delete')))).toEqual([`${JOB} may change only contents of VolumeSnapshots in shared`]);
    const old = content();
    expect(review(JOB, content('shared', 'Delete'), content('shared', 'Retain'))).toEqual([`${JOB} may only set deletionPolicy to Delete (to prune its own snapshots)`]);
    for (const change of [
      (c: any) => (c.spec.volumeSnapshotRef.namespace = 'novahost'),
      (c: any) => (c.spec.source = { snapshotHandle: 'someone-elses' }),
      (c: any) => (c.metadata.finalizers = []),
      (c: any) => (c.metadata.labels = { a: 'b' }),
      (c: any) => (c.metadata.annotations = { 'snapshot.storage.kubernetes.io/deletion-secret-name': 'x' }),
    ]) {
      expect(review(JOB, old, patched(old, (c) => { c.spec.deletionPolicy = 'Delete'; change(c); }))).toEqual([`${JOB} may change nothing but deletionPolicy`]);
    }
  });

  it('compares every field of the content spec but deletionPolicy (schema from external-snapshotter)', () => {
    const schema = require('../schemas/crds/snapshot.storage.k8s.io_v1_VolumeSnapshotContent.json');
    const fields = Object.keys(schema.properties.spec.properties).filter((f) => f !== 'deletionPolicy');
    const unchanged = policy.spec.validations[2].expression;
    for (const f of fields) expect(unchanged).toContain(`object.spec.${f} == oldObject.spec.${f}`);
  });

  it("leaves everyone else's requests alone (the snapshot controller's, an admin's)", () => {
    const old = content('novahost');
    expect(review('system:serviceaccount:kube-system:snapshot-controller', old, content('novahost', 'Delete'))).toBeNull();
    expect(review('system:serviceaccount:shared:redis', old, content('novahost', 'Delete'))).toBeNull();
  });
});
