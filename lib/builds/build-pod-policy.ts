// The builds namespace's admission policy: CEL rules that admit only pods shaped like the build template.
import { BUILD_UID, BuildContainers, BUILDKIT_COMMAND, buildkitSecurityContext } from './job-spec';

/**
 * The CEL rules of the builds namespace's ValidatingAdmissionPolicy. The namespace is Pod Security
 * `privileged` (rootless BuildKit needs seccomp and AppArmor Unconfined), so without them anyone
 * who may create a Job there could run a privileged pod, mount the node's filesystem or join its
 * network. The policy admits only pods of the build template's shape: the pinned build images,
 * uid 1000, the runner ServiceAccount without token, scratch/Secret/PVC volumes, and the BuildKit
 * container as the one exception, exactly as far as job-spec.ts makes it one.
 *
 * Kept to what Kubernetes' CEL and the offline evaluators in the tests share (`has`, `all`, `in`,
 * `size`, `startsWith`, list `+`); every field the rules read is checked against the Pod schema.
 */

/** admissionregistration.k8s.io/v1 (Kubernetes 1.30+), the parts rendered here. */
export interface ValidatingAdmissionPolicyV1Spec {
  readonly failurePolicy: 'Fail' | 'Ignore';
  readonly matchConstraints: {
    readonly namespaceSelector?: { readonly matchLabels: Record<string, string> };
    readonly resourceRules: ReadonlyArray<{
      readonly apiGroups: readonly string[];
      readonly apiVersions: readonly string[];
      readonly operations: ReadonlyArray<'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT' | '*'>;
      readonly resources: readonly string[];
    }>;
  };
  readonly variables: ReadonlyArray<{ readonly name: string; readonly expression: string }>;
  readonly validations: ReadonlyArray<{ readonly expression: string; readonly message: string }>;
}

/** admissionregistration.k8s.io/v1 ValidatingAdmissionPolicyBinding spec, the parts rendered here. */
export interface ValidatingAdmissionPolicyBindingV1Spec {
  readonly policyName: string;
  readonly validationActions: ReadonlyArray<'Deny' | 'Warn' | 'Audit'>;
  readonly matchResources: { readonly namespaceSelector: { readonly matchLabels: Record<string, string> } };
}

/** What a build pod may be. */
export interface BuildPodRules {
  readonly namespace: string;
  readonly serviceAccountName: string;
  /** Every image a build container may run (git, BuildKit, upload). */
  readonly images: readonly string[];
  /** The BuildKit images among them: the only ones with the BuildKit exceptions. */
  readonly builderImages: readonly string[];
}

