// The building block of every single-replica server that keeps data (PostgreSQL, Redis, the
// registry): its two Services and a StatefulSet whose volume no sync, scale-down or removal deletes.
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { dataProtection } from '../core/annotations';

/** A named port of the server, the same on its pods and both Services. */
export interface ServerPort {
  readonly name: string;
  readonly port: number;
}

/** The server's identity: object names, labels and the ports clients use. */
export interface StatefulServerIdentity {
  /** Name of the StatefulSet and of the client Service. */
  readonly name: string;
  /** Labels of every object (standardLabels). */
  readonly labels: Record<string, string>;
  /** Labels that select the server's pods. */
  readonly podLabels: Record<string, string>;
  readonly ports: readonly ServerPort[];
}

/** The governing Service of a server's StatefulSet. */
export function headlessServiceName(name: string): string {
  return `${name}-headless`;
}

/**
 * The client Service (`<name>`, ClusterIP) and the governing headless Service (`<name>-headless`).
 * The headless one publishes the pod before it is ready, so that a recovering server has a stable
 * DNS name for diagnosis; clients use the ClusterIP Service, which routes to ready pods only.
 */
export function renderServerServices(scope: Construct, id: StatefulServerIdentity): void {
  const ports = id.ports.map((p) => ({ name: p.name, port: p.port, targetPort: k8s.IntOrString.fromString(p.name), protocol: 'TCP' }));
  new k8s.KubeService(scope, 'Service', {
    metadata: { name: id.name, labels: id.labels },
    spec: { type: 'ClusterIP', selector: id.podLabels, ports },
  });
  new k8s.KubeService(scope, 'HeadlessService', {
    metadata: { name: headlessServiceName(id.name), labels: id.labels },
    spec: { clusterIp: 'None', publishNotReadyAddresses: true, selector: id.podLabels, ports },
  });
}

/** The data volume every pod of the server mounts as `data`. */
export interface DataVolume {
  readonly size: string;
  /** @default - the cluster's default StorageClass */
  readonly storageClassName?: string;
}

export interface StatefulServerProps extends StatefulServerIdentity {
  /** Annotations of the pod template (a config checksum that rolls the pod on change). */
  readonly podAnnotations?: Record<string, string>;
  /** The pod; its `data` volume comes from the claim template. */
  readonly pod: k8s.PodSpec;
  readonly data: DataVolume;
}

/**
 * One replica, replaced in order, whose data volume survives: the StatefulSet and its claim
 * template carry the GitOps data protection, scaling to 0 or deleting the StatefulSet keeps the
 * claim, and the claim template has no labels (the controller copies its metadata onto the claim;
 * a tracking label there, such as Argo CD's app.kubernetes.io/instance, would make the claim look
 * like an extraneous object of the Application, a prune candidate).
 */
export function renderStatefulServer(scope: Construct, props: StatefulServerProps): k8s.KubeStatefulSet {
  return new k8s.KubeStatefulSet(scope, 'Resource', {
    metadata: { name: props.name, labels: props.labels, annotations: dataProtection() },
    spec: {
      serviceName: headlessServiceName(props.name),
      replicas: 1,
      revisionHistoryLimit: 3,
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate' },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      selector: { matchLabels: props.podLabels },
      template: {
        metadata: { labels: props.labels, annotations: props.podAnnotations },
        spec: props.pod,
      },
      volumeClaimTemplates: [{
        metadata: { name: 'data', annotations: dataProtection() },
        spec: {
          accessModes: ['ReadWriteOnce'],
          storageClassName: props.data.storageClassName,
          resources: { requests: { storage: k8s.Quantity.fromString(props.data.size) } },
        },
      }],
    },
  });
}
