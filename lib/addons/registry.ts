// An in-cluster container registry (CNCF Distribution) on a retained volume, served over TLS at its
// host.
import { createHash } from 'crypto';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { configError } from '../core/errors';
import { SyncWave } from '../core/annotations';
import { SecretKeyReference } from '../core/handles';
import { PinnedImage, pinnedImage } from '../core/image';
import { IngressRoute, RouteBackend } from '../routing/ingress-route';
import { renderRegistriesYaml } from '../cluster/k3s';
import { checkName, ComponentIdentity, NameRules, selectorLabels, standardLabels } from '../core/names';
import { NamespacedConstruct } from '../core/platform';
import { toYaml } from '../core/yaml';
import { resourceRequirements, ResourceSpec, restrictedContainerSecurityContext, restrictedPodSecurityContext, scratchVolume } from '../core/security';
import { declareSecrets } from '../core/secrets';
import { renderServerServices, renderStatefulServer } from '../data/stateful-server';
import { checkVolumeSize, dataStorageClass } from '../core/volumes';
import { imageRef, PINS } from '../core/pins';
import { checkProps, Rules, ShapeOf } from '../core/prop-schema';
import { BackupDeclarer, BackupPlan, declareBackups } from '../core/backups';
import { snapshotVolumes, VOLUME_SNAPSHOT_SETTINGS, VolumeSnapshotSettings, volumeSnapshotsNote } from '../data/volume-snapshots';
import { Longhorn } from './longhorn';

/** CNCF Distribution, pinned in PINS. */
export const REGISTRY_IMAGE = imageRef(PINS.images.registry);
const PORT = 5000;
const UID = 1000;
const DATA = '/var/lib/registry';
const AUTH_DIR = '/auth';
/** The image's default command serves this file. */
const CONFIG_DIR = '/etc/distribution';

export interface RegistryProps {
  /** @default 'registry' */
  readonly namespace?: string;
  /** Public host, served over TLS by the ingress. @default `registry.<platform domain>` */
  readonly host?: string;
  /** @default REGISTRY_IMAGE */
  readonly image?: string;
  /** Size of the image store. @default '20Gi' */
  readonly storageSize?: string;
  /** StorageClass of the image store (a Retain class). @default - the cluster's default class */
  readonly storageClassName?: string;
  /** Secret with the htpasswd file (bcrypt entries: `htpasswd -Bbn user password`). @default 'registry-htpasswd' */
  readonly htpasswdSecret?: string;
  /** Secret with the HTTP secret that signs upload state. @default 'registry-http-secret' */
  readonly httpSecret?: string;
  /** @default 50m / 64Mi requested, 256Mi memory limit */
  readonly resources?: ResourceSpec;
  /** Scheduled snapshots of the image store, where the cluster takes CSI snapshots (DOKS). @default - the platform's (daily, 7 kept) */
  readonly snapshots?: VolumeSnapshotSettings;
}

const REGISTRY_PROPS = {
  // Checked by the platform when it makes the namespace chart.
  namespace: Rules.any(),
  host: Rules.name(NameRules.HOSTNAME, 'use a host such as "registry.example.com"'),
  image: Rules.throwing(pinnedImage),
  storageSize: Rules.pattern(/^[1-9][0-9]*(Mi|Gi|Ti)$/, 'a size in Mi, Gi or Ti', 'use e.g. "20Gi"'),
  storageClassName: Rules.name(NameRules.DNS1123_SUBDOMAIN),
  htpasswdSecret: Rules.name(NameRules.DNS1123_SUBDOMAIN),
  httpSecret: Rules.name(NameRules.DNS1123_SUBDOMAIN),
  resources: Rules.resources({ cpuRequest: '50m', memoryRequest: '64Mi', memoryLimit: '256Mi' }),
  snapshots: Rules.object<VolumeSnapshotSettings>(VOLUME_SNAPSHOT_SETTINGS),
} satisfies ShapeOf<RegistryProps>;

