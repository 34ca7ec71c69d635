// The policy suite: every rule, the exceptions mechanism and the findings format.
import { dropAllCapabilities } from './drop-all-capabilities';
import { ingressBackends } from './ingress-backends';
import { ingressTls } from './ingress-tls';
import { jobLimits } from './job-limits';
import { namespacePodSecurity } from './namespace-pod-security';
import { noHostAccess } from './no-host-access';
import { noPrivilegeEscalation } from './no-privilege-escalation';
import { noPrivileged } from './no-privileged';
import { noSecretLiterals } from './no-secret-literals';
import { noSecretObjects } from './no-secret-objects';
import { pdbAllowsDrain } from './pdb-allows-drain';
import { pinnedImages } from './pinned-images';
import { portNames } from './port-names';
import { probes } from './probes';
import { readOnlyRootFilesystem } from './read-only-root-filesystem';
import { resources } from './resources';
import { runAsNonRoot } from './run-as-non-root';
import { seccompProfile } from './seccomp-profile';
import { serviceSelectsPods } from './service-selects-pods';
import { statefulSetHeadlessService } from './statefulset-headless-service';
import { Finding, KubeObject, objectRef, Policy, PolicyException } from './types';
import { validNames } from './valid-names';

export * from './types';
export { BUILDKIT_EXCEPTIONS, CHART_PODS } from './exceptions';

/** Every rule, in the order findings are reported. */
export const ALL_POLICIES: readonly Policy[] = [
  // Restricted Pod Security, per container.
  noPrivileged,
  noPrivilegeEscalation,
  runAsNonRoot,
  dropAllCapabilities,
  seccompProfile,
  readOnlyRootFilesystem,
  noHostAccess,
  // Scheduling and lifecycle.
  resources,
  pinnedImages,
  probes,
  jobLimits,
  pdbAllowsDrain,
  // Wiring between objects.
  serviceSelectsPods,
  ingressBackends,
  ingressTls,
  statefulSetHeadlessService,
  // Secrets.
  noSecretObjects,
  noSecretLiterals,
  // Names and namespaces.
  validNames,
  portNames,
  namespacePodSecurity,
];

/** Id of the findings about exceptions themselves (stale, or without a reason). */
export const EXCEPTIONS_POLICY = 'policy-exceptions';

function matches(e: PolicyException, f: Finding): boolean {
  return e.policy === f.policy && e.kind === f.kind && e.name === f.name && (e.namespace ?? undefined) === (f.namespace ?? undefined);
}

function exceptionFinding(e: PolicyException, message: string): Finding {
  return { policy: EXCEPTIONS_POLICY, namespace: e.namespace, kind: e.kind, name: e.name, message };
}

/**
 * Runs the policies over the objects and removes the findings that an exception covers. Adds a
 * finding for every exception that covers nothing (stale), names an unknown policy or has no reason.
 */
export function runPolicies(
  objects: readonly KubeObject[],
  exceptions: readonly PolicyException[],
  policies: readonly Policy[] = ALL_POLICIES,
): Finding[] {
  const findings = policies.flatMap((p) => p.check(objects));
  const used = new Set<PolicyException>();
  const kept = findings.filter((f) => {
    const e = exceptions.find((x) => matches(x, f));
    if (e) used.add(e);
    return !e;
  });
  const ids = new Set(policies.map((p) => p.id));
  for (const e of exceptions) {
    if (!ids.has(e.policy)) kept.push(exceptionFinding(e, `exception names unknown policy "${e.policy}" (known: ${[...ids].join(', ')})`));
    else if (!used.has(e)) kept.push(exceptionFinding(e, `stale exception for ${e.policy}: ${objectRef(e)} has no such finding any more; remove it from the exceptions you pass (policy-exceptions.ts for the reference installation)`));
    if (!e.reason?.trim()) kept.push(exceptionFinding(e, `exception for ${e.policy} has no reason; say why the object cannot follow the rule`));
  }
  return kept;
}

/** Findings as an aligned table (policy, object, message), for test failures and the CLI. */
export function formatFindings(findings: readonly Finding[]): string {
  if (!findings.length) return 'no findings';
  const rows = findings.map((f) => [f.policy, objectRef(f), f.message]);
  const w0 = Math.max(6, ...rows.map((r) => r[0].length));
  const w1 = Math.max(6, ...rows.map((r) => r[1].length));
  const line = (r: string[]): string => `${r[0].padEnd(w0)}  ${r[1].padEnd(w1)}  ${r[2]}`;
  return [line(['POLICY', 'OBJECT', 'MESSAGE']), ...rows.map(line)].join('\n');
}
