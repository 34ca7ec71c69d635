import { NovahostApp, PodSecurity, SyncWave } from '../lib';
import { BuildsNamespace, CLUSTER_AND_PRIVATE_RANGES } from '../lib/builds/builds-namespace';
import { allObjects as all, andSynth, findObject, synthesize, testPlatform } from './support/platform';

function setup({ registryNamespace, ...props }: ConstructorParameters<typeof BuildsNamespace>[2] & { registryNamespace?: boolean } = {}) {
  const platform = testPlatform();
  if (registryNamespace) platform.namespace('registry');
  const novahost = new NovahostApp(platform, 'novahost', {
    services: { 'build-server': { image: 'ghcr.io/example/build-server:1.0.0', port: 9001, apiAccess: true } },
  });
  const builds = new BuildsNamespace(platform, 'builds', { builderClients: [novahost.service('build-server')], ...props });
  return { platform, builds, novahost };
}

// ---- A small RBAC evaluator over the rendered objects (no hard-coded expectations). ----
interface Request { verb: string; group: string; resource: string; namespace?: string; name?: string }
interface Subject { namespace: string; name: string }

function ruleAllows(rule: any, r: Request): boolean {
  const has = (list: string[] | undefined, v: string) => !!list && (list.includes('*') || list.includes(v));
  if (!has(rule.apiGroups, r.group) || !has(rule.resources, r.resource) || !has(rule.verbs, r.verb)) return false;
  return !rule.resourceNames || (r.name !== undefined && rule.resourceNames.includes(r.name));
}

function can(objects: any[], who: Subject, r: Request): boolean {
  const isSubject = (s: any) => s.kind === 'ServiceAccount' && s.name === who.name && s.namespace === who.namespace;
  const rolesOf = (binding: any): any[] => objects.filter((o) => o.kind === binding.roleRef.kind && o.metadata.name === binding.roleRef.name
    && (o.kind === 'ClusterRole' || o.metadata.namespace === binding.metadata.namespace));
  for (const b of objects.filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding')) {
    if (!(b.subjects ?? []).some(isSubject)) continue;
    // A RoleBinding grants only inside its namespace; a ClusterRoleBinding everywhere.
    if (b.kind === 'RoleBinding' && b.metadata.namespace !== r.namespace) continue;
    for (const role of rolesOf(b)) if ((role.rules ?? []).some((rule: any) => ruleAllows(rule, r))) return true;
  }
  return false;
}

