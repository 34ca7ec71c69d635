// The one function that turns a build into a Job (clone, rootless BuildKit, optional upload).
import { k8s } from 'cdk8s-plus-28';
import { standardLabels } from '../core/names';
import {
  resourceRequirements, ResourceSpec, restrictedContainerSecurityContext, restrictedPodSecurityContext, scratchVolume,
} from '../core/security';
import { AWS_CHECKSUM_ENV, imageRef, PINS } from '../core/pins';

/**
 * The one function that turns a build into a Job. Both the Jobs declared in `main.ts` and the
 * template the build-server clones at run time are rendered here, from values that were validated
 * (declared builds) or from `${PLACEHOLDER}` tokens (the template), so the two cannot drift.
 */

/** Images of a build pod; each is pinned (checked by the constructs). */
export interface BuildImages {
  /** Clones the source. @default PINS.images.git */
  readonly git?: string;
  /** Rootless BuildKit; must be a `-rootless` variant (uid 1000). @default PINS.images.buildkit */
  readonly buildkit?: string;
  /** Uploads artifacts with `aws s3 cp`. @default PINS.images.awsCli */
  readonly upload?: string;
}

export const DEFAULT_BUILD_IMAGES: Required<BuildImages> = {
  git: imageRef(PINS.images.git),
  // Kaniko was archived upstream in June 2025; BuildKit is maintained and runs rootless.
  buildkit: imageRef(PINS.images.buildkit),
  upload: imageRef(PINS.images.awsCli),
};

/** Where the build cache lives between builds. */
export type ResolvedCache = { readonly registry: string } | { readonly pvc: string };

export interface ResolvedArtifacts {
  readonly endpoint: string;
  readonly bucket: string;
  /** '' or ending in '/'. */
  readonly prefix: string;
  readonly credentialsSecret: string;
  /** Absolute path in the built image's filesystem. */
  readonly path: string;
  readonly region: string;
}

/** A build with every default resolved; strings may be `${PLACEHOLDER}` tokens. */
export interface ResolvedBuild {
  readonly buildId: string;
  readonly gitUrl: string;
  readonly gitRef: string;
  readonly image: string;
  /** Context directory relative to the repository root ('.' for the root). */
  readonly contextDir: string;
  /** Dockerfile path relative to the context directory. */
  readonly dockerfile: string;
  readonly pushSecret: string;
  readonly buildArgs: ReadonlyArray<readonly [string, string]>;
  readonly cache?: ResolvedCache;
  readonly artifacts?: ResolvedArtifacts;
  readonly backoffLimit: number;
  readonly activeDeadlineSeconds: number;
  readonly ttlSecondsAfterFinished?: number;
  readonly resources: ResourceSpec;
  /** Size limit of BuildKit's state (layers, snapshots) in the pod. */
  readonly stateSize: string;
  readonly serviceAccountName: string;
  readonly images: Required<BuildImages>;
  readonly annotations?: Record<string, string>;
}

/** uid/gid of the rootless BuildKit image's `user`; the other containers use it too. */
export const BUILD_UID = 1000;
export const BUILD_ID_LABEL = 'novahost.dev/build-id';
/** Labels every build pod carries, whatever its build; the NetworkPolicies select on them. */
export const BUILD_POD_SELECTOR = { 'app.kubernetes.io/name': 'novahost-build', 'app.kubernetes.io/component': 'build' } as const;
/** Container names; the build-server and podFailurePolicy refer to them. */
export const BuildContainers = {
  GIT_INIT: 'git-init',
  GIT_FETCH: 'git-fetch',
  GIT_CHECKOUT: 'git-checkout',
  BUILDKIT: 'buildkit',
  UPLOAD: 'upload',
} as const;
/**
 * buildctl exits 1 when the build itself fails (a RUN step, a missing file): retrying the same
 * commit gives the same result and only burns the node's CPU, so the Job fails at once.
 */
export const NON_RETRIABLE_BUILD_EXIT_CODES = [1];
/** The BuildKit container's command: starts a rootless buildkitd for one build, passes "$@" to buildctl. */
export const BUILDKIT_COMMAND: readonly string[] = ['buildctl-daemonless.sh'];

