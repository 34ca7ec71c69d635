// The admission policy that narrows what a snapshot CronJob's ClusterRole allows: VolumeSnapshot
// contents are cluster-scoped and named by the controller, so RBAC cannot limit `patch` to the
// job's own; a ValidatingAdmissionPolicy lets its ServiceAccount change only the deletionPolicy
// of contents bound to snapshots in its own namespace, and only to Delete (how pruning works).

/** What one snapshot schedule's policy is made of. */
export interface ContentPolicyOptions {
  /** Namespace of the CronJob, its ServiceAccount and its VolumeSnapshots. */
  readonly namespace: string;
  readonly serviceAccountName: string;
}

const SAME = (field: string) => `(has(object.${field}) == has(oldObject.${field})) && (!has(object.${field}) || object.${field} == oldObject.${field})`;

/**
 * The policy's spec. UPDATE requests (patch arrives as one) by that ServiceAccount only; anyone
 * else's are not matched. Validations, each with its own message:
 * - the content is bound to a VolumeSnapshot of the job's namespace (the old object's reference:
 *   the new one must equal it anyway);
 * - the new deletionPolicy is Delete;
 * - nothing else of the spec, and no label, annotation or finalizer, changes.
 * failurePolicy Fail: an error in evaluation denies.
 */
export function contentPolicySpec(o: ContentPolicyOptions): object {
  const user = `system:serviceaccount:${o.namespace}:${o.serviceAccountName}`;
  const spec = ['source', 'driver', 'volumeSnapshotRef', 'volumeSnapshotClassName', 'sourceVolumeMode'];
  return {
    failurePolicy: 'Fail',
    matchConstraints: {
      resourceRules: [{ apiGroups: ['snapshot.storage.k8s.io'], apiVersions: ['*'], operations: ['UPDATE'], resources: ['volumesnapshotcontents'] }],
    },
    matchConditions: [{ name: 'by-the-snapshot-job', expression: `request.userInfo.username == '${user}'` }],
    validations: [
      {
        expression: `has(oldObject.spec.volumeSnapshotRef.namespace) && oldObject.spec.volumeSnapshotRef.namespace == '${o.namespace}'`,
        message: `${user} may change only contents of VolumeSnapshots in ${o.namespace}`,
      },
      { expression: "object.spec.deletionPolicy == 'Delete'", message: `${user} may only set deletionPolicy to Delete (to prune its own snapshots)` },
      {
        expression: [...spec.map((f) => SAME(`spec.${f}`)), ...['labels', 'annotations', 'finalizers'].map((f) => SAME(`metadata.${f}`))].join(' && '),
        message: `${user} may change nothing but deletionPolicy`,
      },
    ],
  };
}

/** The binding: every match of the policy is denied when a validation fails. */
export function contentPolicyBindingSpec(policyName: string): object {
  return { policyName, validationActions: ['Deny'] };
}
