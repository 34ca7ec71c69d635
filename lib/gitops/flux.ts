// Flux as the GitOps engine: a Kustomization per namespace folder and a HelmRelease per chart,
// ordered by waves, plus optional image automation.
import * as path from 'path';
import { Construct } from 'constructs';
import { GitRepository } from '../../imports/flux-gitrepository-source.toolkit.fluxcd.io';
import { HelmRelease as FluxHelmRelease, HelmReleaseSpecChartSpecSourceRefKind, HelmReleaseSpecInstallCrds, HelmReleaseSpecUpgradeCrds } from '../../imports/flux-helmrelease-helm.toolkit.fluxcd.io';
import { ImagePolicy } from '../../imports/flux-imagepolicy-image.toolkit.fluxcd.io';
import { ImageRepository } from '../../imports/flux-imagerepository-image.toolkit.fluxcd.io';
import {
  ImageUpdateAutomation, ImageUpdateAutomationSpecSourceRefKind, ImageUpdateAutomationSpecUpdateStrategy,
} from '../../imports/flux-imageupdateautomation-image.toolkit.fluxcd.io';
import { Kustomization, KustomizationSpecDeletionPolicy, KustomizationSpecHealthChecks, KustomizationSpecSourceRefKind } from '../../imports/flux-kustomization-kustomize.toolkit.fluxcd.io';
import { NodeCapacity, DEFAULT_CAPACITY, DEFAULT_SYSTEM_RESERVED } from '../checks/capacity';
import { parseCpu, parseMemory } from '../core/quantity';
import { configError } from '../core/errors';
import { SecretKeyReference } from '../core/handles';
import { imagePolicyMarker } from '../apps/image-tags';
import { checkName, MANAGED_BY, NameRules, PART_OF } from '../core/names';
import { KUBE_API_PORTS, NetworkPolicies, Peers, PodPeer } from '../network/network-policies';
import { NamespacedConstruct } from '../core/platform';
import { checkGoDuration } from '../core/duration';
import { HelmRelease } from '../core/helm-releases';
import { NamespaceChart } from '../core/namespace-chart';
import { SyncWave } from '../core/annotations';
import { declareGitOpsEngine, GitOpsEngine, twoEnginesProblem } from '../core/gitops-engine';
import { DeriveStages } from '../core/registry';
import { HelmRepositoryObject, onlyFolder } from './flux-objects';
import { FLUX_PROPS, FluxImageAutomationProps, FluxProps } from './flux-props';
import { checkProps } from '../core/prop-schema';

export { HelmRepositoryObject, onlyFolder } from './flux-objects';
export type { HelmRepositorySpec } from './flux-objects';
import { declareSecrets } from '../core/secrets';
import { minorOf, PINS } from '../core/pins';

/** The Flux version whose CRDs (and controllers) the rendered objects are written for. */
export const FLUX_VERSION = minorOf(PINS.releases.flux.version);

/**
 * Requests of the Flux controllers as `flux install` deploys them (100m CPU / 64Mi each). They
 * are not in dist/ (Flux is installed before it can sync anything), so the capacity check counts
 * them through the node's system reserve: see {@link withFluxControllers}.
 */
export const FLUX_CONTROLLER_REQUESTS = { cpu: '100m', memory: '64Mi' } as const;
const CORE_CONTROLLERS = ['source-controller', 'kustomize-controller', 'helm-controller', 'notification-controller'];
const IMAGE_CONTROLLERS = ['image-reflector-controller', 'image-automation-controller'];

/** A node capacity whose system reserve also holds the Flux controllers. */
export function withFluxControllers(capacity: NodeCapacity = DEFAULT_CAPACITY, options: { imageAutomation?: boolean } = {}): NodeCapacity {
  const n = CORE_CONTROLLERS.length + (options.imageAutomation ? IMAGE_CONTROLLERS.length : 0);
  const reserved = capacity.systemReserved ?? DEFAULT_SYSTEM_RESERVED;
  return {
    ...capacity,
    systemReserved: {
      cpu: `${parseCpu(reserved.cpu) + n * parseCpu(FLUX_CONTROLLER_REQUESTS.cpu)}m`,
      memory: `${Math.round((parseMemory(reserved.memory) + n * parseMemory(FLUX_CONTROLLER_REQUESTS.memory)) / 2 ** 20)}Mi`,
    },
  };
}