/**
 * An in-cluster image registry (CNCF Distribution) for images built for this platform: a
 * StatefulSet on a retained volume, htpasswd auth from a Secret, served at `registry.<domain>`
 * through the ingress with the platform's TLS certificate.
 *
 * Why not the docker-registry chart: its htpasswd and haSharedSecret are chart values (so they would
 * be secret values in dist/, or random ones that change on every render and roll the pod), its
 * Deployment would put the store on a volume that a chart upgrade may replace, and chart-rendered
 * pods are outside the policy suite. A StatefulSet of our own reads both secrets by reference, keeps
 * its volume with prune/delete protection, and passes the restricted-pod policies.
 */
export class Registry extends NamespacedConstruct implements BackupDeclarer {
  public readonly host: string;
  public readonly image: PinnedImage;
  public readonly name = 'registry';
  /** The Service the route answers from. */
  public readonly backend: RouteBackend;
  public readonly htpasswd: SecretKeyReference;
  public readonly httpSecret: SecretKeyReference;
  private readonly storageClassName?: string;
  private readonly size: string;

  constructor(scope: Construct, id: string, props: RegistryProps = {}) {
    super(scope, id, props?.namespace ?? 'registry', { wave: SyncWave.SHARED_SERVICES, holdsData: true });
    // Synthesis does not type-check: each bad prop is reported, and its default used instead.
    props = checkProps<RegistryProps>(this, props, REGISTRY_PROPS);
    declareSecrets(this);
    declareBackups(this);
    this.host = checkName(this, 'host', props.host ?? this.platform.host('registry'), NameRules.HOSTNAME);
    this.image = pinnedImage(this, 'image', props.image ?? REGISTRY_IMAGE);
    const size = props.storageSize ?? '20Gi';
    if (!/^[0-9]+(Mi|Gi|Ti)$/.test(size)) throw configError(this, { field: 'storageSize', value: size, problem: 'is not a size in Mi, Gi or Ti', fix: 'use e.g. "20Gi"' });
    checkVolumeSize(this, 'storageSize', size);
    const storageClassName = dataStorageClass(this, 'storageClassName', props.storageClassName);
    this.storageClassName = storageClassName;
    this.size = size;
    snapshotVolumes(this, { name: this.name, claims: [this.claimName], settings: props.snapshots });
    this.htpasswd = {
      namespace: this.namespace,
      name: checkName(this, 'htpasswdSecret', props.htpasswdSecret ?? 'registry-htpasswd', NameRules.DNS1123_SUBDOMAIN),
      key: 'htpasswd',
      description: 'htpasswd file of the registry users (bcrypt: `htpasswd -Bbn <user> <password>`): a push user for CI/builds and a pull user for the node (registries.yaml)',
      value: { kind: 'provided', env: 'REGISTRY_HTPASSWD' },
    };
    this.httpSecret = {
      namespace: this.namespace,
      name: checkName(this, 'httpSecret', props.httpSecret ?? 'registry-http-secret', NameRules.DNS1123_SUBDOMAIN),
      key: 'secret',
      description: 'random string that signs upload state; keep it stable, or uploads in flight fail',
      value: { kind: 'generated', length: 64 },
    };

    const id_: ComponentIdentity = { name: 'registry', instance: this.name, component: 'registry' };
    const labels = standardLabels(id_);
    const podLabels = selectorLabels(id_);
    const tmp = scratchVolume('tmp', '/tmp');
    new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata: { name: this.name, labels }, automountServiceAccountToken: false });
    const identity = { name: this.name, labels, podLabels, ports: [{ name: 'http', port: PORT }] };
    renderServerServices(this, identity);

    const config = toYaml(this.configFile());
    new k8s.KubeConfigMap(this, 'Config', { metadata: { name: `${this.name}-config`, labels }, data: { 'config.yml': config } });
    renderStatefulServer(this, {
      ...identity,
      // A changed config file restarts the registry.
      podAnnotations: { 'checksum/config': createHash('sha256').update(config).digest('hex') },
      data: { size, storageClassName },
      pod: {
        serviceAccountName: this.name,
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        securityContext: restrictedPodSecurityContext(UID),
        containers: [{
          name: 'registry',
          image: this.image.ref,
          ports: [{ name: 'http', containerPort: PORT, protocol: 'TCP' }],
          env: [
            // Environment variables override the config file; the secret stays a reference.
            { name: 'REGISTRY_HTTP_SECRET', valueFrom: { secretKeyRef: { name: this.httpSecret.name, key: this.httpSecret.key } } },
            // Distribution 3 exports traces over OTLP by default; there is no collector here.
            { name: 'OTEL_TRACES_EXPORTER', value: 'none' },
          ],
          resources: resourceRequirements(props.resources, { cpuRequest: '50m', memoryRequest: '64Mi', memoryLimit: '256Mi' }),
          readinessProbe: { httpGet: { path: '/', port: k8s.IntOrString.fromString('http') }, initialDelaySeconds: 3, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
          livenessProbe: { httpGet: { path: '/', port: k8s.IntOrString.fromString('http') }, initialDelaySeconds: 15, periodSeconds: 20, timeoutSeconds: 3, failureThreshold: 3 },
          securityContext: restrictedContainerSecurityContext(),
          volumeMounts: [
            { name: 'data', mountPath: DATA },
            { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
            { name: 'auth', mountPath: AUTH_DIR, readOnly: true },
            tmp.mount,
          ],
        }],
        volumes: [
          { name: 'config', configMap: { name: `${this.name}-config` } },
          { name: 'auth', secret: { secretName: this.htpasswd.name, items: [{ key: this.htpasswd.key, path: 'htpasswd' }] } },
          tmp.volume,
        ],
      },
    });

    this.backend = { name: this.name, namespace: this.namespace, serviceName: this.name, port: PORT, podLabels };
    new IngressRoute(this, 'Route', { host: this.host, path: '/', backend: this.backend });
  }

  /** The image store's claim (the StatefulSet's `data` template). */
  public get claimName(): string {
    return `data-${this.name}-0`;
  }

  /**
   * What the README's data-safety block says of the image store (`npm run backups`). Every image
   * built here can be built again from its source by the builds, so a lost store costs rebuilds
   * and pulls failing meanwhile, not data.
   */
  public get backupPlan(): BackupPlan {
    const longhorn = this.platform.node.findAll().find((c): c is Longhorn => c instanceof Longhorn);
    const onLonghorn = longhorn !== undefined && (this.storageClassName === longhorn.retainClass || this.storageClassName === longhorn.deleteClass);
    const snapshots = volumeSnapshotsNote(this);
    return {
      rows: [{
        state: `Registry images \`${this.namespace}/${this.name}\``,
        what: `the image store on \`${this.claimName}\` (${this.size}); the images are rebuilt from their sources by the builds, so a lost store loses only the time to rebuild and push them`,
        // The claim carries no recurring-job label, so Longhorn counts it in its `default` group.
        where: `the data volume${onLonghorn ? ': Longhorn\'s snapshots and backups of the `default` recurring-job group (see the Longhorn row)' : ''}${snapshots || (onLonghorn ? '' : ' only')}`,
        schedule: onLonghorn ? 'as the Longhorn row' : snapshots ? 'as the volume snapshots' : '-',
        restore: onLonghorn ? 'Longhorn: restore the volume, bind it as the same claim' : snapshots ? `\`npm run -s volume-restore -- ${this.namespace}/${this.claimName}\`` : 'rebuild and push the images (re-run the builds)',
      }],
    };
  }

  /** Distribution's config.yml (no secret in it: REGISTRY_HTTP_SECRET comes from the Secret). */
  public configFile(): object {
    return {
      version: '0.1',
      log: { level: 'info', fields: { service: 'registry' } },
      storage: { filesystem: { rootdirectory: DATA }, delete: { enabled: true } },
      // TLS ends at the ingress; relative Location headers keep clients on https.
      http: { addr: `:${PORT}`, relativeurls: true, headers: { 'X-Content-Type-Options': ['nosniff'] } },
      auth: { htpasswd: { realm: this.host, path: `${AUTH_DIR}/htpasswd` } },
    };
  }

  /** `/etc/rancher/k3s/registries.yaml` for a node that pulls as `username`. */
  public registriesYaml(username: string): string {
    return renderRegistriesYaml({ host: this.host, username });
  }

  /** `registry.example.com/<name>:<tag>`, for images pushed here. */
  public imageRef(name: string, tag: string): string {
    return pinnedImage(this, 'image', `${this.host}/${name}:${tag}`).ref;
  }

  /** Secret keys the registry reads, for the bootstrap instructions. */
  public get secretReferences(): SecretKeyReference[] {
    return [this.htpasswd, this.httpSecret];
  }
}