const WORKSPACE = '/workspace';
const SOURCE = `${WORKSPACE}/source`;
const OUTPUT = `${WORKSPACE}/output`;
const HELPER_RESOURCES: ResourceSpec = { cpuRequest: '50m', memoryRequest: '64Mi', cpuLimit: '250m', memoryLimit: '256Mi' };

/** Props of the Job (L1), for `new k8s.KubeJob(...)` and `k8s.KubeJob.manifest(...)`. */
export function buildJobProps(b: ResolvedBuild): k8s.KubeJobProps {
  const labels = { ...standardLabels({ name: BUILD_POD_SELECTOR['app.kubernetes.io/name'], instance: b.buildId, component: BUILD_POD_SELECTOR['app.kubernetes.io/component'] }), [BUILD_ID_LABEL]: b.buildId };
  const workspace = scratchVolume('workspace', WORKSPACE, b.stateSize);
  const tmp = scratchVolume('tmp', '/tmp');
  const state = scratchVolume('buildkit-state', '/home/user/.local/share/buildkit', b.stateSize);
  const runtime = scratchVolume('buildkit-runtime', `/run/user/${BUILD_UID}`);
  const localTmp = scratchVolume('buildkit-tmp', '/home/user/.local/tmp', '1Gi');
  const dockerConfig: k8s.Volume = {
    name: 'docker-config',
    secret: { secretName: b.pushSecret, items: [{ key: '.dockerconfigjson', path: 'config.json' }], defaultMode: 0o440 },
  };
  const volumes: k8s.Volume[] = [workspace.volume, tmp.volume, state.volume, runtime.volume, localTmp.volume, dockerConfig];
  if (b.cache && 'pvc' in b.cache) volumes.push({ name: 'cache', persistentVolumeClaim: { claimName: b.cache.pvc } });

  const gitEnv: k8s.EnvVar[] = [
    { name: 'HOME', value: '/tmp' },
    { name: 'GIT_TERMINAL_PROMPT', value: '0' },
    { name: 'GIT_CONFIG_NOSYSTEM', value: '1' },
  ];
  const git = (name: string, args: string[]): k8s.Container => ({
    name,
    image: b.images.git,
    command: ['git'],
    args,
    env: gitEnv,
    resources: resourceRequirements(HELPER_RESOURCES),
    securityContext: restrictedContainerSecurityContext(),
    volumeMounts: [workspace.mount, tmp.mount],
  });
  const clone = [
    git(BuildContainers.GIT_INIT, ['init', '--quiet', SOURCE]),
    // A fetch of one ref (branch, tag or commit) at depth 1; `--` ends options, so neither value
    // can be read as a flag even if validation were bypassed.
    git(BuildContainers.GIT_FETCH, ['-C', SOURCE, 'fetch', '--quiet', '--depth', '1', '--', b.gitUrl, b.gitRef]),
    git(BuildContainers.GIT_CHECKOUT, ['-C', SOURCE, 'checkout', '--quiet', '--detach', 'FETCH_HEAD']),
  ];

  const context = b.contextDir === '.' ? SOURCE : `${SOURCE}/${b.contextDir}`;
  const slash = b.dockerfile.lastIndexOf('/');
  const dockerfileDir = slash < 0 ? context : `${context}/${b.dockerfile.slice(0, slash)}`;
  const buildArgs = [
    'build',
    '--frontend', 'dockerfile.v0',
    '--local', `context=${context}`,
    '--local', `dockerfile=${dockerfileDir}`,
    '--opt', `filename=${b.dockerfile.slice(slash + 1)}`,
    ...b.buildArgs.flatMap(([k, v]) => ['--opt', `build-arg:${k}=${v}`]),
    '--output', `type=image,name=${b.image},push=true`,
    ...(b.artifacts ? ['--output', `type=local,dest=${OUTPUT}`] : []),
    ...cacheArgs(b.cache),
  ];
  const buildkit: k8s.Container = {
    name: BuildContainers.BUILDKIT,
    image: b.images.buildkit,
    command: [...BUILDKIT_COMMAND],
    args: buildArgs,
    env: [{ name: 'BUILDKITD_FLAGS', value: '--oci-worker-no-process-sandbox' }],
    resources: resourceRequirements(b.resources),
    securityContext: buildkitSecurityContext(),
    volumeMounts: [
      workspace.mount, tmp.mount, state.mount, runtime.mount, localTmp.mount,
      { name: 'docker-config', mountPath: '/home/user/.docker', readOnly: true },
      ...(b.cache && 'pvc' in b.cache ? [{ name: 'cache', mountPath: '/cache' }] : []),
    ],
  };

  const containers: k8s.Container[] = [];
  const initContainers = [...clone];
  if (b.artifacts) {
    const a = b.artifacts;
    initContainers.push(buildkit);
    containers.push({
      name: BuildContainers.UPLOAD,
      image: b.images.upload,
      command: ['aws'],
      args: [
        's3', 'cp', '--recursive', '--no-progress', '--endpoint-url', a.endpoint,
        a.path === '/' ? `${OUTPUT}/` : `${OUTPUT}${a.path}`,
        `s3://${a.bucket}/${a.prefix}${b.buildId}/`,
      ],
      env: [
        { name: 'HOME', value: '/tmp' },
        { name: 'AWS_DEFAULT_REGION', value: a.region },
        { name: 'AWS_EC2_METADATA_DISABLED', value: 'true' },
        { name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: a.credentialsSecret, key: 'access-key-id' } } },
        { name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: a.credentialsSecret, key: 'secret-access-key' } } },
        ...AWS_CHECKSUM_ENV,
      ],
      resources: resourceRequirements(HELPER_RESOURCES),
      securityContext: restrictedContainerSecurityContext(),
      volumeMounts: [{ ...workspace.mount, readOnly: true }, tmp.mount],
    });
  } else {
    containers.push(buildkit);
  }

  return {
    metadata: { name: `build-${b.buildId}`, labels, annotations: b.annotations },
    spec: {
      backoffLimit: b.backoffLimit,
      activeDeadlineSeconds: b.activeDeadlineSeconds,
      ttlSecondsAfterFinished: b.ttlSecondsAfterFinished,
      podFailurePolicy: {
        rules: [
          // Evictions, preemption and node drains are not the build's fault: retry without counting.
          { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
          // `onPodConditions: []` only satisfies the 1.28 schema, which marks it required; empty is "unset".
          { action: 'FailJob', onExitCodes: { containerName: BuildContainers.BUILDKIT, operator: 'In', values: NON_RETRIABLE_BUILD_EXIT_CODES }, onPodConditions: [] },
        ],
      },
      template: {
        metadata: {
          labels,
          // Kubernetes 1.28 reads AppArmor from this annotation (the securityContext field is 1.30+).
          annotations: { [`container.apparmor.security.beta.kubernetes.io/${BuildContainers.BUILDKIT}`]: 'unconfined' },
        },
        spec: {
          restartPolicy: 'Never',
          serviceAccountName: b.serviceAccountName,
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: restrictedPodSecurityContext(BUILD_UID),
          initContainers,
          containers,
          volumes,
        },
      },
    },
  };
}