// ---- An egress evaluator over the rendered NetworkPolicies of a namespace. ----
function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}
function inCidr(ip: string, cidr: string): boolean {
  const [net, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  return Math.floor(ipToInt(ip) / size) === Math.floor(ipToInt(net) / size);
}
/** Whether any egress rule of any policy selecting all pods allows the IP (ipBlock peers only). */
function egressAllowsIp(objects: any[], ip: string, port: number): boolean {
  return objects.filter((o) => o.kind === 'NetworkPolicy' && o.spec.policyTypes.includes('Egress')).some((p) => (p.spec.egress ?? []).some((rule: any) => {
    const portOk = !rule.ports || rule.ports.some((x: any) => x.port === port);
    const peerOk = (rule.to ?? []).some((peer: any) => peer.ipBlock && inCidr(ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((e: string) => inCidr(ip, e)));
    return portOk && peerOk;
  }));
}
function egressAllowsPod(objects: any[], ns: string, labels: Record<string, string>, port: number, protocol: string): boolean {
  return objects.filter((o) => o.kind === 'NetworkPolicy' && o.spec.policyTypes.includes('Egress')).some((p) => (p.spec.egress ?? []).some((rule: any) => {
    const portOk = !rule.ports || rule.ports.some((x: any) => x.port === port && (x.protocol ?? 'TCP') === protocol);
    const peerOk = (rule.to ?? []).some((peer: any) => peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === ns
      && Object.entries(peer.podSelector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v));
    return portOk && peerOk;
  }));
}

describe('BuildsNamespace', () => {
  it('renders quota, limits, networking and RBAC for builds (snapshot)', () => {
    const { platform } = setup();
    expect(synthesize(platform).builds).toMatchSnapshot();
  });

  it('is its own privileged namespace in the builds wave, with the reason recorded', () => {
    const { platform, builds } = setup();
    const ns = findObject(synthesize(platform).builds, 'Namespace', 'builds');
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe(PodSecurity.PRIVILEGED);
    expect(builds.chart.wave).toBe(SyncWave.BUILDS);
    expect(builds.chart.podSecurityReasons.join(' ')).toMatch(/seccomp and AppArmor "Unconfined"/);
  });

  it('caps concurrent builds and their CPU and memory at maxConcurrentBuilds times one build', () => {
    const { platform } = setup({ maxConcurrentBuilds: 2 });
    const objects = synthesize(platform).builds;
    expect(findObject(objects, 'ResourceQuota', 'builds').spec.hard).toEqual({
      'pods': '2',
      'count/jobs.batch': '20',
      'requests.cpu': '500m',
      'limits.cpu': '1500m',
      'requests.memory': '1Gi',
      'limits.memory': '2560Mi',
    });
    const limits = findObject(objects, 'LimitRange', 'builds').spec.limits[0];
    expect(limits.max).toEqual({ cpu: '750m', memory: '1280Mi' });
    expect(limits.default).toEqual({ cpu: '250m', memory: '256Mi' });
  });

  it('lets the build-server launch and watch builds in builds, and nothing in novahost or cluster-wide', () => {
    const { platform } = setup();
    const objects = Object.values(synthesize(platform)).flat();
    const buildServer = { namespace: 'novahost', name: 'build-server' };
    const jobs = (verb: string, namespace?: string) => ({ verb, group: 'batch', resource: 'jobs', namespace });
    for (const verb of ['create', 'get', 'list', 'watch', 'delete']) expect(can(objects, buildServer, jobs(verb, 'builds'))).toBe(true);
    expect(can(objects, buildServer, { verb: 'get', group: '', resource: 'pods/log', namespace: 'builds' })).toBe(true);
    expect(can(objects, buildServer, { verb: 'delete', group: '', resource: 'pods', namespace: 'builds' })).toBe(true);
    expect(can(objects, buildServer, jobs('create', 'novahost'))).toBe(false);
    expect(can(objects, buildServer, jobs('create'))).toBe(false);
    expect(can(objects, buildServer, jobs('update', 'builds'))).toBe(false);
    expect(can(objects, buildServer, { verb: 'create', group: '', resource: 'pods', namespace: 'builds' })).toBe(false);
    expect(can(objects, buildServer, { verb: 'get', group: '', resource: 'secrets', namespace: 'builds' })).toBe(false);
    // Another account of the same app gets nothing.
    expect(can(objects, { namespace: 'novahost', name: 'web' }, jobs('create', 'builds'))).toBe(false);
    expect(objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding')).toEqual([]);
  });

  it('denies all ingress, and egress except DNS and the public internet', () => {
    const { platform } = setup();
    const objects = synthesize(platform).builds;
    const deny = findObject(objects, 'NetworkPolicy', 'default-deny');
    expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    expect(objects.filter((o) => o.kind === 'NetworkPolicy' && o.spec.ingress)).toEqual([]);

    expect(egressAllowsIp(objects, '140.82.112.3', 443)).toBe(true); // github.com
    expect(egressAllowsIp(objects, '10.43.0.10', 53)).toBe(false); // k3s Service CIDR (kube-dns ClusterIP)
    expect(egressAllowsIp(objects, '10.43.0.1', 443)).toBe(false); // the kubernetes Service
    expect(egressAllowsIp(objects, '10.42.1.5', 5432)).toBe(false); // k3s pod CIDR
    expect(egressAllowsIp(objects, '169.254.169.254', 80)).toBe(false); // cloud metadata
    expect(egressAllowsIp(objects, '192.168.1.10', 10250)).toBe(false); // a node's kubelet on a LAN
    expect(egressAllowsPod(objects, 'kube-system', { 'k8s-app': 'kube-dns' }, 53, 'UDP')).toBe(true);
    expect(egressAllowsPod(objects, 'kube-system', { 'k8s-app': 'kube-dns' }, 53, 'TCP')).toBe(true);
    expect(egressAllowsPod(objects, 'novahost', {}, 9000, 'TCP')).toBe(false);
    const internet = findObject(objects, 'NetworkPolicy', 'allow-egress-build-to-internet');
    expect(internet.spec.podSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'novahost-build', 'app.kubernetes.io/component': 'build' });
    expect(internet.spec.egress[0].to[0].ipBlock.except).toEqual(CLUSTER_AND_PRIVATE_RANGES);
  });

  it('denies extra ranges such as the node public address, and allows an in-cluster registry by selector', () => {
    const { platform } = setup({
      registryNamespace: true,
      deniedEgressCidrs: [...CLUSTER_AND_PRIVATE_RANGES, '203.0.113.10/32'],
      clusterPeers: [{ name: 'registry', namespace: 'registry', podLabels: { app: 'registry' }, ports: [5000] }],
    });
    const objects = synthesize(platform).builds;
    expect(egressAllowsIp(objects, '203.0.113.10', 6443)).toBe(false);
    expect(egressAllowsIp(objects, '203.0.113.11', 443)).toBe(true);
    expect(egressAllowsPod(objects, 'registry', { app: 'registry' }, 5000, 'TCP')).toBe(true);
    expect(egressAllowsPod(objects, 'registry', { app: 'other' }, 5000, 'TCP')).toBe(false);
    // The registry's namespace (a chart of the platform) admits the builds in turn.
    const ingress = all(platform).filter((o) => o.kind === 'NetworkPolicy' && o.metadata.namespace === 'registry' && o.spec.ingress);
    expect(ingress.flatMap((p) => p.spec.ingress.flatMap((r: any) => r.from))).toContainEqual({
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'builds' } },
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'novahost-build', 'app.kubernetes.io/component': 'build' } },
    });
  });

  it('fails when maxConcurrentBuilds is not a positive whole number', () => {
    expect(andSynth(() => setup({ maxConcurrentBuilds: 0 }))).toThrow(
      'builds: maxConcurrentBuilds 0 is not a whole number from 1 to 100. Fix: use 1 or 2 on a 2 vCPU / 4 GiB node',
    );
  });

  it('fails when a denied egress range is not an IPv4 CIDR', () => {
    expect(andSynth(() => setup({ deniedEgressCidrs: ['10.0.0.0/33'] }))).toThrow('builds: deniedEgressCidrs[0] "10.0.0.0/33" is not an IPv4 CIDR');
  });

  it('fails when one build is smaller than its own clone and upload steps', () => {
    expect(() => setup({ buildResources: { cpuLimit: '100m', cpuRequest: '50m' } })).toThrow(/builds: buildResources .* is smaller than the clone and upload steps' limits/);
  });

  it('fails when a request is above its limit', () => {
    expect(andSynth(() => setup({ buildResources: { memoryRequest: '2Gi' } }))).toThrow('builds: buildResources.memoryLimit "1280Mi" is below the memory request (2Gi)');
  });
});
