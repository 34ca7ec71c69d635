// Scheduled CSI snapshots of the data volumes, on clusters whose driver takes them (DOKS): one
// CronJob per data construct that snapshots its claims and prunes its own old snapshots, the
// Retain VolumeSnapshotClass they use, the runbook step and the restore steps.
//
// Facts (kubernetes-csi/external-snapshotter v8.6.0, digitalocean/csi-digitalocean v4.9.0):
// - A VolumeSnapshotContent's deletionPolicy is read when its VolumeSnapshot is deleted
//   (pkg/common-controller/snapshot_controller.go, processSnapshotWithDeletionTimestamp), and the
//   CRD leaves the field mutable: so the snapshots are taken Retain (they outlive a deleted
//   VolumeSnapshot or namespace), and pruning sets that one content to Delete first, which makes
//   the controller delete the DigitalOcean snapshot with it.
// - DOKS's default class `do-block-storage` is Delete, hence a class of our own.
// - A DOKS cluster destroyed keeps its volume snapshots unless they are chosen for deletion
//   (API: destroy_with_associated_resources/selective, `volume_snapshots`).
// - Restore: csi-digitalocean CreateVolume takes a snapshot content source (the DigitalOcean
//   snapshot id as snapshotHandle) and grows the volume when the claim asks for more.
import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct, IConstruct } from 'constructs';
import { BackupDeclarer, BackupPlan, declareBackups } from '../core/backups';
import { DeriveStages, FactKey } from '../core/registry';
import { fitName, PART_OF, selectorLabels, standardLabels } from '../core/names';
import { imageRef, PINS } from '../core/pins';
import { NamespacedConstruct, Platform } from '../core/platform';
import { checkProps, Rules, ShapeOf } from '../core/prop-schema';
import { resourceRequirements, restrictedContainerSecurityContext, restrictedPodSecurityContext, scratchVolume } from '../core/security';
import { KUBE_API_PORTS, NetworkPolicies, Peers } from '../network/network-policies';
import { contentPolicyBindingSpec, contentPolicySpec } from './volume-snapshot-policy';
import { scheduledJob } from './scheduled-job';

/** kubectl with a shell, pinned in PINS. */
export const KUBECTL_IMAGE = imageRef(PINS.images.kubectl);
export const SNAPSHOT_API = 'snapshot.storage.k8s.io/v1';
/** The VolumeSnapshotClass the scheduled snapshots use (deletionPolicy Retain). */
export const RETAINED_SNAPSHOT_CLASS = 'volume-snapshots-retain';
/** Labels the CronJob puts on its snapshots; pruning selects on both. */
export const SnapshotLabels = {
  /** The CronJob that took it. */
  SCHEDULE: 'snapshots.novahost.dev/schedule',
  /** The claim it is a snapshot of. */
  CLAIM: 'snapshots.novahost.dev/claim',
} as const;
/** nobody: the image needs no user of its own (HOME is /tmp). */
const UID = 65534;

/** When the data volumes are snapshotted, and how many snapshots each keeps. */
export interface VolumeSnapshotSettings {
  /** @default true, on cluster profiles that take CSI snapshots (DOKS); never elsewhere */
  readonly enabled?: boolean;
  /** Cron schedule, UTC. @default '15 1 * * *' (daily) */
  readonly schedule?: string;
  /** Snapshots kept per volume (older ones of this schedule are deleted). @default 7 */
  readonly keep?: number;
  /** How long one snapshot may take to become ready to use. @default 600 */
  readonly readyTimeoutSeconds?: number;
}

export const VOLUME_SNAPSHOT_SETTINGS = {
  enabled: Rules.boolean(),
  schedule: Rules.cron(),
  keep: Rules.integer(1, 100, 'keep e.g. 7'),
  readyTimeoutSeconds: Rules.integer(30, 7200, 'use e.g. 600'),
} satisfies ShapeOf<VolumeSnapshotSettings>;

