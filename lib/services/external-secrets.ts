// External Secrets Operator: one ExternalSecret per Secret of the inventory, from a secret store.
import { Construct } from 'constructs';
import {
  ExternalSecret, ExternalSecretSpecSecretStoreRefKind, ExternalSecretSpecTargetCreationPolicy,
  ExternalSecretSpecTargetDeletionPolicy,
} from '../../imports/externalsecrets-externalsecret-external-secrets.io';
import { configError } from '../core/errors';
import { needsCrd, SyncWave } from '../core/annotations';
import { chartResources, ChartResources } from '../core/helm-values';
import { checkName, MANAGED_BY, NameRules, PART_OF } from '../core/names';
import { KUBE_API_PORTS, NetworkPolicies, Peers, PodPeer } from '../network/network-policies';
import { NamespacedConstruct } from '../core/platform';
import { DeriveStages } from '../core/registry';
import { checkGoDuration } from '../core/duration';
import { InventorySecret, secretInventory } from '../checks/secrets/inventory';
import { helmChart, PINS } from '../core/pins';
import { checkProps, Rules, ShapeOf } from '../core/prop-schema';

/** The External Secrets Operator chart the platform installs. */
export const EXTERNAL_SECRETS_CHART = helmChart(PINS.charts.externalSecrets);

/** external-secrets chart values the platform sets. */
export interface ExternalSecretsValues {
  readonly installCRDs: boolean;
  readonly replicaCount: number;
  readonly resources: ChartResources;
  readonly webhook: { readonly replicaCount: number; readonly resources: ChartResources };
  readonly certController: { readonly replicaCount: number; readonly resources: ChartResources };
}

/** The store every ExternalSecret reads from; you configure it for your provider. */
export interface SecretStoreReference {
  readonly name: string;
  /** @default 'ClusterSecretStore' */
  readonly kind?: 'ClusterSecretStore' | 'SecretStore';
}

export interface ExternalSecretsProps {
  /** Namespace of the operator. @default 'external-secrets' */
  readonly namespace?: string;
  /**
   * The provider-specific store (Vault, AWS Secrets Manager, Bitwarden, 1Password, ...). Its
   * credentials are the one secret you still bootstrap by hand.
   */
  readonly store: SecretStoreReference;
  /** Prefix of every remote key. @default 'novahost-platform' */
  readonly remotePrefix?: string;
  /** How often values are re-read from the store. @default '1h' */
  readonly refreshInterval?: string;
}

const EXTERNAL_SECRETS_PROPS = {
  namespace: Rules.any(),
  store: Rules.required(Rules.object<SecretStoreReference>({
    name: Rules.required(Rules.name(NameRules.DNS1123_SUBDOMAIN), 'invalid', 'name the (Cluster)SecretStore that reaches your provider'),
    kind: Rules.oneOf(['ClusterSecretStore', 'SecretStore'] as const),
  }), { name: 'invalid' }, 'give { name: "<store>" }: the (Cluster)SecretStore of your provider'),
  remotePrefix: Rules.pattern(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, 'a path of letters, digits, ".", "_" and "-"', 'use e.g. "novahost-platform"'),
  refreshInterval: Rules.goDuration('"1h" or "15m"'),
} satisfies ShapeOf<ExternalSecretsProps>;

/**
 * Switches the platform from Secrets created by hand to ExternalSecret objects: one for every
 * Secret of the inventory, in the Secret's namespace, reading from one store. Keys whose values must
 * agree (an app's password in two namespaces) read the same remote entry. The operator itself is
 * installed as a Helm release in a namespace of its own.
 */
export class ExternalSecrets extends NamespacedConstruct {
  public readonly values: ExternalSecretsValues;
  public readonly store: Required<SecretStoreReference>;
  public readonly remotePrefix: string;
  private readonly refreshInterval: string;