/** A CEL string literal, single-quoted (reads better in YAML than escaped double quotes). */
function celString(value: string): string {
  if (/[\0-\x1f\x7f]/.test(value)) throw new Error(`build pod policy: ${JSON.stringify(value)} contains a control character`);
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

const celList = (values: readonly string[]) => `[${values.map(celString).join(', ')}]`;

/** The namespace label Kubernetes sets on every namespace. */
const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';
const APPARMOR_ANNOTATION = 'container.apparmor.security.beta.kubernetes.io/';

/** The policy's spec for one builds namespace. */
export function buildPodPolicySpec(r: BuildPodRules): ValidatingAdmissionPolicyV1Spec {
  const uid = BUILD_UID;
  const added = buildkitSecurityContext().capabilities?.add ?? [];
  const builder = 'c.image in variables.builders';
  const sc = 'c.securityContext';
  const v = (expression: string, message: string) => ({ expression, message });
  return {
    failurePolicy: 'Fail',
    matchConstraints: {
      namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: r.namespace } },
      resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods', 'pods/ephemeralcontainers'] }],
    },
    variables: [
      { name: 'containers', expression: 'object.spec.containers + (has(object.spec.initContainers) ? object.spec.initContainers : [])' },
      { name: 'images', expression: celList(r.images) },
      { name: 'builders', expression: celList(r.builderImages) },
    ],
    validations: [
      v('!has(object.spec.hostNetwork) || object.spec.hostNetwork == false', 'hostNetwork is not allowed'),
      v('!has(object.spec.hostPID) || object.spec.hostPID == false', 'hostPID is not allowed'),
      v('!has(object.spec.hostIPC) || object.spec.hostIPC == false', 'hostIPC is not allowed'),
      v('!has(object.spec.ephemeralContainers) || size(object.spec.ephemeralContainers) == 0', 'ephemeral (debug) containers are not allowed'),
      v('!has(object.spec.runtimeClassName)', 'runtimeClassName is not allowed'),
      v(`has(object.spec.serviceAccountName) && object.spec.serviceAccountName == ${celString(r.serviceAccountName)}`, `build pods run as ServiceAccount ${r.serviceAccountName}`),
      v('has(object.spec.automountServiceAccountToken) && object.spec.automountServiceAccountToken == false', 'automountServiceAccountToken must be false'),
      v('!has(object.spec.volumes) || object.spec.volumes.all(vol, has(vol.emptyDir) || has(vol.secret) || has(vol.persistentVolumeClaim))', 'only emptyDir, secret and persistentVolumeClaim volumes are allowed'),
      v(`has(object.spec.securityContext) && has(object.spec.securityContext.runAsNonRoot) && object.spec.securityContext.runAsNonRoot == true && has(object.spec.securityContext.runAsUser) && object.spec.securityContext.runAsUser == ${uid}`, `the pod runs as uid ${uid}, runAsNonRoot`),
      v("!has(object.spec.securityContext) || ((!has(object.spec.securityContext.sysctls) || size(object.spec.securityContext.sysctls) == 0) && (!has(object.spec.securityContext.seccompProfile) || object.spec.securityContext.seccompProfile.type == 'RuntimeDefault') && (!has(object.spec.securityContext.appArmorProfile) || object.spec.securityContext.appArmorProfile.type == 'RuntimeDefault'))", 'pod-level sysctls, and seccomp or AppArmor other than RuntimeDefault, are not allowed'),
      v('variables.containers.all(c, c.image in variables.images)', 'images must be the pinned build images'),
      v(`variables.containers.all(c, (c.name == ${celString(BuildContainers.BUILDKIT)}) == (${builder}))`, `only the container named ${BuildContainers.BUILDKIT} runs the BuildKit image`),
      v(`variables.containers.all(c, !(${builder}) || (has(c.command) && c.command == ${celList(BUILDKIT_COMMAND)}))`, `the BuildKit container runs ${BUILDKIT_COMMAND.join(' ')}`),
      v(`variables.containers.all(c, has(${sc}) && (!has(${sc}.privileged) || ${sc}.privileged == false))`, 'privileged containers are not allowed'),
      v(`variables.containers.all(c, has(${sc}) && has(${sc}.capabilities) && has(${sc}.capabilities.drop) && 'ALL' in ${sc}.capabilities.drop)`, 'every container drops ALL capabilities'),
      v(`variables.containers.all(c, !has(${sc}) || !has(${sc}.capabilities) || !has(${sc}.capabilities.add) || size(${sc}.capabilities.add) == 0 || ((${builder}) && ${sc}.capabilities.add.all(cap, cap in ${celList(added)})))`, `only the BuildKit container may add capabilities, and only ${added.join(' and ')}`),
      v(`variables.containers.all(c, !has(${sc}) || ((!has(${sc}.runAsUser) || ${sc}.runAsUser == ${uid}) && (!has(${sc}.runAsGroup) || ${sc}.runAsGroup == ${uid}) && (!has(${sc}.runAsNonRoot) || ${sc}.runAsNonRoot == true)))`, `containers run as uid and gid ${uid}`),
      v(`variables.containers.all(c, (${builder}) || (has(${sc}) && has(${sc}.allowPrivilegeEscalation) && ${sc}.allowPrivilegeEscalation == false))`, 'only the BuildKit container may escalate privileges (newuidmap)'),
      v(`variables.containers.all(c, !has(${sc}) || !has(${sc}.seccompProfile) || ${sc}.seccompProfile.type == 'RuntimeDefault' || ((${builder}) && ${sc}.seccompProfile.type == 'Unconfined'))`, 'seccomp Unconfined only for the BuildKit container'),
      v(`variables.containers.all(c, !has(${sc}) || !has(${sc}.appArmorProfile) || ${sc}.appArmorProfile.type == 'RuntimeDefault' || ((${builder}) && ${sc}.appArmorProfile.type == 'Unconfined'))`, 'AppArmor Unconfined only for the BuildKit container'),
      v(`!has(object.metadata.annotations) || object.metadata.annotations.all(k, !k.startsWith(${celString(APPARMOR_ANNOTATION)}) || k == ${celString(APPARMOR_ANNOTATION + BuildContainers.BUILDKIT)} || object.metadata.annotations[k] == 'runtime/default')`, `AppArmor unconfined (annotation) only for the ${BuildContainers.BUILDKIT} container`),
      v(`variables.containers.all(c, !has(${sc}) || !has(${sc}.procMount) || ${sc}.procMount == 'Default')`, 'procMount must be Default'),
      v('variables.containers.all(c, !has(c.ports) || c.ports.all(p, !has(p.hostPort) || p.hostPort == 0))', 'hostPort is not allowed'),
    ],
  };
}

/** The binding: every pod of the namespace, refused (Deny) when a validation fails. */
export function buildPodPolicyBindingSpec(policyName: string, namespace: string): ValidatingAdmissionPolicyBindingV1Spec {
  return {
    policyName,
    validationActions: ['Deny'],
    matchResources: { namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: namespace } } },
  };
}