const DEFAULTS = { schedule: '15 1 * * *', keep: 7, readyTimeoutSeconds: 600 };

/** What one data construct asked for. */
interface SnapshotRequest {
  readonly owner: NamespacedConstruct;
  /** The server's name: the CronJob is `<name>-volume-backup`. */
  readonly name: string;
  readonly claims: readonly string[];
  readonly settings?: VolumeSnapshotSettings;
}

class SnapshotState {
  public platformSettings: VolumeSnapshotSettings = {};
  public readonly requests: SnapshotRequest[] = [];
  public declarer?: VolumeSnapshotRunbook;
}
const STATE = new FactKey('volume snapshots', () => new SnapshotState());

/**
 * Platform-wide snapshot settings (each data construct may still set its own, e.g. Registry's
 * `snapshots` prop). Call before synthesis.
 */
export function configureVolumeSnapshots(platform: Platform, settings: VolumeSnapshotSettings): void {
  platform.registry.fact(STATE).platformSettings = checkProps<VolumeSnapshotSettings>(platform, settings, VOLUME_SNAPSHOT_SETTINGS, 'volumeSnapshots');
}

/** The resolved schedule of a data construct, or undefined when it takes no snapshots. */
export interface ResolvedSnapshots {
  readonly namespace: string;
  readonly cronJob: string;
  readonly claims: readonly string[];
  readonly schedule: string;
  readonly keep: number;
  readonly readyTimeoutSeconds: number;
  readonly driver: string;
}

function resolve(platform: Platform, r: SnapshotRequest): ResolvedSnapshots | undefined {
  const support = platform.cluster.volumeSnapshots;
  const s = { ...DEFAULTS, ...platform.registry.fact(STATE).platformSettings, ...r.settings };
  if (!support || s.enabled === false) return undefined;
  return {
    namespace: r.owner.namespace, cronJob: `${r.name}-volume-backup`, claims: r.claims,
    schedule: s.schedule, keep: s.keep, readyTimeoutSeconds: s.readyTimeoutSeconds, driver: support.driver,
  };
}

/**
 * Called from a data construct's constructor with the claims it owns (`data-<name>-0` of its
 * StatefulSet): on a cluster that takes snapshots, renders the CronJob, its RBAC and network rule,
 * and (once per platform) the Retain class and the runbook step.
 */
export function snapshotVolumes(owner: NamespacedConstruct, request: { name: string; claims: readonly string[]; settings?: VolumeSnapshotSettings }): void {
  const platform = owner.platform;
  const state = platform.registry.fact(STATE);
  const settings = request.settings === undefined ? undefined : checkProps<VolumeSnapshotSettings>(owner, request.settings, VOLUME_SNAPSHOT_SETTINGS, 'snapshots');
  const r: SnapshotRequest = { owner, name: request.name, claims: request.claims, settings };
  state.requests.push(r);
  if (!platform.cluster.volumeSnapshots) return;
  if (!state.declarer) {
    state.declarer = new VolumeSnapshotRunbook(platform, 'VolumeSnapshots');
    platform.registry.derive(DeriveStages.SERVERS, platform, () => renderClass(platform));
  }
  platform.registry.derive(DeriveStages.SERVERS, owner, () => {
    const resolved = resolve(platform, r);
    if (resolved) renderSchedule(owner, resolved);
  });
}

/** The snapshots of a data construct, as declared; undefined when it takes none. */
export function volumeSnapshotsOf(owner: IConstruct): ResolvedSnapshots | undefined {
  const platform = Platform.of(owner);
  const r = platform.registry.fact(STATE).requests.find((x) => x.owner === owner);
  return r ? resolve(platform, r) : undefined;
}