  constructor(scope: Construct, id: string, props: ExternalSecretsProps) {
    super(scope, id, props?.namespace ?? 'external-secrets', { wave: SyncWave.SHARED_SERVICES });
    // Synthesis does not type-check: each bad prop is reported, and a default or placeholder used instead.
    props = checkProps<ExternalSecretsProps>(this, props, EXTERNAL_SECRETS_PROPS);
    this.store = { name: checkName(this, 'store.name', props.store.name, NameRules.DNS1123_SUBDOMAIN), kind: props.store.kind ?? 'ClusterSecretStore' };
    this.remotePrefix = props.remotePrefix ?? 'novahost-platform';
    if (!/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/.test(this.remotePrefix)) {
      throw configError(this, { field: 'remotePrefix', value: this.remotePrefix, problem: 'is not a path of letters, digits, ".", "_" and "-"', fix: 'use e.g. "novahost-platform"' });
    }
    this.refreshInterval = props.refreshInterval ?? '1h';
    checkGoDuration(this, 'refreshInterval', this.refreshInterval, '"1h" or "15m"');
    this.values = {
      installCRDs: true,
      replicaCount: 1,
      resources: chartResources('10m', '48Mi', '128Mi'),
      webhook: { replicaCount: 1, resources: chartResources('10m', '32Mi', '96Mi') },
      certController: { replicaCount: 1, resources: chartResources('10m', '32Mi', '96Mi') },
    };
    this.platform.addHelmRelease(this, {
      name: 'external-secrets',
      namespace: this.namespace,
      ...EXTERNAL_SECRETS_CHART,
      values: this.values,
      wave: SyncWave.OPERATORS,
      // The SecretStore CRDs (about 350 KB as JSON) exceed the client-side apply annotation limit.
      serverSideApply: true,
    });

    const operator: PodPeer = { namespace: this.namespace, podLabels: { 'app.kubernetes.io/instance': 'external-secrets' }, name: 'external-secrets' };
    const network = NetworkPolicies.of(this);
    network.allow(this, { from: operator, to: Peers.KUBE_API, ports: KUBE_API_PORTS, reason: 'the operator writes Secrets' });
    network.allow(this, { from: operator, to: Peers.INTERNET, ports: [{ port: 443 }], reason: 'the secret store provider' });
    network.allow(this, {
      from: Peers.WORLD,
      to: { namespace: this.namespace, podLabels: { 'app.kubernetes.io/name': 'external-secrets-webhook' }, name: 'external-secrets-webhook' },
      ports: [{ port: 10250 }],
      reason: 'the API server calls the admission webhook',
    });

    // After the objects exist, so the inventory sees every construct's Secret references.
    this.platform.registry.derive(DeriveStages.SECRETS, this, () => this.renderExternalSecrets());
  }

  /** Where a key's value lives in the store: `<prefix>/<group>` or `<prefix>/<namespace>/<name>`. */
  public remoteRef(secret: InventorySecret, key: InventorySecret['keys'][number]): { key: string; property: string } {
    if (key.value.kind === 'generated' && key.value.group) {
      return { key: `${this.remotePrefix}/${key.value.group}`, property: 'value' };
    }
    return { key: `${this.remotePrefix}/${secret.namespace}/${secret.name}`, property: key.key };
  }

  private renderExternalSecrets(): void {
    for (const secret of secretInventory(this.platform, [])) {
      const chart = this.platform.namespace(secret.namespace);
      new ExternalSecret(chart, `ExternalSecret-${secret.name}`, {
        metadata: {
          name: secret.name,
          labels: { 'app.kubernetes.io/part-of': PART_OF, 'app.kubernetes.io/managed-by': MANAGED_BY, 'app.kubernetes.io/component': 'secret' },
          // The CRD arrives with the operator's Helm release in the same sync.
          annotations: needsCrd(),
        },
        spec: {
          refreshInterval: this.refreshInterval,
          secretStoreRef: {
            name: this.store.name,
            kind: this.store.kind === 'ClusterSecretStore' ? ExternalSecretSpecSecretStoreRefKind.CLUSTER_SECRET_STORE : ExternalSecretSpecSecretStoreRefKind.SECRET_STORE,
          },
          target: {
            name: secret.name,
            creationPolicy: ExternalSecretSpecTargetCreationPolicy.OWNER,
            // A store outage or a removed entry must not take a running app's credentials away.
            deletionPolicy: ExternalSecretSpecTargetDeletionPolicy.RETAIN,
            // The type and labels a controller expects (Argo CD finds repositories by a label).
            ...(secret.type === 'Opaque' && !Object.keys(secret.labels).length ? {} : {
              template: { ...(secret.type === 'Opaque' ? {} : { type: secret.type }), ...(Object.keys(secret.labels).length ? { metadata: { labels: { ...secret.labels } } } : {}) },
            }),
          },
          data: secret.keys.map((k) => ({ secretKey: k.key, remoteRef: this.remoteRef(secret, k) })),
        },
      });
    }
  }
}
