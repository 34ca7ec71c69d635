// BuildJob and BuildTemplate: image builds as Jobs declared in main.ts or filled in by the build-
// server.
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { BuildsNamespace } from './builds-namespace';
import { BuildInputs, checkGitUrl, checkInput, placeholder, SECRET_LOOKING_ARG, TemplatePlaceholders } from './inputs';
import {
  BuildContainers, BuildImages, buildJobProps, DEFAULT_BUILD_IMAGES, ResolvedArtifacts, ResolvedBuild, ResolvedCache,
} from './job-spec';
import { cpuMillis, memoryBytes } from '../core/quantity';
import { configError } from '../core/errors';
import { checkProps } from '../core/prop-schema';
import { BUILD_JOB_PROPS, BUILD_JOB_TEMPLATE_PROPS } from './props-schema';
import { SYNC_OPTIONS } from '../core/annotations';
import { immutableJobAnnotations } from '../core/job-annotations';
import { SecretKeyReference } from '../core/handles';
import { defaultEnvName } from '../checks/secrets/inventory';
import { pinnedImage } from '../core/image';
import { checkName, NameRules, standardLabels } from '../core/names';
import { ResourceSpec } from '../core/security';
import { declareSecrets } from '../core/secrets';
import { Platform } from '../core/platform';

export { BuildContainers, BuildImages, DEFAULT_BUILD_IMAGES } from './job-spec';
export { BuildInputs, fillTemplate, TemplatePlaceholders } from './inputs';

/** What to build. */
export interface BuildSource {
  /** https:// URL of a public repository, without credentials. */
  readonly gitUrl: string;
  /** Branch, tag or commit to build. */
  readonly ref: string;
  /** Build context, relative to the repository root. @default '.' (the root) */
  readonly subdirectory?: string;
  /** Dockerfile, relative to the context directory. @default 'Dockerfile' */
  readonly dockerfile?: string;
}

/** Where the image goes. */
export interface BuildDestination {
  /** `registry/repository:tag` to push. */
  readonly image: string;
  /**
   * Secret of type kubernetes.io/dockerconfigjson in the builds namespace, with push rights.
   * @default - the cluster profile's container registry push Secret (DOCR on DOKS)
   */
  readonly pushSecret?: string;
}

/** Files of the built image uploaded to S3-compatible storage after the push. */
export interface BuildArtifacts {
  /** S3 API endpoint, e.g. `https://s3.eu-central-1.amazonaws.com` or an in-cluster MinIO. */
  readonly endpoint: string;
  readonly bucket: string;
  /** Key prefix; objects land under `<prefix><build id>/`. @default '' */
  readonly prefix?: string;
  /** Secret in the builds namespace with keys `access-key-id` and `secret-access-key`. */
  readonly credentialsSecret: string;
  /** Directory of the built image's filesystem to upload, recursively (the final stage). */
  readonly path: string;
  /** @default 'us-east-1' (what most S3-compatible stores accept) */
  readonly region?: string;
}

/** Cache of layers in a registry (shared across pods and nodes). */
export interface RegistryBuildCache {
  /** `registry/repository:tag` the cache is exported to and imported from (push rights needed). */
  readonly registry: string;
}
/** Cache of layers on an existing PersistentVolumeClaim of the builds namespace. */
export interface VolumeBuildCache {
  /**
   * Claim name. Two builds exporting to one claim at once race on its index.json; give each
   * concurrently built app its own claim, or prefer a registry cache.
   */
  readonly pvc: string;
}
export type BuildCache = RegistryBuildCache | VolumeBuildCache;

export interface BuildTimeouts {
  /** Wall time for the whole Job, queueing behind the quota included. @default 1800 */
  readonly activeDeadlineSeconds?: number;
  /**
   * Finished Jobs are deleted after this. @default - 900 for templates (the build-server reads the
   * result first); none for declared BuildJobs, so GitOps does not recreate and rerun them
   */
  readonly ttlSecondsAfterFinished?: number;
}

/** Settings shared by a declared build and the template. */
export interface BuildOptions {
  /** @default - no upload */
  readonly artifacts?: BuildArtifacts;
  /** `--build-arg` values; written to dist/ in clear, so no secrets. @default {} */
  readonly buildArgs?: Record<string, string>;
  /** @default - no cache */
  readonly cache?: BuildCache;
  readonly timeouts?: BuildTimeouts;
  /** Of the BuildKit container; at most the namespace's per-build share. @default - the namespace's buildResources */
  readonly resources?: ResourceSpec;
  /** Retries after a failure that is not the build's own (network, registry). @default 1 */
  readonly backoffLimit?: number;
  /** Space for BuildKit's state and the workspace, each. @default '10Gi' */
  readonly stateSize?: string;
  /** @default DEFAULT_BUILD_IMAGES */
  readonly images?: BuildImages;
}

