// Policy: no host namespaces, host ports or host paths.
import { containersOf, podPolicy } from './workloads';

/** Host namespaces, host ports and host paths break the pod's isolation from the node. */
export const noHostAccess = podPolicy(
  'no-host-access',
  'Pods use no hostNetwork, hostPID, hostIPC, hostPort or hostPath volume.',
  (t) => {
    const out: string[] = [];
    for (const f of ['hostNetwork', 'hostPID', 'hostIPC']) {
      if (t.spec[f] === true) out.push(`${t.path}.${f} is true; remove it`);
    }
    for (const c of containersOf(t)) {
      for (const p of c.container.ports ?? []) {
        if (p.hostPort) out.push(`${c.path}.ports[${p.name ?? p.containerPort}].hostPort is ${p.hostPort}; expose the port through a Service instead`);
      }
    }
    for (const v of t.spec.volumes ?? []) {
      if (v.hostPath) out.push(`${t.path}.volumes[${v.name}] is a hostPath (${v.hostPath.path}); use a PVC or an emptyDir`);
    }
    return out;
  },
);
