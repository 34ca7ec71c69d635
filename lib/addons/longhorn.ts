// Longhorn from its Helm chart: replicated block storage for a k3s node, with a retained
// StorageClass.
import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { configError } from '../core/errors';
import { needsCrd, SyncWave } from '../core/annotations';
import { checkName, MANAGED_BY, NameRules, PART_OF } from '../core/names';
import { KUBE_API_PORTS, NetworkPolicies, Peers, PodPeer } from '../network/network-policies';
import { NamespacedConstruct } from '../core/platform';
import { PodSecurity } from '../core/namespace-chart';
import { helmChart, PINS } from '../core/pins';
import { checkProps, Rules, ShapeOf } from '../core/prop-schema';
import { reportProblem } from '../core/problems';
import { BackupDeclarer, BackupPlan, declareBackups } from '../core/backups';
import { SecretKeyReference } from '../core/handles';
import { declareSecrets, SecretDeclarer } from '../core/secrets';

/** The Longhorn chart the platform installs. */
export const LONGHORN_CHART = helmChart(PINS.charts.longhorn);

/** Longhorn settings that differ per data engine are JSON maps (`{"v1":"1","v2":"1"}`) since 1.10. */
const perEngine = (value: number): string => JSON.stringify({ v1: String(value), v2: String(value) });

/** Values of the pinned longhorn chart (LONGHORN_CHART) that the platform sets. */
export interface LonghornValues {
  readonly persistence: {
    readonly defaultClass: boolean;
    readonly defaultClassReplicaCount: number;
    readonly reclaimPolicy: 'Delete' | 'Retain';
    readonly defaultFsType: 'ext4' | 'xfs';
  };
  readonly preUpgradeChecker: { readonly jobEnabled: boolean; readonly upgradeVersionCheck: boolean };
  readonly csi: {
    readonly attacherReplicaCount: number;
    readonly provisionerReplicaCount: number;
    readonly resizerReplicaCount: number;
    readonly snapshotterReplicaCount: number;
  };
  readonly defaultSettings: {
    readonly defaultDataPath: string;
    readonly defaultReplicaCount: string;
    readonly guaranteedInstanceManagerCPU: string;
    readonly storageMinimalAvailablePercentage: number;
    readonly upgradeChecker: boolean;
    readonly allowCollectingLonghornUsageMetrics: boolean;
    readonly nodeDrainPolicy: 'block-if-contains-last-replica' | 'allow-if-replica-is-stopped' | 'always-allow';
  };
  readonly defaultBackupStore?: { readonly backupTarget: string; readonly backupTargetCredentialSecret?: string };
  readonly longhornUI: { readonly replicas: number };
  /** Requests only: an OOM-killed manager stalls every volume on the node. */
  readonly longhornManager: { readonly resources: { readonly requests: { readonly cpu: string; readonly memory: string } } };
}

/**
 * Requests of Longhorn containers the chart gives no `resources` key (driver deployer, UI, the
 * manager's image pre-pull sidecar, the upgrade and uninstall hook Jobs, in the pinned chart) and of the
 * CSI pods the driver deployer creates: a LimitRange default, since values cannot set them. No
 * default limit, for the same reason as the manager's.
 */
export const LONGHORN_DEFAULT_REQUEST = { cpu: '10m', memory: '32Mi' } as const;

/** Off-site copies of the volumes; without one, snapshots stay on the node's volume only. */
export interface LonghornBackupTarget {
  /** `s3://bucket@region/path`, `nfs://host:/path` or `cifs://...` (Longhorn's backup target URL). */
  readonly url: string;
  /**
   * Secret in the Longhorn namespace with the target's credentials: for `s3://`, the keys
   * AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_ENDPOINTS with `endpoint`), which the
   * secrets tooling (`npm run secrets`) lists and creates.
   */
  readonly credentialSecret?: string;
  /**
   * The S3 API endpoint of a store other than AWS (`https://fsn1.your-objectstorage.com`), put in
   * the Secret as AWS_ENDPOINTS. @default - AWS S3
   */
  readonly endpoint?: string;
}

