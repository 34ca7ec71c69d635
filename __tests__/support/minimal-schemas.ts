import Ajv from 'ajv';
import { closeSchema, validateAll } from './schemas';

/**
 * Minimal schemas for the three custom kinds the private-cloud profile renders without an upstream
 * CRD file in shared/crds (so not in __tests__/schemas/crds/, which holds only unmodified upstream
 * schemas). Written by hand from the projects' API types, only for the fields the constructs set,
 * and closed like the CRD schemas, so a typo or an unknown field fails. They do not prove the
 * upstream CRD accepts every value (enums and formats beyond those below are not checked).
 *
 * - source.toolkit.fluxcd.io/v1 HelmRepository: fluxcd/source-controller api/v1/helmrepository_types.go
 *   (url required, type default|oci, interval a Go duration, secretRef.name). Apache-2.0.
 * - helm.cattle.io/v1 HelmChartConfig: k3s-io/helm-controller pkg/apis/helm.cattle.io/v1/types.go
 *   (valuesContent string, failurePolicy abort|reinstall). Apache-2.0.
 * - cilium.io/v2 CiliumNetworkPolicy: cilium/cilium pkg/policy/api (rule.go endpointSelector,
 *   egress.go toEntities, l4.go toPorts[].ports[].port as a string and protocol TCP|UDP|SCTP|ANY,
 *   entity.go's entity names). Apache-2.0.
 * - longhorn.io/v1beta2 RecurringJob: longhorn/longhorn-manager k8s/pkg/apis/longhorn/v1beta2/recurringjob.go
 *   (task enum, cron, retain, concurrency, groups, labels, name). Apache-2.0.
 */
const DURATION = '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$';
const labels = { type: 'object', additionalProperties: { type: 'string' } };
const metadata = {
  type: 'object',
  required: ['name', 'namespace'],
  properties: { name: { type: 'string' }, namespace: { type: 'string' }, labels, annotations: labels },
};

export const MINIMAL_SCHEMAS: Record<string, object> = {
  'cilium.io/v2/CiliumNetworkPolicy': {
    type: 'object',
    required: ['apiVersion', 'kind', 'metadata', 'spec'],
    properties: {
      apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata,
      spec: {
        type: 'object',
        required: ['endpointSelector'],
        properties: {
          endpointSelector: { type: 'object', properties: { matchLabels: labels } },
          egress: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                toEntities: { type: 'array', items: { enum: ['all', 'world', 'cluster', 'host', 'remote-node', 'kube-apiserver', 'init', 'health', 'unmanaged', 'ingress'] } },
                toPorts: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      ports: { type: 'array', items: { type: 'object', required: ['port'], properties: { port: { type: 'string', pattern: '^[0-9]{1,5}$' }, protocol: { enum: ['TCP', 'UDP', 'SCTP', 'ANY'] } } } },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
  'source.toolkit.fluxcd.io/v1/HelmRepository': {
    type: 'object',
    required: ['apiVersion', 'kind', 'metadata', 'spec'],
    properties: {
      apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata,
      spec: {
        type: 'object',
        required: ['url', 'interval'],
        properties: {
          url: { type: 'string', pattern: '^(https?|oci)://' },
          type: { enum: ['default', 'oci'] },
          interval: { type: 'string', pattern: DURATION },
          secretRef: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
        },
      },
    },
  },
  'helm.cattle.io/v1/HelmChartConfig': {
    type: 'object',
    required: ['apiVersion', 'kind', 'metadata', 'spec'],
    properties: {
      apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata,
      spec: { type: 'object', required: ['valuesContent'], properties: { valuesContent: { type: 'string' }, failurePolicy: { enum: ['abort', 'reinstall'] } } },
    },
  },
  'longhorn.io/v1beta2/RecurringJob': {
    type: 'object',
    required: ['apiVersion', 'kind', 'metadata', 'spec'],
    properties: {
      apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata,
      spec: {
        type: 'object',
        required: ['task', 'cron', 'retain', 'concurrency'],
        properties: {
          name: { type: 'string' },
          task: { enum: ['snapshot', 'snapshot-force-create', 'snapshot-cleanup', 'snapshot-delete', 'backup', 'backup-force-create', 'filesystem-trim', 'system-backup'] },
          cron: { type: 'string', pattern: '^(\\S+ ){4}\\S+$' },
          retain: { type: 'integer', minimum: 0, maximum: 100 },
          concurrency: { type: 'integer', minimum: 1 },
          groups: { type: 'array', items: { type: 'string' } },
          labels,
        },
      },
    },
  },
};

const ajv = new Ajv({ allErrors: true, strict: false });
const validators = new Map(Object.entries(MINIMAL_SCHEMAS).map(([k, s]) => [k, ajv.compile(closeSchema(s as any))]));

/** validateAll, with the minimal schemas above for the kinds that have no upstream CRD here. */
export function validateWithMinimal(objects: readonly any[]): string[] {
  const problems: string[] = [];
  const rest: any[] = [];
  for (const o of objects) {
    const v = validators.get(`${o.apiVersion}/${o.kind}`);
    if (!v) {
      rest.push(o);
      continue;
    }
    if (!v(o)) problems.push(...(v.errors ?? []).map((e) => `${o.kind} ${o.metadata?.namespace}/${o.metadata?.name}: ${e.instancePath || '(root)'} ${e.message}${e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : ''}`));
  }
  return [...problems, ...validateAll(rest)];
}