export type { AutomatedImage, FluxImageAutomationProps, FluxProps } from './flux-props';

const SOURCE = 'platform';
const ROOT = 'root';
const WORKLOAD_KINDS = new Set(['apps/v1/Deployment', 'apps/v1/StatefulSet', 'apps/v1/DaemonSet', 'batch/v1/Job']);

/**
 * GitOps with Flux, the sibling of {@link ArgoCd}: the same namespace folders, applied by one
 * Kustomization each, and the same Helm releases as HelmRepository + HelmRelease objects, ordered by
 * the same sync waves. `dist/flux-system/` holds them all plus the GitRepository and the root
 * Kustomization that syncs the folder itself (bootstrap: `flux install`, then apply those two).
 *
 * Ordering across kinds: Flux orders Kustomizations with Kustomizations and HelmReleases with
 * HelmReleases (`dependsOn`). A folder therefore waits for the Helm releases of lower waves through
 * the readiness of the Kustomizations it depends on: the root Kustomization health-checks the
 * releases below the first folder wave (the operators), and each release of a later wave is
 * health-checked by the folders of the highest folder wave not above it.
 */
export class Flux extends NamespacedConstruct implements GitOpsEngine {
  public readonly gitOpsEngine = 'Flux';
  /** A Job's template is immutable: Flux replaces a changed Job only when the Job asks (FLUX_FORCE). */
  public readonly forceReplacesJobs = true;
  /** Name of the GitRepository every Kustomization reads. */
  public readonly sourceName = SOURCE;
  public readonly interval: string;
  public readonly gitInterval: string;
  public readonly gitSecret?: string;
  private readonly automation?: FluxImageAutomationProps;

  /**
   * The folder's Kustomization suspended, and first the root one: it applies the per-folder
   * Kustomizations from Git and would otherwise be the next to touch them. `spec.suspend` is
   * what `flux suspend kustomization` sets; kubectl needs no flux CLI.
   */
  public holdSync(namespace: string): string[] {
    return [ROOT, namespace].map((k) => `kubectl -n ${this.namespace} patch kustomization ${k} --type merge -p '{"spec":{"suspend":true}}'`);
  }

  public resumeSync(namespace: string): string[] {
    return [namespace, ROOT].map((k) => `kubectl -n ${this.namespace} patch kustomization ${k} --type merge -p '{"spec":{"suspend":false}}'`);
  }

  constructor(scope: Construct, id: string, props: FluxProps = {}) {
    super(scope, id, props?.namespace ?? 'flux-system', { wave: SyncWave.GITOPS });
    // Synthesis does not type-check: each bad prop is reported, and its default used instead.
    props = checkProps<FluxProps>(this, props, FLUX_PROPS);
    declareSecrets(this);
    this.interval = checkInterval(this, 'interval', props.interval ?? '10m');
    this.gitInterval = checkInterval(this, 'gitInterval', props.gitInterval ?? '1m');
    if (props.gitSecret !== undefined) checkName(this, 'gitSecret', props.gitSecret, NameRules.DNS1123_SUBDOMAIN);
    this.gitSecret = props.gitSecret;
    this.automation = props.imageAutomation;
    if (this.automation) this.checkAutomation(this.automation);

    declareGitOpsEngine(this.platform.registry, this);
    this.node.addValidation({ validate: () => { const p = twoEnginesProblem(this.platform); return p ? [p] : []; } });

    // Flux's own pods: each other (source-controller serves artifacts), the API server, and Git,
    // Helm and OCI repositories (the in-cluster registry is reached at its public host).
    const pods: PodPeer = { namespace: this.namespace, podLabels: {}, name: 'flux' };
    const network = NetworkPolicies.of(this);
    network.allow(this, { from: pods, to: pods, ports: [], reason: 'Flux controllers talk to each other' });
    network.allow(this, { from: pods, to: Peers.KUBE_API, ports: KUBE_API_PORTS, reason: 'Flux applies and watches every object' });
    network.allow(this, { from: pods, to: Peers.WORLD, ports: [{ port: 443 }, { port: 22 }], reason: 'Git, Helm and image repositories' });
    // After the network policies and the objects of every folder exist: carriers list workloads.
    this.platform.registry.derive(DeriveStages.GITOPS, this, () => this.render());
  }