/** `; <what the snapshots are>` for a data construct's backup row, or '' when it takes none. */
export function volumeSnapshotsNote(owner: IConstruct): string {
  const s = volumeSnapshotsOf(owner);
  if (!s) return '';
  const claims = s.claims.map((c) => `\`${c}\``).join(', ');
  return `; ${providerOf(s)} volume snapshots of ${claims} (\`${s.schedule}\` UTC, ${s.keep} kept, CronJob \`${s.cronJob}\`; \`npm run -s volume-restore -- ${s.namespace}/${s.claims[0]}\`)`;
}

function providerOf(s: ResolvedSnapshots): string {
  return s.driver === 'dobs.csi.digitalocean.com' ? 'DigitalOcean' : 'CSI';
}

/** Every scheduled snapshot of the platform, for the restore command. */
export function scheduledSnapshots(platform: Platform): ResolvedSnapshots[] {
  return platform.registry.fact(STATE).requests.map((r) => resolve(platform, r)).filter((s): s is ResolvedSnapshots => s !== undefined);
}

/** The runbook step shared by every scheduled snapshot (declared once per platform). */
class VolumeSnapshotRunbook extends Construct implements BackupDeclarer {
  constructor(scope: Platform, id: string) {
    super(scope, id);
    declareBackups(this);
  }

  public get backupPlan(): BackupPlan {
    const all = scheduledSnapshots(Platform.of(this));
    if (!all.length) return { rows: [] };
    const claims = all.flatMap((s) => s.claims.map((c) => `${s.namespace}/${c}`));
    return {
      rows: [],
      recovery: [{
        order: 25,
        lines: [
          '# Volumes without an off-site copy: back from their last snapshots (up to a day old; where the',
          '#    steps above restored an off-site copy, it is newer). The DigitalOcean snapshot ids of the lost cluster:',
          '#    doctl compute snapshot list --resource volume. Per volume, read the steps, then run them:',
          ...claims.map((c) => `npm run -s volume-restore -- ${c} --handle <snapshot-id>`),
        ],
      }],
    };
  }
}

function labelsOf(s: ResolvedSnapshots): { labels: Record<string, string>; podLabels: Record<string, string> } {
  const id = { name: 'volume-snapshots', instance: s.cronJob, component: 'snapshot' };
  return { labels: standardLabels(id), podLabels: selectorLabels(id) };
}

/** The Retain class, in the chart of the first namespace (by name) that takes snapshots. */
function renderClass(platform: Platform): void {
  const owners = platform.registry.fact(STATE).requests.filter((r) => resolve(platform, r));
  if (!owners.length) return;
  const first = [...owners].sort((a, b) => a.owner.namespace.localeCompare(b.owner.namespace))[0];
  new ApiObject(first.owner, 'VolumeSnapshotClass', {
    apiVersion: SNAPSHOT_API,
    kind: 'VolumeSnapshotClass',
    metadata: { name: RETAINED_SNAPSHOT_CLASS, labels: standardLabels({ name: 'volume-snapshots', instance: RETAINED_SNAPSHOT_CLASS, component: 'snapshot-class' }) },
    driver: platform.cluster.volumeSnapshots!.driver,
    // Kept when the VolumeSnapshot (or its namespace) is deleted; pruning sets Delete on purpose.
    deletionPolicy: 'Retain',
  });
}

