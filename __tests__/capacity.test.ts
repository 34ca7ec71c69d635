import * as path from 'path';
import { assertCapacity, capacityReport, formatCapacityTable, podRequests, releasesFromApplications } from '../lib/checks/capacity';
import { assertPlacement, formatPlacementTable, nodeCount } from '../lib';
import { parseCpu, parseMemory } from '../lib/core/quantity';
import { PlatformError } from '../lib/core/errors';
import { HelmRelease } from '../lib/core/helm-releases';
import { loadManifests } from '../lib/checks/policies/load';

const Mi = 2 ** 20;

function c(name: string, cpu: string, memory: string, extra: object = {}): any {
  return { name, image: 'x:1', resources: { requests: { cpu, memory } }, ...extra };
}

function deployment(name: string, replicas: number | undefined, containers: any[], initContainers?: any[]): any {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'demo' }, spec: { replicas, template: { spec: { containers, initContainers } } } };
}

const release = (chart: string, values: object, name = chart): HelmRelease => ({ name, namespace: 'shared', repoURL: 'https://example.com', chart, version: '1.0.0', values });

describe('quantities', () => {
  it('parses CPU in millicores', () => {
    expect([parseCpu('250m'), parseCpu('0.5'), parseCpu('2'), parseCpu(1)]).toEqual([250, 500, 2000, 1000]);
  });

  it('parses binary and decimal memory units', () => {
    expect([parseMemory('128Mi'), parseMemory('1Gi'), parseMemory('512Ki'), parseMemory('1G'), parseMemory('100M'), parseMemory('1k'), parseMemory('1048576')])
      .toEqual([128 * Mi, 2 ** 30, 512 * 1024, 1e9, 1e8, 1000, Mi]);
  });

  it('rejects what is not a quantity', () => {
    expect(() => parseMemory('1GB')).toThrow('capacity: memory quantity "1GB" is not a Kubernetes quantity such as "128Mi" or "1G"');
    expect(() => parseCpu('1 core')).toThrow(PlatformError);
  });
});

describe('podRequests', () => {
  it('is the sum of containers when init containers are smaller', () => {
    expect(podRequests({ containers: [c('a', '100m', '64Mi'), c('b', '50m', '64Mi')], initContainers: [c('i', '100m', '32Mi')] }))
      .toEqual({ cpuMillis: 150, memoryBytes: 128 * Mi });
  });

  it('takes the largest init container per resource when it is larger', () => {
    expect(podRequests({ containers: [c('a', '100m', '64Mi')], initContainers: [c('i1', '500m', '32Mi'), c('i2', '10m', '256Mi')] }))
      .toEqual({ cpuMillis: 500, memoryBytes: 256 * Mi });
  });

  it('adds sidecar init containers (restartPolicy Always) to the app containers', () => {
    expect(podRequests({ containers: [c('a', '100m', '64Mi')], initContainers: [c('proxy', '20m', '16Mi', { restartPolicy: 'Always' })] }))
      .toEqual({ cpuMillis: 120, memoryBytes: 80 * Mi });
  });
});