export interface BuildJobProps extends BuildOptions {
  readonly source: BuildSource;
  readonly destination: BuildDestination;
}

export interface BuildJobTemplateProps extends BuildOptions {
  /** Push Secret of every build launched from the template (see BuildDestination.pushSecret). @default - the cluster profile's container registry push Secret */
  readonly pushSecret?: string;
  /** Build context of every build. @default '.' */
  readonly subdirectory?: string;
  /** @default 'Dockerfile' */
  readonly dockerfile?: string;
}

/**
 * One image build, declared: a batch/v1 Job in the builds namespace that clones `source` at
 * `ref`, builds it with rootless BuildKit, pushes `destination.image` and optionally uploads
 * artifacts. The Job is named `build-<id>`. Every input is validated, and reaches the containers
 * only as whole argv elements or env vars; no shell is involved.
 *
 * The build-server launches builds from a BuildJobTemplate, rendered by the same function.
 */
export class BuildJob extends Construct {
  /** A template for the build-server; same rendering as a declared BuildJob. */
  public static template(builds: BuildsNamespace, id: string, props: BuildJobTemplateProps): BuildJobTemplate {
    return new BuildJobTemplate(builds, id, props);
  }

  public readonly jobName: string;
  public readonly image: string;
  public readonly secretReferences: SecretKeyReference[];

  constructor(scope: BuildsNamespace, id: string, props: BuildJobProps) {
    super(scope, id);
    // Synthesis does not type-check: each bad prop is reported, and a default or placeholder used instead.
    props = checkProps<BuildJobProps>(this, props, BUILD_JOB_PROPS);
    declareSecrets(this);
    const buildId = checkInput(this, 'id', id, BuildInputs.BUILD_ID, 'rename the BuildJob, e.g. "smoke-test"');
    const s = props.source ?? ({} as BuildSource);
    const d = props.destination ?? ({} as BuildDestination);
    const gitUrl = checkGitUrl(this, 'source.gitUrl', s.gitUrl);
    const gitRef = checkInput(this, 'source.ref', s.ref, BuildInputs.GIT_REF);
    const image = checkInput(this, 'destination.image', d.image, BuildInputs.IMAGE);
    const common = resolveCommon(this, scope, props, { pushSecret: d.pushSecret, subdirectory: s.subdirectory, dockerfile: s.dockerfile });
    const build: ResolvedBuild = {
      ...common.build,
      buildId, gitUrl, gitRef, image,
      ttlSecondsAfterFinished: props.timeouts?.ttlSecondsAfterFinished,
      // Job specs are immutable: a changed build (new ref) is applied by replacing the Job.
      annotations: immutableJobAnnotations(this, { [SYNC_OPTIONS]: 'Replace=true' }),
    };
    if (build.ttlSecondsAfterFinished !== undefined) checkSeconds(this, 'timeouts.ttlSecondsAfterFinished', build.ttlSecondsAfterFinished);
    this.jobName = `build-${buildId}`;
    this.image = image;
    this.secretReferences = common.secrets;
    new k8s.KubeJob(this, 'Resource', buildJobProps(build));
  }
}

/**
 * The Job a build-server clones for each build, in a ConfigMap `build-template-<id>` of the
 * builds namespace (readable by the builder clients):
 * - `job.json`: the Job manifest with placeholders `${BUILD_ID}`, `${GIT_URL}`, `${GIT_REF}` and
 *   `${IMAGE}`, each inside a JSON string;
 * - `placeholders.json`: the pattern and length limit each value must match. The build-server
 *   validates every value against it, then substitutes (no escaping is needed for a valid value),
 *   and creates the Job. Extra build args are appended to the `buildkit` container's args as
 *   `--opt`, `build-arg:KEY=VALUE`, keys matching BUILD_ARG_KEY.
 */
export class BuildJobTemplate extends Construct {
  public readonly configMapName: string;
  public readonly secretReferences: SecretKeyReference[];
  /** The template manifest (with placeholders), as stored in `job.json`. */
  public readonly manifest: any;