function renderSchedule(owner: NamespacedConstruct, s: ResolvedSnapshots): void {
  const scope = new Construct(owner, 'VolumeSnapshots');
  const { labels, podLabels } = labelsOf(s);
  const name = s.cronJob;
  new k8s.KubeServiceAccount(scope, 'ServiceAccount', { metadata: { name, labels }, automountServiceAccountToken: false });
  new k8s.KubeRole(scope, 'Role', {
    metadata: { name, labels },
    rules: [
      { apiGroups: ['snapshot.storage.k8s.io'], resources: ['volumesnapshots'], verbs: ['create', 'get', 'list', 'watch', 'delete'] },
      { apiGroups: [''], resources: ['persistentvolumeclaims'], resourceNames: [...s.claims], verbs: ['get'] },
    ],
  });
  new k8s.KubeRoleBinding(scope, 'RoleBinding', {
    metadata: { name, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [{ kind: 'ServiceAccount', name, namespace: s.namespace }],
  });
  // Contents are cluster-scoped and named by the controller (`snapcontent-<uid>`), so no
  // resourceNames: the script patches only the content its own snapshot is bound to.
  const clusterName = fitName(`${s.namespace}-${name}`);
  new k8s.KubeClusterRole(scope, 'ContentRole', {
    metadata: { name: clusterName, labels },
    rules: [{ apiGroups: ['snapshot.storage.k8s.io'], resources: ['volumesnapshotcontents'], verbs: ['get', 'patch'] }],
  });
  new k8s.KubeClusterRoleBinding(scope, 'ContentRoleBinding', {
    metadata: { name: clusterName, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterName },
    subjects: [{ kind: 'ServiceAccount', name, namespace: s.namespace }],
  });
  // What RBAC cannot say: only this namespace's contents, only deletionPolicy, only to Delete.
  new ApiObject(scope, 'ContentPolicy', {
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy',
    metadata: { name: clusterName, labels }, spec: contentPolicySpec({ namespace: s.namespace, serviceAccountName: name }),
  });
  new ApiObject(scope, 'ContentPolicyBinding', {
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name: clusterName, labels }, spec: contentPolicyBindingSpec(clusterName),
  });
  const tmp = scratchVolume('tmp', '/tmp', '16Mi');
  scheduledJob(scope, 'CronJob', {
    name,
    labels,
    schedule: s.schedule,
    startingDeadlineSeconds: 3600,
    activeDeadlineSeconds: s.claims.length * (s.readyTimeoutSeconds + 120) + 300,
    pod: {
      restartPolicy: 'Never',
      serviceAccountName: name,
      // The one pod of the claim owner's namespace that calls the API server.
      automountServiceAccountToken: true,
      enableServiceLinks: false,
      securityContext: restrictedPodSecurityContext(UID),
      containers: [{
        name: 'snapshot',
        image: KUBECTL_IMAGE,
        command: ['sh', '-c', snapshotScript({ namespace: s.namespace, claims: s.claims, className: RETAINED_SNAPSHOT_CLASS, keep: s.keep, schedule: name, readyTimeoutSeconds: s.readyTimeoutSeconds })],
        env: [{ name: 'HOME', value: '/tmp' }],
        resources: resourceRequirements({}, { cpuRequest: '10m', memoryRequest: '32Mi', memoryLimit: '128Mi' }),
        securityContext: restrictedContainerSecurityContext(),
        volumeMounts: [tmp.mount],
      }],
      volumes: [tmp.volume],
    },
  });
  NetworkPolicies.of(owner).allow(owner, {
    from: { namespace: s.namespace, podLabels, name: s.cronJob },
    to: Peers.KUBE_API,
    ports: KUBE_API_PORTS,
    reason: `${name} creates and prunes VolumeSnapshots`,
  });
}