/** A recurring snapshot or backup of every volume without a job of its own (the `default` group). */
export interface LonghornSchedule {
  /** Cron schedule, UTC. */
  readonly cron: string;
  /** How many to keep. */
  readonly retain: number;
}

export interface LonghornProps {
  /** @default 'longhorn-system' (the namespace the chart expects) */
  readonly namespace?: string;
  /** Host path of the data (the mount point of the block volume). @default '/var/lib/longhorn/' */
  readonly dataPath?: string;
  /**
   * Make the chart's `longhorn` class (reclaim Delete) the cluster default. Leave false when k3s keeps
   * its `local-path` default; with k3s `--disable=local-storage` (see lib/k3s.ts) set true.
   * @default false
   */
  readonly defaultClass?: boolean;
  /** Replicas per volume; one node holds one replica. @default 1 */
  readonly replicas?: number;
  /** @default daily at 02:00, 7 kept */
  readonly snapshots?: LonghornSchedule;
  /** @default - no backups (snapshots on the node's volume only) */
  readonly backupTarget?: LonghornBackupTarget;
  /** @default daily at 03:00, 14 kept (only with a backupTarget) */
  readonly backups?: LonghornSchedule;
  /** Instance manager's share of node CPU, percent (Longhorn's default is 12). @default 5 */
  readonly instanceManagerCpuPercent?: number;
}

const schedule = Rules.object<LonghornSchedule>({
  cron: Rules.required(Rules.cron(), undefined, 'give a cron schedule, e.g. "0 2 * * *"'),
  retain: Rules.required(Rules.integer(1, 100, 'keep e.g. 7'), undefined, 'say how many to keep, e.g. 7'),
});