  constructor(scope: BuildsNamespace, id: string, props: BuildJobTemplateProps) {
    super(scope, id);
    props = checkProps<BuildJobTemplateProps>(this, props, BUILD_JOB_TEMPLATE_PROPS);
    declareSecrets(this);
    checkName(this, 'id', id, NameRules.DNS1123_LABEL);
    this.configMapName = checkName(this, 'id', `build-template-${id}`, NameRules.DNS1123_SUBDOMAIN);
    const common = resolveCommon(this, scope, props, { pushSecret: props.pushSecret, subdirectory: props.subdirectory, dockerfile: props.dockerfile });
    const ttl = props.timeouts?.ttlSecondsAfterFinished ?? 900;
    checkSeconds(this, 'timeouts.ttlSecondsAfterFinished', ttl);
    const build: ResolvedBuild = {
      ...common.build,
      buildId: placeholder('BUILD_ID'),
      gitUrl: placeholder('GIT_URL'),
      gitRef: placeholder('GIT_REF'),
      image: placeholder('IMAGE'),
      ttlSecondsAfterFinished: ttl,
    };
    this.secretReferences = common.secrets;
    this.manifest = { ...k8s.KubeJob.manifest(buildJobProps(build)) };
    this.manifest.metadata = { ...this.manifest.metadata, namespace: scope.namespace };
    const placeholders = Object.fromEntries(Object.entries(TemplatePlaceholders).map(([name, rule]) => [
      name, { pattern: rule.pattern.source, maxLength: rule.maxLength, description: rule.description, example: rule.example },
    ]));
    scope.addTemplateConfigMap(this.configMapName);
    new k8s.KubeConfigMap(this, 'Resource', {
      metadata: { name: this.configMapName, labels: standardLabels({ name: 'novahost-build', instance: scope.namespace, component: 'job-template' }) },
      data: {
        'job.json': JSON.stringify(this.manifest, null, 2) + '\n',
        'placeholders.json': JSON.stringify({
          placeholders,
          buildArgs: { container: BuildContainers.BUILDKIT, key: BuildInputs.BUILD_ARG_KEY.pattern.source, value: BuildInputs.BUILD_ARG_VALUE.pattern.source, maxValueLength: BuildInputs.BUILD_ARG_VALUE.maxLength },
        }, null, 2) + '\n',
      },
    });
  }
}

interface CommonInputs {
  readonly pushSecret: string | undefined;
  readonly subdirectory?: string;
  readonly dockerfile?: string;
}

