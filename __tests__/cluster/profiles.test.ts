import {
  BuildJob, BuildsNamespace, CertManager, ClusterProfiles, DigitalOcean, formatPlacementTable, NovahostApp, placementReport, SharedPostgres, SharedRedis,
} from '../../lib';
import { Consumer } from '../../lib/checks/capacity';
import { ALL_POLICIES, runPolicies } from '../../lib';
import { allObjects, findObject, routedPlatform, synthesize, testPlatform } from '../support/platform';
import { validateAll } from '../support/schemas';

const Mi = 2 ** 20;
const doks = (count = 3) => ClusterProfiles.doks({ region: 'fra1', pools: [{ size: 's-2vcpu-4gb', count }], loadBalancer: { hostname: 'ingress.example.com' } });
const pod = (name: string, cpuMillis: number, memoryMi: number, pods = 1, perNode = false): Consumer => ({
  name, pods, requests: { cpuMillis: cpuMillis * pods, memoryBytes: memoryMi * Mi * pods }, estimated: false, ...(perNode ? { perNode: true } : {}),
});
const WEB = { image: 'ghcr.io/example/web:1.0.0', port: 3000, route: { path: '/' } };

describe('DigitalOcean Kubernetes profile', () => {
  it('exposes Traefik through a DigitalOcean load balancer with the cloud controller manager\'s annotations and PROXY protocol', () => {
    const platform = routedPlatform({ cluster: doks() });
    const values: any = platform.helmReleases.find((r) => r.name === 'traefik')!.values;
    // Names as the DigitalOcean cloud controller manager documents them (docs/controllers/services/annotations.md).
    expect(values.service).toEqual({
      spec: { type: 'LoadBalancer' },
      annotations: {
        'service.beta.kubernetes.io/do-loadbalancer-name': 'ingress',
        'service.beta.kubernetes.io/do-loadbalancer-size-unit': '1',
        'service.beta.kubernetes.io/do-loadbalancer-enable-proxy-protocol': 'true',
        'service.beta.kubernetes.io/do-loadbalancer-hostname': 'ingress.example.com',
        'service.beta.kubernetes.io/do-loadbalancer-healthcheck-protocol': 'tcp',
        'service.beta.kubernetes.io/do-loadbalancer-healthcheck-port': '80',
      },
    });
    expect(values.ports.web.proxyProtocol.trustedIPs).toEqual(['10.0.0.0/8']);
    expect(values.ports.websecure.proxyProtocol.trustedIPs).toEqual(['10.0.0.0/8']);
  });

  it('keeps every data volume on the retained block-storage class', () => {
    const platform = routedPlatform({ cluster: doks() });
    new SharedPostgres(platform, 'postgres');
    new SharedRedis(platform, 'redis');
    const objects = allObjects(platform);
    const classes = objects.flatMap((o) => [
      ...(o.kind === 'PersistentVolumeClaim' ? [o.spec.storageClassName] : []),
      ...(o.kind === 'StatefulSet' ? o.spec.volumeClaimTemplates.map((t: any) => t.spec.storageClassName) : []),
    ]);
    // PostgreSQL's data and backups volumes, Redis' data and backups volumes.
    expect(classes.length).toBe(4);
    expect(new Set(classes)).toEqual(new Set([DigitalOcean.RETAINED_STORAGE_CLASS]));
    expect(DigitalOcean.RETAINED_STORAGE_CLASS).toBe('do-block-storage-retain');
  });

  it('gives routed services two replicas, spread over nodes, with a budget that lets a drain through', () => {
    const platform = routedPlatform({ cluster: doks() });
    new NovahostApp(platform, 'wiki', { services: { web: WEB, worker: { image: 'ghcr.io/example/worker:1.0.0', port: 8080 } } });
    const out = synthesize(platform);
    const web = findObject(out.wiki, 'Deployment', 'web');
    expect(web.spec.replicas).toBe(2);
    expect(web.spec.template.spec.topologySpreadConstraints).toEqual([{
      maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: web.spec.selector.matchLabels },
    }]);
    expect(findObject(out.wiki, 'PodDisruptionBudget', 'web').spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: web.spec.selector.matchLabels } });
    // An internal single-replica service: nothing to spread, and a budget could only block a drain.
    expect(findObject(out.wiki, 'Deployment', 'worker').spec.replicas).toBe(1);
    expect(out.wiki.filter((o) => o.kind === 'PodDisruptionBudget').map((o) => o.metadata.name)).toEqual(['web']);
    expect(runPolicies(out.wiki, [], ALL_POLICIES)).toEqual([]);
    expect(validateAll(out.wiki)).toEqual([]);
  });

  it('stays one replica without budgets on a single node', () => {
    const platform = routedPlatform();
    new NovahostApp(platform, 'wiki', { services: { web: WEB } });
    const out = synthesize(platform);
    expect(findObject(out.wiki, 'Deployment', 'web').spec.replicas).toBe(1);
    expect(out.wiki.some((o) => o.kind === 'PodDisruptionBudget')).toBe(false);
  });

  it('offers DNS-01 through DigitalOcean DNS, with the token by Secret reference', () => {
    const platform = routedPlatform({ cluster: doks() });
    const cm = new CertManager(platform, 'cert-manager', { digitalOceanDns01: {} });
    const out = synthesize(platform);
    const issuer = findObject(out.shared, 'ClusterIssuer', 'letsencrypt-prod');
    expect(issuer.spec.acme.solvers).toEqual([{ dns01: { digitalocean: { tokenSecretRef: { name: 'digitalocean-dns', key: 'access-token' } } } }]);
    expect(cm.secretReferences).toEqual([expect.objectContaining({ namespace: 'shared', name: 'digitalocean-dns', key: 'access-token', value: { kind: 'provided', env: 'DIGITALOCEAN_DNS_TOKEN' } })]);
    const egress = findObject(out.shared, 'NetworkPolicy', 'allow-egress-cert-manager-to-internet');
    expect(JSON.stringify(egress.spec.egress)).toContain('"port":53');
  });

  it('hosts the reference installation plus ten more apps on three 2 vCPU / 4 GB nodes', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { platform } = require('../../main');
    expect(platform.cluster.kind).toBe('doks');
    const postgres = platform.node.findAll().find((c: unknown) => c instanceof SharedPostgres);
    const redis = platform.node.findAll().find((c: unknown) => c instanceof SharedRedis);
    for (let i = 1; i <= 10; i++) {
      new NovahostApp(platform, `extra-${i}`, {
        database: { server: postgres },
        cache: { server: redis, index: i },
        services: { web: { ...WEB, resources: { cpuRequest: '20m', memoryRequest: '48Mi', memoryLimit: '96Mi' } } },
      });
    }
    expect(() => platform.manifests()).not.toThrow();
  });

  describe('fails when', () => {
    it('the region or a size is not one DigitalOcean has', () => {
      expect(() => ClusterProfiles.doks({ region: 'Frankfurt', pools: [{ size: 's-2vcpu-4gb', count: 3 }] }))
        .toThrow('cluster: doks.region "Frankfurt" is not a DigitalOcean region slug. Fix: use e.g. "fra1"');
      expect(() => ClusterProfiles.doks({ region: 'fra1', pools: [{ size: 's-2vcpu-3gb', count: 3 }], loadBalancer: { hostname: 'lb.example.com' } }))
        .toThrow(/doks\.pools\[0\]\.size "s-2vcpu-3gb" is not a size whose allocatable resources the platform knows\. Fix: use one of s-1vcpu-2gb/);
    });

    it('PROXY protocol is on without the hostname that keeps in-cluster requests working', () => {
      expect(() => ClusterProfiles.doks({ region: 'fra1', pools: [{ size: 's-2vcpu-4gb', count: 3 }] })).toThrow(/doks\.loadBalancer\.hostname \(unset\) is required with PROXY protocol/);
    });

    it('the autoscaling range does not hold the node count', () => {
      expect(() => ClusterProfiles.doks({ region: 'fra1', pools: [{ size: 's-2vcpu-4gb', count: 1, autoscale: { min: 2, max: 4 } }], loadBalancer: { hostname: 'lb.example.com' } }))
        .toThrow(/doks\.pools\[0\]\.autoscale .* is not a range min <= count \(1\) <= max/);
    });

    it('data would live on the class that deletes volumes with their claims', () => {
      const platform = routedPlatform({ cluster: doks() });
      expect(() => new SharedPostgres(platform, 'postgres', { storage: { storageClassName: 'do-block-storage' } }))
        .toThrow('shared/postgres: storage.storageClassName "do-block-storage" deletes the volume when its claim is deleted (doks)');
    });

    it('a volume is below DigitalOcean\'s minimum size', () => {
      const platform = routedPlatform({ cluster: doks() });
      expect(() => new SharedRedis(platform, 'redis', { storageSize: '512Mi' })).toThrow('shared/redis: storageSize "512Mi" is below the smallest volume the provider creates (1Gi)');
    });

    it('both cluster and capacity are given', () => {
      expect(() => testPlatform({ cluster: doks(), capacity: { cpu: '2', memory: '4Gi' } }).manifests()).toThrow(/platform: capacity .* is given together with cluster/);
    });
  });
});

