// The steps that put a data volume back from one of its scheduled snapshots (volume-snapshots.ts),
// as this installation's kubectl commands: `npm run volume-restore` prints them.
import { dataProtection } from '../core/annotations';
import { syncControl } from '../core/gitops-engine';
import { Platform } from '../core/platform';
import { toYaml } from '../core/yaml';
import { RETAINED_SNAPSHOT_CLASS, scheduledSnapshots, SNAPSHOT_API } from './volume-snapshots';

/** Where the data comes from: a VolumeSnapshot of this cluster, or a provider snapshot id (a new cluster). */
export type VolumeRestoreSource = { readonly snapshot: string } | { readonly handle: string };

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** DigitalOcean snapshot ids are UUIDs (or numbers for old ones). */
const HANDLE = /^[A-Za-z0-9][A-Za-z0-9-]{0,127}$/;

/**
 * The steps for `<namespace>/<claim>`, a claim some data construct snapshots on schedule: stop
 * its StatefulSet (and Argo CD's sync, which would scale it back), with `handle` make the provider's
 * snapshot a VolumeSnapshot through a static content (kept on delete), replace the claim by one of
 * the same name whose dataSource is the snapshot (the old volume stays as a Released
 * PersistentVolume: the data classes retain), then start the server on it. Works the same after a
 * new cluster's first sync, when the server has started on an empty volume.
 */
export function volumeRestoreSteps(platform: Platform, target: string, source: VolumeRestoreSource): string {
  const [namespace, claim, ...rest] = target.split('/');
  if (rest.length || !namespace || !claim) throw new Error(`volume-restore: "${target}" is not <namespace>/<claim>`);
  const schedules = scheduledSnapshots(platform);
  const schedule = schedules.find((s) => s.namespace === namespace && s.claims.includes(claim));
  if (!schedule) {
    const known = schedules.flatMap((s) => s.claims.map((c) => `${s.namespace}/${c}`));
    throw new Error(`volume-restore: ${target} is not a volume the platform snapshots (${known.join(', ') || 'none on this cluster profile'})`);
  }
  const objects = platform.manifests().get(namespace) as any[];
  const sts = objects.find((o) => o.kind === 'StatefulSet' && `data-${o.metadata.name}-0` === claim);
  if (!sts) throw new Error(`volume-restore: no StatefulSet in ${namespace} owns ${claim}`);
  const template = sts.spec.volumeClaimTemplates.find((t: any) => t.metadata.name === 'data');
  const snapshotName = 'snapshot' in source ? source.snapshot : `restore-${claim}`.slice(0, 63).replace(/-+$/, '');
  if (!NAME.test(snapshotName) || snapshotName.length > 253) throw new Error(`volume-restore: snapshot "${snapshotName}" is not a VolumeSnapshot name`);
  if ('handle' in source && !HANDLE.test(source.handle)) throw new Error(`volume-restore: handle "${source.handle}" is not a snapshot id`);

  const manifests: object[] = [];
  if ('handle' in source) {
    const content = `${snapshotName}-content`.slice(0, 253);
    manifests.push({
      apiVersion: SNAPSHOT_API,
      kind: 'VolumeSnapshotContent',
      metadata: { name: content },
      spec: {
        // The provider's snapshot stays when these objects go.
        deletionPolicy: 'Retain',
        driver: schedule.driver,
        source: { snapshotHandle: source.handle },
        volumeSnapshotClassName: RETAINED_SNAPSHOT_CLASS,
        volumeSnapshotRef: { namespace, name: snapshotName },
      },
    }, {
      apiVersion: SNAPSHOT_API,
      kind: 'VolumeSnapshot',
      metadata: { name: snapshotName, namespace },
      spec: { volumeSnapshotClassName: RETAINED_SNAPSHOT_CLASS, source: { volumeSnapshotContentName: content } },
    });
  }
  const pvc = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: claim, namespace, annotations: dataProtection() },
    spec: {
      accessModes: template.spec.accessModes,
      ...(template.spec.storageClassName ? { storageClassName: template.spec.storageClassName } : {}),
      // At least the snapshot's size; the driver grows the volume to what the claim asks.
      resources: template.spec.resources,
      dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: snapshotName },
    },
  };
  const apply = (docs: object[]) => ['kubectl apply -f - <<\'MANIFEST\'', docs.map((d) => toYaml(d).trimEnd()).join('\n---\n'), 'MANIFEST'];
  const name = sts.metadata.name;
  const sync = syncControl(platform);
  return [
    `# Restore ${namespace}/${claim} (StatefulSet ${name}) from ${'handle' in source ? `the snapshot with id ${source.handle}` : `VolumeSnapshot ${snapshotName}`}.`,
    `# 1. Hold the GitOps sync of ${namespace} (it would scale the server back), then the server.`,
    ...sync.hold(namespace),
    `kubectl -n ${namespace} scale statefulset ${name} --replicas=0`,
    `kubectl -n ${namespace} wait --for=delete pod/${name}-0 --timeout=300s`,
    ...('handle' in source
      ? [`# 2. The provider's snapshot as a VolumeSnapshot of ${namespace}:`, ...apply(manifests)]
      : [`# 2. The snapshot (kubectl -n ${namespace} get volumesnapshot -l snapshots.novahost.dev/claim=${claim}):`]),
    `kubectl -n ${namespace} wait --for=jsonpath='{.status.readyToUse}'=true volumesnapshot/${snapshotName} --timeout=600s`,
    `# 3. The claim again, from the snapshot. The old volume stays, Released (kubectl get pv; delete it once the data is back).`,
    `kubectl -n ${namespace} delete pvc ${claim} --ignore-not-found --wait=true`,
    ...apply([pvc]),
    `# 4. The server on the restored volume, then the GitOps sync again.`,
    `kubectl -n ${namespace} scale statefulset ${name} --replicas=1`,
    `kubectl -n ${namespace} rollout status statefulset ${name} --timeout=600s`,
    ...sync.resume(namespace),
    '',
  ].join('\n');
}
