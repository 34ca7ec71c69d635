// Staying up on several nodes: a service with two or more replicas is spread across nodes and
// gets a disruption budget that lets a drain proceed one pod at a time.
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { nodeCount } from '../core/cluster';
import { Platform } from '../core/platform';

export interface AvailabilityProps {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly podLabels: Record<string, string>;
  readonly replicas: number;
}

/**
 * The pod template's topology spread, and a PodDisruptionBudget, when the service has two or more
 * replicas on a cluster of two or more nodes. The spread is `ScheduleAnyway`: a node short of room
 * never blocks a rollout, and the placement check already proved the pods fit. The budget allows one
 * pod down at a time (maxUnavailable 1), so a drain always proceeds. One replica, or one node: no
 * budget (it could only block drains) and no spread (nowhere to spread).
 */
export function availability(scope: Construct, props: AvailabilityProps): k8s.TopologySpreadConstraint[] | undefined {
  if (props.replicas < 2 || nodeCount(Platform.of(scope).cluster) < 2) return undefined;
  new k8s.KubePodDisruptionBudget(scope, 'DisruptionBudget', {
    metadata: { name: props.name, labels: props.labels },
    spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: props.podLabels } },
  });
  return [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: props.podLabels } }];
}