export interface SnapshotScriptOptions {
  readonly namespace: string;
  readonly claims: readonly string[];
  readonly className: string;
  readonly keep: number;
  /** The CronJob's name: the SCHEDULE label of its snapshots. */
  readonly schedule: string;
  readonly readyTimeoutSeconds: number;
}

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * For each claim: checks it is Bound, creates `<claim>-<UTC yyyymmdd-hhmmss>` labelled with the
 * schedule and the claim, waits until it is ready to use, and only then deletes this schedule's
 * snapshots of that claim beyond the newest `keep` (each one's content set to Delete first, so
 * the provider's snapshot goes too). A claim that fails is reported and the others still run;
 * the script exits non-zero when any failed, and then prunes nothing of that claim.
 */
export function snapshotScript(o: SnapshotScriptOptions): string {
  for (const v of [o.namespace, o.className, o.schedule, ...o.claims]) {
    if (!NAME.test(v) || v.length > 63) throw new Error(`volume snapshots: ${JSON.stringify(v)} is not a DNS-1123 label`);
  }
  if (!Number.isInteger(o.keep) || o.keep < 1) throw new Error(`volume snapshots: keep ${o.keep} is not a whole number ≥ 1`);
  const listTemplate = '{range .items[*]}{.metadata.name}{" "}{.status.boundVolumeSnapshotContentName}{"\\n"}{end}';
  return [
    'set -u',
    `ns=${o.namespace}`,
    `class=${o.className}`,
    `keep=${o.keep}`,
    `schedule=${o.schedule}`,
    `timeout=${o.readyTimeoutSeconds}`,
    'stamp="$(date -u +%Y%m%d-%H%M%S)"',
    'work="${TMPDIR:-/tmp}/volume-snapshots"',
    'mkdir -p "$work"',
    'failed=0',
    'fail() { echo "volume-snapshots: FAILED $1: $2" >&2; failed=1; }',
    'snapshot() {',
    '  claim="$1"',
    '  phase="$(kubectl -n "$ns" get pvc "$claim" -o jsonpath=\'{.status.phase}\')" || { fail "$claim" "cannot read the PersistentVolumeClaim"; return; }',
    '  [ "$phase" = Bound ] || { fail "$claim" "the PersistentVolumeClaim is ${phase:-without a phase}, not Bound"; return; }',
    '  name="$claim-$stamp"',
    '  kubectl -n "$ns" create -f - <<EOF || { fail "$claim" "cannot create VolumeSnapshot $name"; return; }',
    `apiVersion: ${SNAPSHOT_API}`,
    'kind: VolumeSnapshot',
    'metadata:',
    '  name: $name',
    '  labels:',
    `    app.kubernetes.io/part-of: ${PART_OF}`,
    `    ${SnapshotLabels.SCHEDULE}: $schedule`,
    `    ${SnapshotLabels.CLAIM}: $claim`,
    'spec:',
    '  volumeSnapshotClassName: $class',
    '  source:',
    '    persistentVolumeClaimName: $claim',
    'EOF',
    '  if ! kubectl -n "$ns" wait --for=jsonpath=\'{.status.readyToUse}\'=true "volumesnapshot/$name" --timeout="${timeout}s"; then',
    '    reason="$(kubectl -n "$ns" get volumesnapshot "$name" -o jsonpath=\'{.status.error.message}\' 2>/dev/null)"',
    '    fail "$claim" "VolumeSnapshot $name is not ready to use after ${timeout} s${reason:+: $reason}"',
    '    return',
    '  fi',
    '  echo "volume-snapshots: $ns/$name is ready to use"',
    // Names end in the UTC time, so name order is age order within one claim.
    `  kubectl -n "$ns" get volumesnapshot -l "${SnapshotLabels.SCHEDULE}=$schedule,${SnapshotLabels.CLAIM}=$claim" -o jsonpath='${listTemplate}' > "$work/own" || { fail "$claim" "cannot list its snapshots"; return; }`,
    '  grep -E "^$claim-[0-9]{8}-[0-9]{6} " "$work/own" | sort > "$work/sorted" || true',
    '  excess=$(( $(wc -l < "$work/sorted") - keep ))',
    '  [ "$excess" -gt 0 ] || return 0',
    '  head -n "$excess" "$work/sorted" | while read -r old content; do',
    '    if [ -n "$content" ]; then',
    '      kubectl patch volumesnapshotcontent "$content" --type merge -p \'{"spec":{"deletionPolicy":"Delete"}}\' >/dev/null || exit 1',
    '    fi',
    '    kubectl -n "$ns" delete volumesnapshot "$old" --wait=false || exit 1',
    '  done || fail "$claim" "cannot prune its old snapshots"',
    '}',
    ...o.claims.map((c) => `snapshot ${c}`),
    'exit "$failed"',
    '',
  ].join('\n');
}
