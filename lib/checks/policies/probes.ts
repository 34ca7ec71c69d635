// Policy: long-running containers have probes on ports they declare.
import { containersOf, podPolicy } from './workloads';

const PROBES = ['readinessProbe', 'livenessProbe'] as const;

/** The port a probe connects to, or undefined for an exec probe. */
function probePort(probe: any): string | number | undefined {
  return probe.httpGet?.port ?? probe.tcpSocket?.port ?? probe.grpc?.port;
}

/**
 * Without readiness a Service routes to a pod that is not ready; without liveness a hung process is
 * never restarted. A probe on a port the container does not declare fails forever (or, for a
 * number nobody listens on, restarts the pod in a loop), so its port must be declared. Exec probes
 * are fine. Jobs, CronJobs and bare Pods end by themselves and are not checked.
 */
export const probes = podPolicy(
  'probes',
  'Every container of a Deployment, StatefulSet or DaemonSet has readiness and liveness probes on a port it declares.',
  (t) => {
    if (!t.longRunning) return [];
    const out: string[] = [];
    for (const c of containersOf(t)) {
      if (c.init) continue;
      const ports: any[] = c.container.ports ?? [];
      for (const kind of [...PROBES, 'startupProbe'] as const) {
        const probe = c.container[kind];
        if (!probe) {
          if (kind !== 'startupProbe') out.push(`${c.path} has no ${kind}; add one (httpGet, tcpSocket, grpc or exec)`);
          continue;
        }
        const port = probePort(probe);
        if (port === undefined) continue;
        const declared = typeof port === 'number' ? ports.some((p) => p.containerPort === port) : ports.some((p) => p.name === port);
        if (!declared) {
          out.push(`${c.path}.${kind} uses port ${JSON.stringify(port)}, which the container does not declare (ports: ${describePorts(ports)})`);
        }
      }
    }
    return out;
  },
);

function describePorts(ports: any[]): string {
  return ports.length ? ports.map((p) => (p.name ? `${p.name}=${p.containerPort}` : String(p.containerPort))).join(', ') : 'none';
}