/** Validates and resolves what a declared build and a template have in common. */
function resolveCommon(scope: Construct, builds: BuildsNamespace, props: BuildOptions, c: CommonInputs): {
  build: Omit<ResolvedBuild, 'buildId' | 'gitUrl' | 'gitRef' | 'image' | 'ttlSecondsAfterFinished'>;
  secrets: SecretKeyReference[];
} {
  if (!(builds instanceof BuildsNamespace)) {
    throw configError(scope, { field: 'scope', value: String(builds), problem: 'is not a BuildsNamespace', fix: 'create builds inside the builds namespace: new BuildJob(builds, id, {...})' });
  }
  const pushField = scope instanceof BuildJob ? 'destination.pushSecret' : 'pushSecret';
  // Unset: the cluster's own registry (DOCR on DOKS) is where builds push.
  const registry = Platform.of(scope).cluster.containerRegistry;
  if (c.pushSecret === undefined && !registry) {
    throw configError(scope, { field: pushField, value: undefined, problem: 'is required: the cluster profile names no container registry to push to', fix: 'name a kubernetes.io/dockerconfigjson Secret with push rights, or give the profile a containerRegistry' });
  }
  const pushSecret = checkName(scope, pushField, c.pushSecret ?? registry!.pushSecret, NameRules.DNS1123_SUBDOMAIN);
  const contextDir = c.subdirectory === undefined || c.subdirectory === '.'
    ? '.'
    : checkInput(scope, fieldOf(scope, 'subdirectory'), c.subdirectory.replace(/\/+$/, ''), BuildInputs.RELATIVE_PATH);
  const dockerfile = checkInput(scope, fieldOf(scope, 'dockerfile'), c.dockerfile ?? 'Dockerfile', BuildInputs.RELATIVE_PATH);

  const buildArgs = Object.entries(props.buildArgs ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => {
    checkInput(scope, 'buildArgs', k, BuildInputs.BUILD_ARG_KEY);
    if (SECRET_LOOKING_ARG.test(k)) {
      throw configError(scope, {
        field: `buildArgs.${k}`,
        value: '<redacted>',
        problem: 'looks like a secret, and build args are written to dist/ and into the image history in clear text',
        fix: 'use a BuildKit secret mount in the Dockerfile instead, or rename the argument if it is not secret',
      });
    }
    checkInput(scope, `buildArgs.${k}`, v, BuildInputs.BUILD_ARG_VALUE);
    return [k, v] as const;
  });

  let cache: ResolvedCache | undefined;
  if (props.cache && 'registry' in props.cache) {
    cache = { registry: checkInput(scope, 'cache.registry', props.cache.registry, BuildInputs.IMAGE) };
  } else if (props.cache && 'pvc' in props.cache) {
    cache = { pvc: checkName(scope, 'cache.pvc', props.cache.pvc, NameRules.DNS1123_SUBDOMAIN) };
  } else if (props.cache) {
    throw configError(scope, { field: 'cache', value: props.cache, problem: 'names neither a registry nor a pvc', fix: 'use { registry: "ghcr.io/owner/app:buildcache" } or { pvc: "build-cache" }' });
  }

  const secrets: SecretKeyReference[] = [{
    namespace: builds.namespace,
    name: pushSecret,
    key: '.dockerconfigjson',
    description: registry && pushSecret === registry.pushSecret ? registry.pushSecretHowTo : 'registry credentials with push rights (type kubernetes.io/dockerconfigjson), provided by you',
    type: 'kubernetes.io/dockerconfigjson',
    value: { kind: 'provided', env: envName(pushSecret, '') },
  }];
  let artifacts: ResolvedArtifacts | undefined;
  if (props.artifacts) {
    const a = props.artifacts;
    const prefix = a.prefix ?? '';
    artifacts = {
      endpoint: checkInput(scope, 'artifacts.endpoint', a.endpoint, BuildInputs.S3_ENDPOINT).replace(/\/$/, ''),
      bucket: checkInput(scope, 'artifacts.bucket', a.bucket, BuildInputs.S3_BUCKET),
      prefix: checkInput(scope, 'artifacts.prefix', prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`, BuildInputs.S3_PREFIX),
      credentialsSecret: checkName(scope, 'artifacts.credentialsSecret', a.credentialsSecret, NameRules.DNS1123_SUBDOMAIN),
      path: checkInput(scope, 'artifacts.path', a.path, BuildInputs.ABSOLUTE_PATH),
      region: checkInput(scope, 'artifacts.region', a.region ?? 'us-east-1', BuildInputs.REGION),
    };
    for (const key of ['access-key-id', 'secret-access-key']) {
      secrets.push({
        namespace: builds.namespace,
        name: artifacts.credentialsSecret,
        key,
        description: `S3 ${key} for uploads to ${artifacts.bucket}, provided by you`,
        value: { kind: 'provided', env: envName(artifacts.credentialsSecret, key) },
      });
    }
  }
  for (const ref of secrets) builds.addSecretReference(ref);

  const images = { ...DEFAULT_BUILD_IMAGES, ...props.images };
  for (const [name, ref] of Object.entries(images)) pinnedImage(scope, `images.${name}`, ref);
  if (!/-rootless$/.test(images.buildkit.split('@')[0])) {
    throw configError(scope, { field: 'images.buildkit', value: images.buildkit, problem: 'is not a rootless BuildKit image', fix: `use a "-rootless" tag such as "${DEFAULT_BUILD_IMAGES.buildkit}"; the pod runs as uid 1000` });
  }
  builds.addBuildImages(images);

  const resources = { ...builds.buildResources, ...props.resources };
  const share = builds.buildResources;
  const over = (f: keyof ResourceSpec, parse: typeof cpuMillis) => {
    if (parse(scope, `resources.${f}`, resources[f]!) > parse(scope, `buildResources.${f}`, share[f])) {
      throw configError(scope, {
        field: `resources.${f}`,
        value: resources[f],
        problem: `is above one build's share of the builds namespace (${share[f]})`,
        fix: `ask for at most ${share[f]}, or raise buildResources of the BuildsNamespace (the quota grows with it)`,
      });
    }
  };
  over('cpuRequest', cpuMillis);
  over('cpuLimit', cpuMillis);
  over('memoryRequest', memoryBytes);
  over('memoryLimit', memoryBytes);

  const activeDeadlineSeconds = checkSeconds(scope, 'timeouts.activeDeadlineSeconds', props.timeouts?.activeDeadlineSeconds ?? 1800);
  const backoffLimit = props.backoffLimit ?? 1;
  if (!Number.isInteger(backoffLimit) || backoffLimit < 0 || backoffLimit > 6) {
    throw configError(scope, { field: 'backoffLimit', value: backoffLimit, problem: 'is not a whole number from 0 to 6', fix: 'use 0 or 1; build failures are not retried anyway' });
  }
  const stateSize = props.stateSize ?? '10Gi';
  memoryBytes(scope, 'stateSize', stateSize);

  return {
    build: {
      contextDir, dockerfile, pushSecret, buildArgs, cache, artifacts, backoffLimit, activeDeadlineSeconds, resources, stateSize, images,
      serviceAccountName: builds.runnerServiceAccountName,
    },
    secrets,
  };
}

function fieldOf(scope: Construct, f: string): string {
  return scope instanceof BuildJob ? `source.${f}` : f;
}

function checkSeconds(scope: Construct, field: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw configError(scope, { field, value, problem: 'is not a whole number of seconds ≥ 1', fix: 'use e.g. 1800' });
  return value;
}

/** `REGISTRY_PUSH_PASSWORD`: where `npm run secrets -- --kubectl` reads a provided value from. */
function envName(secret: string, key: string): string {
  return defaultEnvName({ name: secret, key });
}