  /** Secrets Flux reads: Git credentials and registry logins, made before the first sync. */
  public get secretReferences(): SecretKeyReference[] {
    const refs: SecretKeyReference[] = [];
    const ns = this.namespace;
    if (this.gitSecret) {
      const git = (key: string, description: string): SecretKeyReference => ({ namespace: ns, name: this.gitSecret!, key, description });
      if (/^https:/.test(this.platform.git.repoURL)) {
        refs.push(git('username', 'Git user for Flux (any value for a token)'), git('password', `token that may ${this.automation ? 'push to' : 'read'} ${this.platform.git.repoURL}`));
      } else {
        refs.push(
          git('identity', `private SSH deploy key of ${this.platform.git.repoURL}${this.automation ? ', with write access (image automation pushes)' : ''}; \`flux create secret git\` makes it`),
          git('known_hosts', 'SSH host key of the Git server (`ssh-keyscan github.com`)'),
        );
      }
    }
    for (const [key, image] of Object.entries(this.automation?.images ?? {})) {
      if (!image.pullSecret) continue;
      refs.push({ namespace: ns, name: image.pullSecret, key: '.dockerconfigjson', type: 'kubernetes.io/dockerconfigjson', description: `registry login (read) that lists the tags of ${this.automation!.tags.pinned(key).repository.split('/')[0]}`, value: { kind: 'provided', env: 'REGISTRY_PULL_DOCKERCONFIGJSON' } });
    }
    const unique = new Map(refs.map((r) => [`${r.name}/${r.key}`, r]));
    return [...unique.values()];
  }

  private labels(component: string): Record<string, string> {
    return {
      'app.kubernetes.io/name': 'flux',
      'app.kubernetes.io/component': component,
      'app.kubernetes.io/part-of': PART_OF,
      'app.kubernetes.io/managed-by': MANAGED_BY,
    };
  }

  private checkAutomation(a: FluxImageAutomationProps): void {
    if (!this.gitSecret) {
      throw configError(this, {
        field: 'gitSecret',
        value: undefined,
        problem: 'is required with imageAutomation, which pushes commits to the repository',
        fix: 'create a Secret with a deploy key that may write (flux create secret git ...) and pass its name',
      });
    }
    if (path.isAbsolute(a.file) || a.file.split('/').includes('..') || !/\.ya?ml$/.test(a.file)) {
      throw configError(this, { field: 'imageAutomation.file', value: a.file, problem: 'is not a YAML file path relative to the repository root', fix: 'use e.g. "images/images.yaml"' });
    }
    const keys = Object.keys(a.images).sort();
    if (!keys.length) throw configError(this, { field: 'imageAutomation.images', value: a.images, problem: 'lists no image', fix: 'list the keys of the image file to follow, or remove imageAutomation' });
    for (const key of keys) {
      a.tags.pinned(key);
      const marker = a.tags.marker(key);
      if (!marker || marker.namespace !== this.namespace || marker.policy !== key) {
        throw configError(this, {
          field: `imageAutomation.images.${key}`,
          value: marker ? `${marker.namespace}:${marker.policy}` : undefined,
          problem: `has no matching setter marker in ${a.tags.source}, so Flux would never update it`,
          fix: `end the line of "${key}" with: ${imagePolicyMarker(this.namespace, key)}`,
        });
      }
      const range = a.images[key].semverRange;
      if (typeof range !== 'string' || !/^[\s0-9A-Za-z.*^~<>=|,-]+$/.test(range) || !/[0-9*]/.test(range)) {
        throw configError(this, { field: `imageAutomation.images.${key}.semverRange`, value: range, problem: 'is not a semver range', fix: 'use e.g. ">=0.1.0 <1.0.0" or "~1.4"' });
      }
      if (a.images[key].pullSecret !== undefined) checkName(this, `imageAutomation.images.${key}.pullSecret`, a.images[key].pullSecret!, NameRules.DNS1123_SUBDOMAIN);
    }
    checkInterval(this, 'imageAutomation.scanInterval', a.scanInterval ?? '5m');
  }

