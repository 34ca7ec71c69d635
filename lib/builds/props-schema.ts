// The builds' props as schemas (core/prop-schema.ts): BuildsNamespace, BuildJob and its template.
// Every value that reaches a build pod obeys a grammar of ./inputs.ts; here types, unknown keys
// and ranges are checked too, and each problem is reported instead of stopping at the first.
import { pinnedImage } from '../core/image';
import { NameRules } from '../core/names';
import { Rule, Rules, Shape } from '../core/prop-schema';
import { BuildInputs, checkGitUrl } from './inputs';
import { IPV4_CIDR } from '../core/validate';

const SECRET_NAME = Rules.name(NameRules.DNS1123_SUBDOMAIN);
const image = Rules.throwing(pinnedImage);
/** A bad push Secret is reported and stands in as "invalid": unset would mean "the registry's", or "missing". */
const PUSH_SECRET: Rule<string> = (v, field, value) => SECRET_NAME(v, field, value) ?? 'invalid';
/** A relative path in the repository; "." (the root) and a trailing "/" are taken as given. */
const repoPath: Rule<string> = (v, field, value) => {
  if (value === '.') return value;
  const trimmed = typeof value === 'string' ? value.replace(/\/+$/, '') : value;
  return Rules.grammar(BuildInputs.RELATIVE_PATH)(v, field, trimmed) === undefined ? undefined : (value as string);
};
const seconds = (max: number) => Rules.integer(1, max, 'use e.g. 1800');

/** Exactly one of `registry` and `pvc`. */
const cache: Rule = (v, field, value) => {
  const shape = Rules.object({ registry: Rules.grammar(BuildInputs.IMAGE), pvc: Rules.name(NameRules.DNS1123_SUBDOMAIN) });
  const c = shape(v, field, value);
  if (!c) return undefined;
  const given = ['registry', 'pvc'].filter((k) => (value as Record<string, unknown>)[k] !== undefined);
  if (given.length !== 1) {
    v.report(field, value, given.length ? 'names both a registry and a pvc' : 'names neither a registry nor a pvc', 'use { registry: "ghcr.io/owner/app:buildcache" } or { pvc: "build-cache" }');
    return undefined;
  }
  return Object.keys(c).length === 1 ? c : undefined;
};

/** What a declared build and a template have in common (BuildOptions). */
const BUILD_OPTIONS = {
  artifacts: Rules.object({
    endpoint: Rules.required(Rules.grammar(BuildInputs.S3_ENDPOINT), 'https://invalid.example', 'give the S3 API endpoint, e.g. "https://s3.eu-central-1.amazonaws.com"'),
    bucket: Rules.required(Rules.grammar(BuildInputs.S3_BUCKET), 'invalid', 'name the bucket the artifacts go to'),
    // A prefix without its trailing "/" gets one (./build-job.ts), so "" and "builds" both pass.
    prefix: (v, field, value) => {
      const withSlash = typeof value === 'string' && value !== '' && !value.endsWith('/') ? `${value}/` : value;
      return withSlash === '' || Rules.grammar(BuildInputs.S3_PREFIX)(v, field, withSlash) !== undefined ? (value as string) : undefined;
    },
    credentialsSecret: Rules.required(SECRET_NAME, 'invalid', 'name the Secret with keys access-key-id and secret-access-key'),
    path: Rules.required(Rules.grammar(BuildInputs.ABSOLUTE_PATH), '/', 'give the directory of the built image to upload, e.g. "/dist"'),
    region: Rules.grammar(BuildInputs.REGION),
  }),
  buildArgs: Rules.record(Rules.grammar(BuildInputs.BUILD_ARG_VALUE), Rules.grammar(BuildInputs.BUILD_ARG_KEY)),
  cache,
  timeouts: Rules.object({ activeDeadlineSeconds: seconds(7 * 86400), ttlSecondsAfterFinished: seconds(30 * 86400) }),
  resources: Rules.resources(),
  backoffLimit: Rules.integer(0, 6, 'use 0 or 1; build failures are not retried anyway'),
  stateSize: Rules.quantity('memory'),
  images: Rules.object({ git: image, buildkit: image, upload: image }),
} satisfies Shape;

const PLACEHOLDER_SOURCE = { gitUrl: 'https://invalid.example/invalid.git', ref: 'main' };
const PLACEHOLDER_DESTINATION = { image: 'invalid.example/invalid:0' };

export const BUILD_JOB_PROPS = {
  source: Rules.required(Rules.object({
    gitUrl: Rules.required(Rules.throwing(checkGitUrl), PLACEHOLDER_SOURCE.gitUrl, `give the https:// URL of the repository, e.g. "${BuildInputs.GIT_URL.example}"`),
    ref: Rules.required(Rules.grammar(BuildInputs.GIT_REF), PLACEHOLDER_SOURCE.ref, `give a branch, tag or full commit id, e.g. "${BuildInputs.GIT_REF.example}"`),
    subdirectory: repoPath,
    dockerfile: repoPath,
  }), PLACEHOLDER_SOURCE, 'give { gitUrl, ref }'),
  destination: Rules.required(Rules.object({
    image: Rules.required(Rules.grammar(BuildInputs.IMAGE), PLACEHOLDER_DESTINATION.image, `give the image to push, e.g. "${BuildInputs.IMAGE.example}"`),
    // Optional: the cluster profile's container registry names its push Secret.
    pushSecret: PUSH_SECRET,
  }), PLACEHOLDER_DESTINATION, 'give { image } (and pushSecret, unless the cluster profile has a container registry)'),
  ...BUILD_OPTIONS,
} satisfies Shape;

export const BUILD_JOB_TEMPLATE_PROPS = {
  pushSecret: PUSH_SECRET,
  subdirectory: repoPath,
  dockerfile: repoPath,
  ...BUILD_OPTIONS,
} satisfies Shape;

const peer: Rule = Rules.object({
  name: Rules.required(Rules.name(NameRules.DNS1123_LABEL), 'invalid', 'give a short DNS-1123 name, e.g. "registry"'),
  namespace: Rules.required(Rules.name(NameRules.DNS1123_LABEL), 'invalid', 'give the namespace of the pods'),
  podLabels: Rules.record(Rules.pattern(/^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/, 'a label value', 'use at most 63 letters, digits, "-", "_", "."')),
  ports: Rules.required(Rules.array(Rules.port(), { nonEmpty: true }), [1], 'list the ports the pods listen on, e.g. [5000]'),
}, true);

export const BUILDS_NAMESPACE_PROPS = {
  // Checked by the platform when it makes the namespace chart.
  namespace: Rules.any(),
  maxConcurrentBuilds: Rules.integer(1, 100, 'use 1 or 2 on a 2 vCPU / 4 GiB node'),
  maxJobs: Rules.integer(1, 10000, 'use a number at least maxConcurrentBuilds'),
  buildResources: Rules.resources({ cpuRequest: '250m', memoryRequest: '512Mi', cpuLimit: '750m', memoryLimit: '1280Mi' }),
  builderClients: Rules.array(Rules.is((s) => typeof s === 'object' && s !== null && typeof (s as { serviceAccountName?: unknown }).serviceAccountName === 'string',
    'a service handle', 'pass app.service("<name>") of a service with apiAccess: true')),
  deniedEgressCidrs: Rules.array(Rules.pattern(IPV4_CIDR, 'an IPv4 CIDR', 'use a range such as "10.0.0.0/8" or an address such as "203.0.113.10/32"')),
  clusterPeers: Rules.array(peer),
} satisfies Shape;
