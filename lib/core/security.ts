// Restricted Pod Security written once: security contexts, resources and scratch volumes.
import { k8s } from 'cdk8s-plus-28';

/**
 * Restricted Pod Security, written once. Every workload the platform renders starts from these;
 * a construct that needs less (a builder, say) must say so explicitly where it renders its pod.
 */
export function restrictedPodSecurityContext(uid: number, gid = uid): k8s.PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: gid,
    fsGroup: gid,
    fsGroupChangePolicy: 'OnRootMismatch',
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export function restrictedContainerSecurityContext(): k8s.SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** CPU and memory for one container, as Kubernetes quantities. */
export interface ResourceSpec {
  /** @default '50m' */
  readonly cpuRequest?: string;
  /** @default '128Mi' */
  readonly memoryRequest?: string;
  /** @default - none: a CPU limit only throttles on a small node */
  readonly cpuLimit?: string;
  /** @default '256Mi' */
  readonly memoryLimit?: string;
}

/** Requests and a memory limit always; a CPU limit only when asked (CFS throttling hurts latency). */
export function resourceRequirements(spec: ResourceSpec = {}, defaults: ResourceSpec = {}): k8s.ResourceRequirements {
  const cpuLimit = spec.cpuLimit ?? defaults.cpuLimit;
  return {
    requests: {
      cpu: k8s.Quantity.fromString(spec.cpuRequest ?? defaults.cpuRequest ?? '50m'),
      memory: k8s.Quantity.fromString(spec.memoryRequest ?? defaults.memoryRequest ?? '128Mi'),
    },
    limits: {
      memory: k8s.Quantity.fromString(spec.memoryLimit ?? defaults.memoryLimit ?? '256Mi'),
      ...(cpuLimit ? { cpu: k8s.Quantity.fromString(cpuLimit) } : {}),
    },
  };
}

/** A writable scratch directory on a read-only root filesystem. */
export function scratchVolume(name: string, mountPath: string, sizeLimit = '64Mi'): { volume: k8s.Volume; mount: k8s.VolumeMount } {
  return {
    volume: { name, emptyDir: { sizeLimit: k8s.Quantity.fromString(sizeLimit) } },
    mount: { name, mountPath },
  };
}