describe('capacityReport', () => {
  const small = { cpu: '1', memory: '1Gi', systemReserved: { cpu: '200m', memory: '256Mi' } };

  it('multiplies by replicas (default 1), counts Jobs and CronJobs once, and sorts by memory', () => {
    const cron = { kind: 'CronJob', metadata: { name: 'nightly', namespace: 'demo' }, spec: { jobTemplate: { spec: { template: { spec: { containers: [c('a', '100m', '300Mi')] } } } } } };
    const report = capacityReport([deployment('web', 3, [c('web', '50m', '64Mi')]), deployment('api', undefined, [c('api', '50m', '128Mi')]), cron], [], small);
    expect(report.consumers.map((x) => [x.name, x.pods, x.requests.cpuMillis, x.requests.memoryBytes / Mi])).toEqual([
      ['demo/CronJob/nightly', 1, 100, 300],
      ['demo/Deployment/web', 3, 150, 192],
      ['demo/Deployment/api', 1, 50, 128],
    ]);
    expect(report.total).toEqual({ cpuMillis: 300, memoryBytes: 620 * Mi });
    expect(report.available).toEqual({ cpuMillis: 800, memoryBytes: 768 * Mi });
    expect(report.fits).toBe(true);
  });

  it('counts chart components from the values, estimates unset requests and skips disabled ones', () => {
    const report = capacityReport([], [
      release('traefik', { deployment: { replicas: 2 }, resources: { requests: { cpu: '50m', memory: '64Mi' } } }),
      release('argo-cd', { controller: { resources: { requests: { cpu: '100m', memory: '384Mi' } } }, dex: { enabled: false }, notifications: { enabled: false }, redis: { enabled: false } }, 'argocd'),
      release('mystery', {}),
    ], small);
    expect(report.consumers.map((x) => `${x.name} ${x.pods} ${x.requests.cpuMillis}m ${x.requests.memoryBytes / Mi}Mi${x.estimated ? ' estimated' : ''}`)).toEqual([
      'helm:argocd/controller 1 100m 384Mi',
      'helm:mystery 1 100m 256Mi estimated',
      'helm:traefik/traefik 2 100m 128Mi',
      'helm:argocd/repoServer 1 25m 96Mi estimated',
      'helm:argocd/server 1 25m 64Mi estimated',
      'helm:argocd/applicationSet 1 10m 32Mi estimated',
      'helm:argocd/redisSecretInit 1 10m 32Mi estimated',
    ]);
  });

  it('does not fit when memory requests exceed the node minus the reserve', () => {
    const report = capacityReport([deployment('big', 2, [c('big', '100m', '400Mi')])], [], small);
    expect(report.fits).toBe(false);
    expect(() => assertCapacity([deployment('big', 2, [c('big', '100m', '400Mi')])], [], small)).toThrow(
      "capacity: the requests exceed the node's available resources (memory by 32Mi). Fix: lower requests or replicas of the largest consumers, remove an app, or declare a larger node (capacity).\n" +
        'DOES NOT FIT: requests 200m CPU (25%), 800Mi memory (104%) of 800m CPU / 768Mi available (node 1 / 1Gi minus 200m / 256Mi for k3s)\n' +
        'CONSUMER             PODS   CPU  MEMORY\n' +
        'demo/Deployment/big     2  200m   800Mi',
    );
  });

  it('shows the top consumers and sums the rest', () => {
    const report = capacityReport([1, 2, 3].map((i) => deployment(`w${i}`, 1, [c('w', '10m', `${i}Mi`)])), [], small);
    expect(formatCapacityTable(report, 1).split('\n').slice(1)).toEqual([
      'CONSUMER            PODS  CPU  MEMORY',
      'demo/Deployment/w3     1  10m     3Mi',
      '(2 more)               2  20m     3Mi',
    ]);
  });
});

describe('the reference installation (dist/)', () => {
  const objects = [...loadManifests(path.join(__dirname, '..', 'dist')).values()];

  it('fits its cluster profile, node by node, and the tables show no secret', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { cluster } = require('../main').platform;
    const placement = assertPlacement(objects, releasesFromApplications(objects), cluster);
    expect(placement.nodes.length).toBe(nodeCount(cluster));
    expect(formatPlacementTable(placement)).not.toMatch(/password|BEGIN|:\/\/|DOES NOT FIT/i);
    const report = capacityReport(objects, releasesFromApplications(objects));
    const table = formatCapacityTable(report, 100);
    expect(report.consumers.length).toBeGreaterThan(5);
    // Only object names and figures: every consumer row is `name [*] pods cpu memory`.
    const rows = table.split('\n').slice(2).filter((l) => !l.startsWith('* '));
    for (const row of rows) expect(row).toMatch(/^[-a-zA-Z0-9/:.()]+( \*)?\s+\d+\s+[0-9.]+m?\s+[0-9.]+(Mi|Gi)$/);
    expect(table).not.toMatch(/password|BEGIN|:\/\//i);
  });
});

describe('pods created at run time', () => {
  it('count with their namespace ResourceQuota, less what dist/ already runs there', () => {
    const quota = { kind: 'ResourceQuota', metadata: { name: 'builds', namespace: 'demo' }, spec: { hard: { 'requests.cpu': '500m', 'requests.memory': '1Gi', 'pods': '2' } } };
    const report = capacityReport([quota, deployment('web', 1, [c('web', '100m', '256Mi')])], []);
    expect(report.consumers.map((x) => [x.name, x.pods, x.requests.cpuMillis, x.requests.memoryBytes / Mi])).toEqual([
      ['demo/ResourceQuota/builds', 2, 400, 768],
      ['demo/Deployment/web', 1, 100, 256],
    ]);
  });
});