  private render(): void {
    const git = this.platform.git;
    const folders = this.platform.namespaces.filter((c) => c !== this.chart);
    const releases = this.platform.helmReleases;
    const folderWaves = [...new Set(folders.map((c) => c.wave))].sort((a, b) => a - b);
    const firstFolderWave = folderWaves[0] ?? Infinity;

    // Which Kustomization health-checks each release (see the class comment).
    const rootChecks: HelmRelease[] = [];
    const carried = new Map<number, HelmRelease[]>();
    for (const r of releases) {
      const wave = releaseWave(r);
      if (wave < firstFolderWave) {
        rootChecks.push(r);
        continue;
      }
      const carrierWave = Math.max(...folderWaves.filter((w) => w <= wave));
      carried.set(carrierWave, [...(carried.get(carrierWave) ?? []), r]);
    }
    const releaseRef = (r: HelmRelease): KustomizationSpecHealthChecks => ({ apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', name: r.name, namespace: this.namespace });

    new GitRepository(this, 'Source', {
      metadata: { name: SOURCE, labels: this.labels('source') },
      spec: {
        url: git.repoURL,
        ref: { branch: git.revision },
        interval: this.gitInterval,
        secretRef: this.gitSecret ? { name: this.gitSecret } : undefined,
        // Only the synthesized output matters to the cluster (image automation clones on its own).
        ignore: onlyFolder(git.path),
      },
    });

    new Kustomization(this, 'Root', {
      metadata: { name: ROOT, labels: this.labels('root') },
      spec: {
        interval: this.interval,
        retryInterval: '1m',
        timeout: '10m',
        path: `./${git.path}/${this.namespace}`,
        prune: true,
        sourceRef: { kind: KustomizationSpecSourceRefKind.GIT_REPOSITORY, name: SOURCE },
        // Not `wait`: the root applies the folder Kustomizations, which wait for the root.
        healthChecks: rootChecks.length ? rootChecks.map(releaseRef) : undefined,
      },
    });

    for (const chart of folders) {
      const lower = folderWaves.filter((w) => w < chart.wave);
      const previous = lower.length ? lower[lower.length - 1] : undefined;
      const dependsOn = previous === undefined
        ? (rootChecks.length ? [ROOT] : [])
        : folders.filter((c) => c.wave === previous).map((c) => c.namespaceName);
      this.folderKustomization(chart, dependsOn, (carried.get(chart.wave) ?? []).map(releaseRef));
    }

    const repositories = new Map<string, string>();
    for (const r of releases) {
      const name = repositoryName(this, r.repoURL);
      const known = repositories.get(name);
      if (known !== undefined && known !== r.repoURL) {
        throw configError(this, { field: 'helm repository', value: r.repoURL, problem: `gets the same HelmRepository name "${name}" as ${known}`, fix: 'report this: repository names are derived from URLs' });
      }
      if (known === undefined) {
        repositories.set(name, r.repoURL);
        new HelmRepositoryObject(this, `Repository-${name}`, {
          metadata: { name, labels: this.labels('helm') },
          spec: r.repoURL.startsWith('https://')
            ? { url: r.repoURL, interval: '12h' }
            : { url: `oci://${r.repoURL}`, type: 'oci', interval: '12h' },
        });
      }
      const wave = releaseWave(r);
      const lowerReleases = releases.filter((o) => releaseWave(o) < wave);
      const previousWave = Math.max(...lowerReleases.map(releaseWave));
      const dependsOn = lowerReleases.filter((o) => releaseWave(o) === previousWave).map((o) => ({ name: o.name }));
      new FluxHelmRelease(this, `Helm-${r.name}`, {
        metadata: { name: r.name, labels: this.labels('helm') },
        spec: {
          releaseName: r.name,
          targetNamespace: r.namespace,
          storageNamespace: r.namespace,
          interval: '30m',
          timeout: '10m',
          chart: {
            spec: {
              chart: r.chart,
              version: r.version,
              sourceRef: { kind: HelmReleaseSpecChartSpecSourceRefKind.HELM_REPOSITORY, name, namespace: this.namespace },
              interval: '12h',
            },
          },
          dependsOn: dependsOn.length ? dependsOn : undefined,
          // The namespace folder (a later wave) adopts the namespace and adds its labels. A release
          // whose dependencies (a database) are not up yet is retried until they are.
          install: { createNamespace: true, crds: HelmReleaseSpecInstallCrds.CREATE_REPLACE, remediation: { retries: -1 } },
          upgrade: { crds: HelmReleaseSpecUpgradeCrds.CREATE_REPLACE, remediation: { retries: 3 } },
          values: r.values,
        },
      });
    }

    if (this.automation) this.renderImageAutomation(this.automation);
  }

  private folderKustomization(chart: NamespaceChart, dependsOn: string[], carried: KustomizationSpecHealthChecks[]): void {
    const git = this.platform.git;
    const ns = chart.namespaceName;
    // `wait` and `healthChecks` exclude each other: a carrier lists its own workloads itself.
    const health = carried.length ? [...workloadsOf(chart), ...carried] : undefined;
    new Kustomization(this, `Folder-${ns}`, {
      metadata: { name: ns, labels: this.labels('namespace') },
      spec: {
        interval: this.interval,
        retryInterval: '1m',
        timeout: '10m',
        path: `./${git.path}/${ns}`,
        prune: true,
        wait: health ? undefined : true,
        healthChecks: health,
        dependsOn: dependsOn.length ? dependsOn.map((name) => ({ name })) : undefined,
        sourceRef: { kind: KustomizationSpecSourceRefKind.GIT_REPOSITORY, name: SOURCE },
        // Deleting the Kustomization of a folder with data leaves its objects in place (like the
        // Argo CD Application without finalizer); objects with data also carry prune: disabled.
        deletionPolicy: chart.holdsData ? KustomizationSpecDeletionPolicy.ORPHAN : undefined,
      },
    });
  }

  private renderImageAutomation(a: FluxImageAutomationProps): void {
    const git = this.platform.git;
    const keys = Object.keys(a.images).sort();
    for (const key of keys) {
      const spec = a.images[key];
      new ImageRepository(this, `ImageRepository-${key}`, {
        metadata: { name: key, labels: this.labels('image-automation') },
        spec: {
          image: a.tags.pinned(key).repository,
          interval: a.scanInterval ?? '5m',
          secretRef: spec.pullSecret ? { name: spec.pullSecret } : undefined,
        },
      });
      new ImagePolicy(this, `ImagePolicy-${key}`, {
        metadata: { name: key, labels: this.labels('image-automation') },
        spec: { imageRepositoryRef: { name: key }, policy: { semver: { range: spec.semverRange } } },
      });
    }
    const author = a.author ?? { name: 'fluxcdbot', email: 'fluxcdbot@users.noreply.github.com' };
    new ImageUpdateAutomation(this, 'ImageUpdateAutomation', {
      metadata: { name: 'image-tags', labels: this.labels('image-automation') },
      spec: {
        interval: '10m',
        sourceRef: { kind: ImageUpdateAutomationSpecSourceRefKind.GIT_REPOSITORY, name: SOURCE },
        git: {
          checkout: { ref: { branch: git.revision } },
          commit: {
            author,
            messageTemplate: 'chore(images): {{ range .Changed.Changes }}{{ print .OldValue }} -> {{ println .NewValue }}{{ end }}',
          },
          push: { branch: git.revision },
        },
        // Only the image file's folder: dist/ is rewritten by the synth workflow, never by Flux.
        update: { path: `./${path.posix.dirname(a.file)}`, strategy: ImageUpdateAutomationSpecUpdateStrategy.SETTERS },
      },
    });
  }
}

function releaseWave(r: HelmRelease): number {
  return r.wave ?? SyncWave.OPERATORS;
}


/** Workloads of a folder, for a Kustomization that cannot use `wait`. */
function workloadsOf(chart: NamespaceChart): KustomizationSpecHealthChecks[] {
  return chart.ownApiObjects()
    .filter((c) => WORKLOAD_KINDS.has(`${c.apiVersion}/${c.kind}`))
    .map((o) => ({ apiVersion: o.apiVersion, kind: o.kind, name: o.name, namespace: chart.namespaceName }))
    .sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
}

/** `https://charts.longhorn.io` -> `charts-longhorn-io`; `ghcr.io/traefik/helm` -> `ghcr-io-traefik-helm`. */
function repositoryName(scope: Construct, url: string): string {
  const name = url.replace(/^[a-z]+:\/\//, '').replace(/[^a-z0-9]+/gi, '-').toLowerCase().replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '');
  return checkName(scope, 'helm repository name', name, NameRules.DNS1123_LABEL);
}

function checkInterval(scope: Construct, field: string, value: string): string {
  return checkGoDuration(scope, field, value);
}