function cacheArgs(cache: ResolvedCache | undefined): string[] {
  if (!cache) return [];
  if ('registry' in cache) {
    return ['--export-cache', `type=registry,ref=${cache.registry},mode=max`, '--import-cache', `type=registry,ref=${cache.registry}`];
  }
  return ['--export-cache', 'type=local,dest=/cache,mode=max', '--import-cache', 'type=local,src=/cache'];
}

/**
 * The one container below restricted Pod Security, and exactly how far below:
 * - seccomp and AppArmor `Unconfined`: the runtime's default profiles block the unshare(2) and
 *   mount(2) calls that rootlesskit needs to create BuildKit's user and mount namespaces. This is
 *   what Pod Security "baseline" forbids, hence a "privileged" namespace.
 * - allowPrivilegeEscalation and SETUID/SETGID: newuidmap/newgidmap are setuid helpers that map
 *   the subordinate id range (/etc/subuid) into the user namespace; no_new_privs or a bounding set
 *   without these two capabilities makes them fail ("newuidmap: Could not set caps").
 * Still: uid 1000, never root, not `privileged`, every other capability dropped, read-only root
 * filesystem, and `--oci-worker-no-process-sandbox` so BuildKit needs no extra /proc mount.
 */
export function buildkitSecurityContext(): k8s.SecurityContext {
  return {
    allowPrivilegeEscalation: true,
    privileged: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    runAsUser: BUILD_UID,
    runAsGroup: BUILD_UID,
    capabilities: { drop: ['ALL'], add: ['SETUID', 'SETGID'] },
    seccompProfile: { type: 'Unconfined' },
  };
}