const LONGHORN_PROPS = {
  // Checked by the platform when it makes the namespace chart.
  namespace: Rules.any(),
  dataPath: Rules.pattern(/^\/(?:[A-Za-z0-9_][A-Za-z0-9._-]*\/?)*$/, 'an absolute host path (no "..", spaces or special characters)', 'use the mount point of the block volume, e.g. "/var/lib/longhorn/"'),
  defaultClass: Rules.boolean(),
  replicas: Rules.integer(1, 3, 'use 1 on a single node (one node can hold one replica)'),
  snapshots: schedule,
  backupTarget: Rules.object<LonghornBackupTarget>({
    url: Rules.required(Rules.pattern(/^(s3|nfs|cifs|azblob):\/\/[^\s"'`$;|&<>\\]+$/, 'a Longhorn backup target', 'use s3://bucket@region/path, nfs://host:/path, cifs://... or azblob://...'), undefined, 'give the target URL, e.g. "s3://bucket@region/"'),
    credentialSecret: Rules.name(NameRules.DNS1123_SUBDOMAIN),
    endpoint: Rules.pattern(/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?\/?$/, 'an http(s) endpoint URL without credentials or path', 'use e.g. "https://fsn1.your-objectstorage.com"'),
  }),
  backups: schedule,
  instanceManagerCpuPercent: Rules.integer(1, 40, 'use 5 on a 2 vCPU node'),
} satisfies ShapeOf<LonghornProps>;

/** `longhorn.io/v1beta2` RecurringJob; no CRD file in this repository, so see the test's minimal schema. */
export interface RecurringJobSpec {
  readonly name: string;
  readonly task: 'snapshot' | 'backup';
  readonly cron: string;
  readonly retain: number;
  readonly concurrency: number;
  readonly groups: string[];
  readonly labels?: Record<string, string>;
}

export class RecurringJob extends ApiObject {
  public static readonly GVK = { apiVersion: 'longhorn.io/v1beta2', kind: 'RecurringJob' } as const;
  constructor(scope: Construct, id: string, props: { metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec: RecurringJobSpec }) {
    super(scope, id, { ...RecurringJob.GVK, metadata: props.metadata, spec: props.spec });
  }
}

/**
 * Longhorn block storage on a single node: the chart (one replica, no pre-upgrade Job under GitOps),
 * a `longhorn-retain` StorageClass whose volumes outlive their claims, and recurring snapshots (and,
 * with a backup target, backups) of every volume. The data lives under `dataPath`, which on the k3s
 * profile is the mount point of the attached block volume: that volume must never be destroyed.
 */
export class Longhorn extends NamespacedConstruct implements BackupDeclarer, SecretDeclarer {
  /** The StorageClass for data (reclaim Retain). */
  public readonly retainClass = 'longhorn-retain';
  /** The chart's own class (reclaim Delete), for scratch volumes. */
  public readonly deleteClass = 'longhorn';
  public readonly values: LonghornValues;
  public readonly replicas: number;
  private readonly target?: LonghornBackupTarget;
  private readonly schedules: { snapshots: { cron: string; retain: number }; backups?: { cron: string; retain: number }; target?: string };

  constructor(scope: Construct, id: string, props: LonghornProps = {}) {
    super(scope, id, props?.namespace ?? 'longhorn-system', {
      // The RecurringJobs need the chart's CRDs: a folder after the operators.
      wave: SyncWave.SHARED_SERVICES,
      podSecurity: PodSecurity.PRIVILEGED,
      podSecurityReason: 'Longhorn manager, engine and CSI plugin pods mount host paths, use iSCSI and run privileged on the node',
    });
    // Synthesis does not type-check: each bad prop is reported, and its default used instead.
    props = checkProps<LonghornProps>(this, props, LONGHORN_PROPS);
    declareBackups(this);
    declareSecrets(this);
    this.replicas = props.replicas ?? 1;
    if (!Number.isInteger(this.replicas) || this.replicas < 1 || this.replicas > 3) {
      throw configError(this, { field: 'replicas', value: props.replicas, problem: 'is not 1, 2 or 3', fix: 'use 1 on a single node (one node can hold one replica)' });
    }
    const dataPath = props.dataPath ?? '/var/lib/longhorn/';
    if (!dataPath.startsWith('/')) throw configError(this, { field: 'dataPath', value: dataPath, problem: 'is not an absolute path', fix: 'use the mount point of the block volume, e.g. "/var/lib/longhorn/"' });
    const cpu = props.instanceManagerCpuPercent ?? 5;
    if (!Number.isInteger(cpu) || cpu < 1 || cpu > 40) throw configError(this, { field: 'instanceManagerCpuPercent', value: cpu, problem: 'is not a percentage between 1 and 40', fix: 'use 5 on a 2 vCPU node' });
    if (props.backups && !props.backupTarget) {
      reportProblem(this, { field: 'backups', value: props.backups, problem: 'is set without a backupTarget', fix: 'add backupTarget: { url: "s3://bucket@region/", credentialSecret } or remove backups' });
    }
    if (props.backupTarget && !/^(s3|nfs|cifs|azblob):\/\/\S+$/.test(props.backupTarget.url)) {
      throw configError(this, { field: 'backupTarget.url', value: props.backupTarget.url, problem: 'is not a Longhorn backup target', fix: 'use s3://bucket@region/path, nfs://host:/path, cifs://... or azblob://...' });
    }
    if (props.backupTarget?.credentialSecret) checkName(this, 'backupTarget.credentialSecret', props.backupTarget.credentialSecret, NameRules.DNS1123_SUBDOMAIN);

    this.values = {
      persistence: { defaultClass: props.defaultClass ?? false, defaultClassReplicaCount: this.replicas, reclaimPolicy: 'Delete', defaultFsType: 'ext4' },
      // The values file: "set to false when using Argo CD or other GitOps tools" (the hook Job fails there).
      preUpgradeChecker: { jobEnabled: false, upgradeVersionCheck: false },
      csi: { attacherReplicaCount: 1, provisionerReplicaCount: 1, resizerReplicaCount: 1, snapshotterReplicaCount: 1 },
      defaultSettings: {
        defaultDataPath: dataPath,
        defaultReplicaCount: perEngine(this.replicas),
        guaranteedInstanceManagerCPU: perEngine(cpu),
        storageMinimalAvailablePercentage: 10,
        upgradeChecker: false,
        allowCollectingLonghornUsageMetrics: false,
        // One node: a drain must not wait for a second replica that cannot exist.
        nodeDrainPolicy: this.replicas === 1 ? 'allow-if-replica-is-stopped' : 'block-if-contains-last-replica',
      },
      ...(props.backupTarget ? { defaultBackupStore: { backupTarget: props.backupTarget.url, backupTargetCredentialSecret: props.backupTarget.credentialSecret } } : {}),
      longhornUI: { replicas: 1 },
      longhornManager: { resources: { requests: { cpu: '50m', memory: '256Mi' } } },
    };
    this.platform.addHelmRelease(this, { name: 'longhorn', namespace: this.namespace, ...LONGHORN_CHART, values: this.values, wave: SyncWave.OPERATORS });

    const labels = (component: string) => ({ 'app.kubernetes.io/name': 'longhorn', 'app.kubernetes.io/component': component, 'app.kubernetes.io/part-of': PART_OF, 'app.kubernetes.io/managed-by': MANAGED_BY });
    new k8s.KubeStorageClass(this, 'RetainClass', {
      metadata: { name: this.retainClass, labels: labels('storage-class') },
      provisioner: 'driver.longhorn.io',
      // The PersistentVolume (and its data) stays when the claim is deleted; an operator removes it.
      reclaimPolicy: 'Retain',
      allowVolumeExpansion: true,
      volumeBindingMode: 'WaitForFirstConsumer',
      parameters: {
        numberOfReplicas: String(this.replicas),
        staleReplicaTimeout: '2880',
        fsType: 'ext4',
        dataLocality: 'best-effort',
        dataEngine: 'v1',
      },
    });

    const snapshots = checkSchedule(this, 'snapshots', props.snapshots ?? { cron: '0 2 * * *', retain: 7 });
    new RecurringJob(this, 'Snapshots', {
      metadata: { name: 'snapshot-daily', labels: labels('recurring-job'), annotations: needsCrd() },
      spec: { name: 'snapshot-daily', task: 'snapshot', cron: snapshots.cron, retain: snapshots.retain, concurrency: 1, groups: ['default'] },
    });
    this.schedules = { snapshots, target: props.backupTarget?.url };
    this.target = props.backupTarget;
    if (props.backupTarget) {
      const backups = checkSchedule(this, 'backups', props.backups ?? { cron: '0 3 * * *', retain: 14 });
      this.schedules.backups = backups;
      new RecurringJob(this, 'Backups', {
        metadata: { name: 'backup-daily', labels: labels('recurring-job'), annotations: needsCrd() },
        spec: { name: 'backup-daily', task: 'backup', cron: backups.cron, retain: backups.retain, concurrency: 1, groups: ['default'] },
      });
    }

    new k8s.KubeLimitRange(this, 'DefaultRequests', {
      metadata: { name: 'default-requests', labels: labels('limit-range') },
      spec: {
        limits: [{
          type: 'Container',
          defaultRequest: { cpu: k8s.Quantity.fromString(LONGHORN_DEFAULT_REQUEST.cpu), memory: k8s.Quantity.fromString(LONGHORN_DEFAULT_REQUEST.memory) },
        }],
      },
    });

    // Longhorn's components talk to each other (manager, instance managers, CSI), call the API
    // server, and serve the admission webhook to the API server: longhorn-manager's
    // `admission-wh` port 9502 (the pinned chart serves 9500 manager, 9502 admission-wh, 9503
    // recov-backend; the conversion webhook, once 9501, is gone).
    const pods: PodPeer = { namespace: this.namespace, podLabels: {}, name: 'longhorn' };
    const network = NetworkPolicies.of(this);
    network.allow(this, { from: pods, to: pods, ports: [], reason: 'Longhorn components talk to each other' });
    network.allow(this, { from: pods, to: Peers.KUBE_API, ports: KUBE_API_PORTS, reason: 'Longhorn manager and CSI sidecars' });
    network.allow(this, { from: Peers.WORLD, to: { namespace: this.namespace, podLabels: { app: 'longhorn-manager' }, name: 'longhorn-manager' }, ports: [{ port: 9502 }], reason: 'the API server calls the admission webhook' });
    if (props.backupTarget) network.allow(this, { from: pods, to: Peers.INTERNET, ports: [{ port: backupTargetPort(props.backupTarget) }], reason: 'backup target' });
  }

  /** The backup target's credentials (an `s3://` target with a credentialSecret), for `npm run secrets`. */
  public get secretReferences(): SecretKeyReference[] {
    const t = this.target;
    if (!t?.credentialSecret || !t.url.startsWith('s3://')) return [];
    const ref = (key: string, description: string): SecretKeyReference => ({ namespace: this.namespace, name: t.credentialSecret!, key, description });
    return [
      ref('AWS_ACCESS_KEY_ID', `access key of the backup target ${t.url} (may read and write the bucket)`),
      ref('AWS_SECRET_ACCESS_KEY', `secret key of that access key (${t.url})`),
      ...(t.endpoint ? [ref('AWS_ENDPOINTS', `the S3 API endpoint of ${t.url}: ${t.endpoint}`)] : []),
    ];
  }

  /** What the README's data-safety block says of the volumes (`npm run backups`). */
  public get backupPlan(): BackupPlan {
    const { snapshots, backups, target } = this.schedules;
    return {
      rows: [{
        state: `Longhorn volumes (\`${this.retainClass}\`)`,
        what: `snapshots of every volume${backups ? '; backups of every volume' : ''} (the \`default\` recurring-job group)`,
        where: backups ? `the node's volume; \`${target}\`` : "the node's volume only (set `backupTarget`)",
        schedule: `snapshots \`${snapshots.cron}\`, ${snapshots.retain} kept${backups ? `; backups \`${backups.cron}\`, ${backups.retain} kept` : ''}`,
        restore: 'Longhorn UI (Backup, or the volume\'s Snapshots): restore to a new volume, then bind it with a PV/PVC of the old name',
      }],
    };
  }
}

function checkSchedule(scope: Construct, field: string, s: LonghornSchedule): LonghornSchedule {
  if (typeof s.cron !== 'string' || s.cron.trim().split(/\s+/).length !== 5) {
    throw configError(scope, { field: `${field}.cron`, value: s.cron, problem: 'is not a five-field cron schedule', fix: 'use e.g. "0 2 * * *"' });
  }
  if (!Number.isInteger(s.retain) || s.retain < 1 || s.retain > 100) {
    throw configError(scope, { field: `${field}.retain`, value: s.retain, problem: 'is not between 1 and 100', fix: 'keep e.g. 7' });
  }
  return s;
}

/** The one port the backup target is reached on: its scheme's (NFSv4 2049, SMB 445), or the S3 endpoint's (443 by default). */
function backupTargetPort(t: LonghornBackupTarget): number {
  if (t.url.startsWith('nfs://')) return 2049;
  if (t.url.startsWith('cifs://')) return 445;
  const port = t.endpoint ? /^(https?):\/\/[^/:]+(?::(\d+))?/.exec(t.endpoint) : null;
  return port?.[2] ? Number(port[2]) : port?.[1] === 'http' ? 80 : 443;
}
