import * as fs from 'fs';
import * as path from 'path';
import { parse as parseCel, run as runCel } from '@bufbuild/cel';
import { ArgoCd } from '../../lib';
import { BuildJob, fillTemplate } from '../../lib/builds/build-job';
import { BuildsNamespace } from '../../lib/builds/builds-namespace';
import { findObject, synthesize, testPlatform } from '../support/platform';
import { SCHEMAS_DIR, validateObject } from '../support/schemas';
import { imageRef, PINS } from '../../lib/core/pins';

/**
 * The builds namespace's ValidatingAdmissionPolicy, evaluated offline by a CEL engine
 * (@bufbuild/cel) on the pods the build template makes and on variants that each break one rule.
 * The engine does not type-check against the Pod schema as the API server does (a misspelt field
 * would silently be "not set"), so every field path the expressions read is checked against the
 * Pod's field structure (schemas/kubernetes/structure.json) here.
 */

const ARTIFACTS = { endpoint: 'https://s3.example.com', bucket: 'build-artifacts', credentialsSecret: 'artifact-store', path: '/dist' };

function rendered() {
  const platform = testPlatform();
  new ArgoCd(platform, 'argocd');
  const builds = new BuildsNamespace(platform, 'builds');
  BuildJob.template(builds, 'default', { pushSecret: 'registry-push' });
  BuildJob.template(builds, 'with-upload', { pushSecret: 'registry-push', artifacts: ARTIFACTS });
  const out = synthesize(platform);
  const objects = out.builds;
  const pod = (template: string) => {
    const json = findObject(objects, 'ConfigMap', `build-template-${template}`).data['job.json'];
    const job = JSON.parse(fillTemplate(json, { BUILD_ID: 'b1', GIT_URL: 'https://github.com/example/app.git', GIT_REF: 'main', IMAGE: 'ghcr.io/example/web:1.0.0' }));
    // What the Job controller creates: the template's metadata and spec as a Pod.
    return { apiVersion: 'v1', kind: 'Pod', metadata: { ...job.spec.template.metadata, name: 'build-b1-x', namespace: 'builds' }, spec: job.spec.template.spec };
  };
  return {
    builds,
    policy: findObject(objects, 'ValidatingAdmissionPolicy', 'builds-build-pods'),
    binding: findObject(objects, 'ValidatingAdmissionPolicyBinding', 'builds-build-pods'),
    pods: { plain: pod('default'), withUpload: pod('with-upload') },
    appProject: findObject(out.argocd, 'AppProject', 'platform'),
  };
}

// ---- Evaluation as the API server does it: objects as maps, integers as int. ----

type Json = any;
const toCel = (x: Json): any => (Array.isArray(x) ? x.map(toCel)
  : x && typeof x === 'object' ? new Map(Object.entries(x).map(([k, v]) => [k, toCel(v)]))
    : Number.isInteger(x) ? BigInt(x) : x);

/** `variables.X` replaced by its (parenthesized) expression: the API server evaluates variables lazily, so this is the same. */
function inlineVariables(expression: string, variables: ReadonlyArray<{ name: string; expression: string }>): string {
  const byName = new Map(variables.map((v) => [v.name, v.expression]));
  return expression.replace(/\bvariables\.([A-Za-z_][A-Za-z0-9_]*)\b/g, (_whole, name: string) => {
    const e = byName.get(name);
    if (e === undefined) throw new Error(`${expression}: no variable ${name}`);
    return `(${inlineVariables(e, variables)})`;
  });
}

/** Messages of the failed validations (an evaluation error counts: failurePolicy Fail denies). */
function denials(policy: Json, pod: Json): string[] {
  const object = toCel(pod);
  const out: string[] = [];
  for (const v of policy.spec.validations) {
    const result = runCel(inlineVariables(v.expression, policy.spec.variables), { object });
    if (result instanceof Error) out.push(`${v.message} (error: ${result.message})`);
    else if (result !== true) out.push(v.message);
  }
  return out;
}

// ---- Field paths against the Pod schema. ----