describe('capacity on several nodes', () => {
  const three = { ...doks(), nodeReserve: { cpu: '0', memory: '0' } };

  it('rejects a pod that fits in total but on no node, with the per-node table', () => {
    // 3 × 2.5 GiB is 7.5 GiB in total; a 3 GiB pod still fits on none of them.
    const report = placementReport([pod('big/Deployment/db', 100, 3072), pod('small/Deployment/web', 100, 256)], three);
    expect(report.fits).toBe(false);
    expect(report.unplaced.map((u) => u.pod)).toEqual(['big/Deployment/db']);
    expect(formatPlacementTable(report)).toMatch(/DOES NOT FIT: big\/Deployment\/db \(100m CPU \/ 3Gi\): fits on no node; the roomiest, default-1, has 2 CPU \/ 2\.5Gi left/);
  });

  it('puts a DaemonSet pod on every node, and replicas of one workload on different nodes', () => {
    const report = placementReport([pod('agent', 10, 100, 1, true), pod('app/Deployment/web', 50, 512, 3)], three);
    expect(report.fits).toBe(true);
    for (const node of report.nodes) {
      expect(node.pods.filter((p) => p === 'agent')).toHaveLength(1);
      expect(node.pods.filter((p) => p === 'app/Deployment/web')).toHaveLength(1);
      expect(node.used.memoryBytes).toBe(612 * Mi);
    }
  });

  it('fails when a DaemonSet pod does not fit beside what every node already runs', () => {
    const report = placementReport([pod('agent', 10, 3000, 1, true)], three);
    expect(report.unplaced.map((u) => u.pod)).toEqual(['agent on default-1', 'agent on default-2', 'agent on default-3']);
  });

  it('fails synth with the table when the installation does not fit its nodes', () => {
    const platform = routedPlatform({ cluster: doks() });
    // Each replica fits an empty node (2048Mi after DigitalOcean's reserve), so the prop check passes;
    // but never two fit on one node, nor one beside the platform's own pods: placement fails.
    new NovahostApp(platform, 'big', { services: { web: { ...WEB, replicas: 4, resources: { cpuRequest: '100m', memoryRequest: '2000Mi', memoryLimit: '2000Mi' } } } });
    expect(() => platform.manifests()).toThrow(/^capacity: 2 pod\(s\) fit on no node of DigitalOcean Kubernetes in fra1, 3 × s-2vcpu-4gb\. Fix: [^\n]*$/);
    expect(platform.registry.notes.join('\n')).toMatch(/NODE +PODS[\s\S]*DOES NOT FIT: big\/Deployment\/web#\d/);
  });

  it('names the prop when one container asks more than any node can give a pod', () => {
    const platform = routedPlatform({ cluster: doks() });
    new NovahostApp(platform, 'big', { services: { web: { ...WEB, resources: { cpuRequest: '100m', memoryRequest: '3Gi', memoryLimit: '3Gi' } } } });
    expect(() => platform.manifests()).toThrow(/^big: services\.web\.resources\.memoryRequest "3Gi" is more than any node of DigitalOcean Kubernetes in fra1, 3 × s-2vcpu-4gb can give one pod \(2048Mi after what the cluster reserves\), so the pod would never start\. Fix: request at most 2048Mi, or give the cluster profile a larger node$/);
  });
});

describe('the Kubernetes API server, as the only API egress', () => {
  const apiWorker = { image: 'ghcr.io/example/worker:1.0.0', port: 8080, apiAccess: true };

  it('on a k3s node: the node network on 6443, never the internet', () => {
    const platform = routedPlatform();
    new NovahostApp(platform, 'ops', { services: { worker: apiWorker } });
    const policy = findObject(synthesize(platform).ops, 'NetworkPolicy', 'allow-egress-worker-to-kube-api');
    expect(policy.spec.egress).toEqual([
      { to: [{ ipBlock: { cidr: '10.0.0.0/8' } }], ports: [{ port: 6443, protocol: 'TCP' }] },
      { to: [{ ipBlock: { cidr: '172.16.0.0/12' } }], ports: [{ port: 6443, protocol: 'TCP' }] },
      { to: [{ ipBlock: { cidr: '192.168.0.0/16' } }], ports: [{ port: 6443, protocol: 'TCP' }] },
      { to: [{ ipBlock: { cidr: '100.64.0.0/10' } }], ports: [{ port: 6443, protocol: 'TCP' }] },
    ]);
  });

  it('on a k3s node with a public address: that address only', () => {
    const platform = routedPlatform({ cluster: ClusterProfiles.k3sNode({ cpu: '2', memory: '4Gi', apiServerCidrs: ['203.0.113.10/32'] }) });
    new NovahostApp(platform, 'ops', { services: { worker: apiWorker } });
    const policy = findObject(synthesize(platform).ops, 'NetworkPolicy', 'allow-egress-worker-to-kube-api');
    expect(policy.spec.egress).toEqual([{ to: [{ ipBlock: { cidr: '203.0.113.10/32' } }], ports: [{ port: 6443, protocol: 'TCP' }] }]);
  });

  it('on DOKS (Cilium): the kube-apiserver entity on 443, and no address rule at all', () => {
    const platform = routedPlatform({ cluster: doks() });
    new NovahostApp(platform, 'ops', { services: { worker: apiWorker } });
    const out = synthesize(platform);
    expect(out.ops.filter((o) => o.kind === 'NetworkPolicy' && /kube-api/.test(o.metadata.name))).toEqual([]);
    const cnp = findObject(out.ops, 'CiliumNetworkPolicy', 'allow-egress-worker-to-kube-api');
    expect(cnp.spec).toEqual({
      endpointSelector: { matchLabels: findObject(out.ops, 'Deployment', 'worker').spec.selector.matchLabels },
      egress: [{ toEntities: ['kube-apiserver'], toPorts: [{ ports: [{ port: '443', protocol: 'TCP' }] }] }],
    });
    // No egress to 443 anywhere else for this pod: the internet stays closed.
    const egress = out.ops.filter((o) => o.kind === 'NetworkPolicy' && o.spec.policyTypes.includes('Egress') && JSON.stringify(o.spec.egress ?? []).includes('443'));
    expect(egress).toEqual([]);
  });

  it('fails when a managed cluster names no API server address, or a k3s address is 0.0.0.0/0', () => {
    expect(() => ClusterProfiles.managed({ pools: [{ name: 'a', count: 2, allocatable: { cpu: '2', memory: '4Gi' } }], dataStorageClass: 'retained', apiServer: { cidrs: [], ports: [443] } }))
      .toThrow(/managed\.apiServer\.cidrs \[\] names no address of the API server\. Fix: record them: kubectl get endpointslice/);
    expect(() => ClusterProfiles.k3sNode({ cpu: '2', memory: '4Gi', apiServerCidrs: ['0.0.0.0/0'] })).toThrow(/k3sNode\.apiServerCidrs\[0\] "0\.0\.0\.0\/0" is not an IPv4 CIDR narrower than \/0/);
  });
});

describe('DigitalOcean Container Registry', () => {
  const withDocr = () => ClusterProfiles.doks({ region: 'fra1', pools: [{ size: 's-2vcpu-4gb', count: 3 }], loadBalancer: { hostname: 'ingress.example.com' }, containerRegistry: 'acme' });

  it('is where builds push unless they name another push Secret', () => {
    const platform = routedPlatform({ cluster: withDocr() });
    const builds = new BuildsNamespace(platform, 'builds');
    const template = BuildJob.template(builds, 'default', {});
    expect(template.secretReferences[0]).toMatchObject({ namespace: 'builds', name: 'docr-push', type: 'kubernetes.io/dockerconfigjson' });
    expect(template.secretReferences[0].description).toContain('doctl registry docker-config --read-write acme');
    const own = BuildJob.template(builds, 'own', { pushSecret: 'ghcr-push' });
    expect(own.secretReferences[0].name).toBe('ghcr-push');
  });

  it('gives pods whose image is in it the pull Secret its Kubernetes integration creates', () => {
    const platform = routedPlatform({ cluster: withDocr() });
    const app = new NovahostApp(platform, 'wiki', { services: { web: { ...WEB, image: 'registry.digitalocean.com/acme/wiki:1.0.0' }, other: { ...WEB, route: { path: '/x' } } } });
    const out = synthesize(platform);
    expect(findObject(out.wiki, 'Deployment', 'web').spec.template.spec.imagePullSecrets).toEqual([{ name: 'registry-acme' }]);
    expect(findObject(out.wiki, 'Deployment', 'other').spec.template.spec.imagePullSecrets).toBeUndefined();
    expect(app.secretReferences).toContainEqual(expect.objectContaining({ namespace: 'wiki', name: 'registry-acme', type: 'kubernetes.io/dockerconfigjson' }));
  });

  it('fails when a build names no push Secret and the cluster has no registry', () => {
    const platform = routedPlatform();
    const builds = new BuildsNamespace(platform, 'builds');
    expect(() => BuildJob.template(builds, 'default', {})).toThrow(/pushSecret \(unset\) is required: the cluster profile names no container registry to push to/);
  });
});
