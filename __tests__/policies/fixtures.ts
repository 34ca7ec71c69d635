import { KubeObject, Policy } from '../../lib/checks/policies';

/** Plain objects for policy tests: each builder returns a fresh, compliant object to mutate. */

export const LABELS = { 'app.kubernetes.io/name': 'demo', 'app.kubernetes.io/component': 'web' };

export function container(name = 'web'): any {
  return {
    name,
    image: 'ghcr.io/example/web:1.2.3',
    ports: [{ name: 'http', containerPort: 8080 }],
    readinessProbe: { httpGet: { path: '/', port: 'http' } },
    livenessProbe: { tcpSocket: { port: 8080 } },
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } },
    securityContext: {
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    },
  };
}

export function podSpec(): any {
  return {
    securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [container()],
  };
}

export function deployment(name = 'web', namespace = 'demo'): any {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: { ...LABELS } },
    spec: { replicas: 1, selector: { matchLabels: { ...LABELS } }, template: { metadata: { labels: { ...LABELS } }, spec: podSpec() } },
  };
}

export function statefulSet(name = 'db', namespace = 'demo'): any {
  const labels = { 'app.kubernetes.io/name': name };
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace },
    spec: { serviceName: `${name}-headless`, replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec() } },
  };
}

export function service(name = 'web', namespace = 'demo', selector: Record<string, string> = { ...LABELS }): any {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: { selector, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
  };
}

export function job(name = 'migrate', namespace = 'demo'): any {
  const spec = podSpec();
  spec.restartPolicy = 'Never';
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace },
    spec: { backoffLimit: 2, activeDeadlineSeconds: 600, ttlSecondsAfterFinished: 3600, template: { spec } },
  };
}

export function cronJob(name = 'nightly', namespace = 'demo'): any {
  const spec = podSpec();
  spec.restartPolicy = 'Never';
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace },
    spec: {
      schedule: '0 3 * * *',
      concurrencyPolicy: 'Forbid',
      jobTemplate: { spec: { backoffLimit: 1, activeDeadlineSeconds: 900, template: { spec } } },
    },
  };
}

export function ingress(name = 'demo-example-com', namespace = 'demo', host = 'demo.example.com'): any {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace },
    spec: {
      rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }],
      tls: [{ hosts: [host], secretName: `${name}-tls` }],
    },
  };
}

export function namespace(name = 'demo'): any {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } };
}

export function configMap(data: Record<string, string>, name = 'config', ns = 'demo'): any {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data };
}

/** `Kind/name: message` of each finding, for readable assertions. */
export function messages(policy: Policy, objects: KubeObject[]): string[] {
  return policy.check(objects).map((f) => `${f.kind}/${f.name}: ${f.message}`);
}

/** The first container of an object's pod template. */
export function firstContainer(o: any): any {
  const spec = o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template.spec : o.kind === 'Pod' ? o.spec : o.spec.template.spec;
  return spec.containers[0];
}