const structure = JSON.parse(fs.readFileSync(path.join(SCHEMAS_DIR, 'kubernetes', 'structure.json'), 'utf8'));
type Schema = { properties?: Record<string, Schema>; items?: Schema; $ref?: string; type?: string } | undefined;
const deref = (s: Schema): Schema => (s?.$ref ? structure.definitions[s.$ref.replace('#/definitions/', '').replace(/~1/g, '/').replace(/~0/g, '~')] : s);
const elementOf = (s: Schema): Schema => deref(deref(s)?.items);

/** Every selected field that the schema does not have, as `path: no field x in ...`. */
function unknownFields(expression: string, scope: Record<string, Schema>): string[] {
  const problems: string[] = [];
  const walk = (e: Json, vars: Record<string, Schema>, where: string): Schema => {
    const kind = e.exprKind;
    switch (kind.case) {
      case 'identExpr':
        return vars[kind.value.name];
      case 'selectExpr': {
        const operand = deref(walk(kind.value.operand, vars, where));
        const field = kind.value.field;
        if (!operand?.properties) return undefined; // a map, a scalar or unknown: nothing to check
        if (!(field in operand.properties)) {
          problems.push(`${where}: no field "${field}" (known: ${Object.keys(operand.properties).sort().join(', ')})`);
          return undefined;
        }
        return deref(operand.properties[field]);
      }
      case 'callExpr': {
        const args = [...(kind.value.target ? [kind.value.target] : []), ...kind.value.args].map((a: Json) => walk(a, vars, where));
        // Typed results the rules rely on: list + list, cond ? a : b, list[i].
        if (kind.value.function === '_+_' || kind.value.function === '_?_:_') return args[kind.value.function === '_+_' ? 0 : 1];
        if (kind.value.function === '_[_]') return deref(args[0])?.type === 'array' ? elementOf(args[0]) : undefined;
        return undefined;
      }
      case 'comprehensionExpr': {
        const range = walk(kind.value.iterRange, vars, where);
        const inner = { ...vars, [kind.value.iterVar]: deref(range)?.type === 'array' ? elementOf(range) : undefined };
        walk(kind.value.accuInit, vars, where);
        walk(kind.value.loopCondition, inner, where);
        walk(kind.value.loopStep, inner, where);
        walk(kind.value.result, inner, where);
        return undefined;
      }
      case 'listExpr':
        for (const el of kind.value.elements) walk(el, vars, where);
        return undefined;
      default:
        return undefined;
    }
  };
  walk(parseCel(expression).expr, scope, expression.length > 60 ? `${expression.slice(0, 57)}...` : expression);
  return problems;
}

const POD_SCOPE = { object: structure.definitions['v1/Pod'] as Schema };

describe('the builds ValidatingAdmissionPolicy', () => {
  const r = rendered();
  const container = (pod: Json, name: string) => [...pod.spec.initContainers, ...pod.spec.containers].find((c: Json) => c.name === name);
  const variant = (edit: (pod: Json) => void, base: Json = r.pods.plain) => {
    const pod = structuredClone(base);
    edit(pod);
    return pod;
  };

  it('is admissionregistration.k8s.io/v1, bound to the builds namespace only, and valid against its schema', () => {
    expect(validateObject(r.policy)).toEqual([]);
    expect(validateObject(r.binding)).toEqual([]);
    expect(r.policy.metadata.namespace).toBeUndefined();
    expect(r.binding.spec).toEqual({ policyName: 'builds-build-pods', validationActions: ['Deny'], matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'builds' } } } });
    expect(r.policy.spec.failurePolicy).toBe('Fail');
    expect(r.policy.spec.matchConstraints.resourceRules).toEqual([{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods', 'pods/ephemeralcontainers'] }]);
    // Argo CD's apps project must let the builds folder create the two cluster-scoped kinds.
    expect(r.appProject.spec.clusterResourceWhitelist).toEqual(expect.arrayContaining([
      { group: 'admissionregistration.k8s.io', kind: 'ValidatingAdmissionPolicy' },
      { group: 'admissionregistration.k8s.io', kind: 'ValidatingAdmissionPolicyBinding' },
    ]));
  });

  it('reads only fields the Pod has', () => {
    const all = [...r.policy.spec.variables.map((v: Json) => v.expression), ...r.policy.spec.validations.map((v: Json) => inlineVariables(v.expression, r.policy.spec.variables))];
    expect(all.flatMap((e: string) => unknownFields(e, POD_SCOPE))).toEqual([]);
    // The check itself notices a misspelt field, in a comprehension too.
    expect(unknownFields('!has(object.spec.hostNetwrk)', POD_SCOPE)).toEqual([expect.stringContaining('no field "hostNetwrk"')]);
    expect(unknownFields('object.spec.containers.all(c, c.securityContext.capabilites.drop == [])', POD_SCOPE)).toEqual([expect.stringContaining('no field "capabilites"')]);
    expect(unknownFields(inlineVariables('variables.containers.all(c, has(c.imag))', r.policy.spec.variables), POD_SCOPE)).toEqual([expect.stringContaining('no field "imag"')]);
  });

  it('admits the pods the build templates make', () => {
    expect(r.pods.withUpload.spec.containers.map((c: Json) => c.name)).toEqual(['upload']);
    expect(denials(r.policy, r.pods.plain)).toEqual([]);
    expect(denials(r.policy, r.pods.withUpload)).toEqual([]);
  });

  const broken: Array<[string, (pod: Json) => void, string]> = [
    ['a hostPath volume', (p) => p.spec.volumes.push({ name: 'host', hostPath: { path: '/' } }), 'only emptyDir, secret and persistentVolumeClaim volumes are allowed'],
    ['a projected ServiceAccount token', (p) => p.spec.volumes.push({ name: 'token', projected: { sources: [{ serviceAccountToken: { path: 't' } }] } }), 'only emptyDir, secret and persistentVolumeClaim volumes are allowed'],
    ['hostNetwork', (p) => { p.spec.hostNetwork = true; }, 'hostNetwork is not allowed'],
    ['hostPID', (p) => { p.spec.hostPID = true; }, 'hostPID is not allowed'],
    ['hostIPC', (p) => { p.spec.hostIPC = true; }, 'hostIPC is not allowed'],
    ['a runtime class', (p) => { p.spec.runtimeClassName = 'runc-privileged'; }, 'runtimeClassName is not allowed'],
    ['a privileged git container', (p) => { container(p, 'git-fetch').securityContext.privileged = true; }, 'privileged containers are not allowed'],
    ['a privileged BuildKit container', (p) => { container(p, 'buildkit').securityContext.privileged = true; }, 'privileged containers are not allowed'],
    ['a foreign image', (p) => { container(p, 'git-init').image = 'busybox:1.36'; }, 'images must be the pinned build images'],
    ['the BuildKit image under another name', (p) => { container(p, 'git-init').image = container(p, 'buildkit').image; }, 'only the container named buildkit runs the BuildKit image'],
    ['the git image named buildkit', (p) => { container(p, 'buildkit').image = container(p, 'git-init').image; }, 'only the container named buildkit runs the BuildKit image'],
    ['BuildKit running a shell', (p) => { container(p, 'buildkit').command = ['sh', '-c', 'id']; }, 'the BuildKit container runs buildctl-daemonless.sh'],
    ['seccomp Unconfined on git', (p) => { container(p, 'git-fetch').securityContext.seccompProfile = { type: 'Unconfined' }; }, 'seccomp Unconfined only for the BuildKit container'],
    ['BuildKit adding NET_ADMIN', (p) => { container(p, 'buildkit').securityContext.capabilities.add.push('NET_ADMIN'); }, 'only the BuildKit container may add capabilities, and only SETUID and SETGID'],
    ['git adding SETUID', (p) => { container(p, 'git-init').securityContext.capabilities.add = ['SETUID']; }, 'only the BuildKit container may add capabilities, and only SETUID and SETGID'],
    ['no capabilities dropped', (p) => { delete container(p, 'git-init').securityContext.capabilities; }, 'every container drops ALL capabilities'],
    ['no container securityContext', (p) => { delete container(p, 'git-checkout').securityContext; }, 'privileged containers are not allowed'],
    ['the default ServiceAccount', (p) => { p.spec.serviceAccountName = 'default'; }, 'build pods run as ServiceAccount build-runner'],
    ['a mounted token', (p) => { p.spec.automountServiceAccountToken = true; }, 'automountServiceAccountToken must be false'],
    ['an ephemeral container', (p) => { p.spec.ephemeralContainers = [{ name: 'debug', image: 'busybox:1.36' }]; }, 'ephemeral (debug) containers are not allowed'],
    ['AppArmor unconfined by annotation on git', (p) => { p.metadata.annotations['container.apparmor.security.beta.kubernetes.io/git-fetch'] = 'unconfined'; }, 'AppArmor unconfined (annotation) only for the buildkit container'],
    ['AppArmor Unconfined by field on git', (p) => { container(p, 'git-init').securityContext.appArmorProfile = { type: 'Unconfined' }; }, 'AppArmor Unconfined only for the BuildKit container'],
    ['an unmasked /proc', (p) => { container(p, 'buildkit').securityContext.procMount = 'Unmasked'; }, 'procMount must be Default'],
    ['a container as root', (p) => { container(p, 'git-init').securityContext.runAsUser = 0; }, 'containers run as uid and gid 1000'],
    ['a pod as root', (p) => { p.spec.securityContext.runAsUser = 0; }, 'the pod runs as uid 1000, runAsNonRoot'],
    ['privilege escalation on git', (p) => { container(p, 'git-init').securityContext.allowPrivilegeEscalation = true; }, 'only the BuildKit container may escalate privileges (newuidmap)'],
    ['a hostPort', (p) => { container(p, 'buildkit').ports = [{ containerPort: 80, hostPort: 80 }]; }, 'hostPort is not allowed'],
    ['pod sysctls', (p) => { p.spec.securityContext.sysctls = [{ name: 'kernel.shm_rmid_forced', value: '0' }]; }, 'pod-level sysctls, and seccomp or AppArmor other than RuntimeDefault, are not allowed'],
    ['a pod-level Unconfined seccomp', (p) => { p.spec.securityContext.seccompProfile = { type: 'Unconfined' }; }, 'pod-level sysctls, and seccomp or AppArmor other than RuntimeDefault, are not allowed'],
  ];

  it.each(broken)('refuses a pod with %s', (_what, edit, message) => {
    expect(denials(r.policy, variant(edit))).toContain(message);
  });

  it('refuses a foreign image in the upload container too', () => {
    const pod = variant((p) => { container(p, 'upload').image = 'amazon/aws-cli:latest'; }, r.pods.withUpload);
    expect(denials(r.policy, pod)).toEqual(['images must be the pinned build images']);
  });

  it("admits the images of declared builds and templates, and only those", () => {
    const platform = testPlatform();
    const builds = new BuildsNamespace(platform, 'builds');
    new BuildJob(builds, 'custom', {
      source: { gitUrl: 'https://github.com/example/app.git', ref: 'main' },
      destination: { image: 'ghcr.io/example/web:1.0.0', pushSecret: 'registry-push' },
      images: { git: 'alpine/git:v2.47.2', buildkit: 'moby/buildkit:v0.22.0-rootless' },
    });
    const policy = findObject(synthesize(platform).builds, 'ValidatingAdmissionPolicy', 'builds-build-pods');
    const variables = Object.fromEntries(policy.spec.variables.map((v: Json) => [v.name, v.expression]));
    // The declared images, plus the default upload image the build did not override.
    expect(variables.images).toBe(`['alpine/git:v2.47.2', '${imageRef(PINS.images.awsCli)}', 'moby/buildkit:v0.22.0-rootless']`);
    expect(variables.builders).toBe("['moby/buildkit:v0.22.0-rootless']");

    const empty = testPlatform();
    new BuildsNamespace(empty, 'builds');
    const none = findObject(synthesize(empty).builds, 'ValidatingAdmissionPolicy', 'builds-build-pods');
    expect(denials(none, r.pods.plain)).toContain('images must be the pinned build images');
  });
});
