import * as fs from 'fs';
import * as path from 'path';
import { crdKinds, knownKinds, readManifests, validateAll, validateObject } from './support/schemas';
import { validateWithMinimal } from './support/minimal-schemas';

const DIST = path.join(__dirname, '..', 'dist');

/** Fails with the file (or case) name and every problem, one per line. */
function expectValid(where: string, problems: string[]): void {
  if (problems.length) throw new Error(`${where} is invalid:\n  ${problems.join('\n  ')}`);
}

function deployment(container: Record<string, unknown> = {}, spec: Record<string, unknown> = {}): any {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'demo', labels: { 'app.kubernetes.io/name': 'web', 'any.example.com/key': 'x' } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'web' } },
      template: {
        metadata: { labels: { 'app.kubernetes.io/name': 'web' }, annotations: { 'free.example.com/form': 'yes' } },
        spec: {
          containers: [{
            name: 'web',
            image: 'nginx:1.27.0',
            imagePullPolicy: 'IfNotPresent',
            ports: [{ name: 'http', containerPort: 8080 }],
            resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: 128 } },
            readinessProbe: { httpGet: { path: '/', port: 'http' } },
            ...container,
          }],
        },
      },
      ...spec,
    },
  };
}

function certificate(spec: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}): any {
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name: 'web', namespace: 'demo', ...metadata },
    spec: { secretName: 'web-tls', dnsNames: ['web.example.com'], issuerRef: { kind: 'ClusterIssuer', name: 'letsencrypt-prod' }, ...spec },
  };
}

describe('validateObject: built-in kinds', () => {
  it('accepts a valid Deployment, with free-form labels, annotations and quantities', () => {
    expect(validateObject(deployment())).toEqual([]);
  });

  it('rejects an unknown field in a container', () => {
    expect(validateObject(deployment({ imagePullPolicyy: 'Always' }))).toEqual([
      '/spec/template/spec/containers/0: unknown field "imagePullPolicyy"',
    ]);
  });

  it('rejects unknown fields at every level, including metadata', () => {
    const d = deployment({ securityContext: { runAsNonRoot: true, readOnlyRootFileSystem: true } });
    d.metadata.lables = { a: 'b' };
    d.spec.template.spec.nodeSelectors = { disk: 'ssd' };
    expect(validateObject(d).sort()).toEqual([
      '/metadata: unknown field "lables"',
      '/spec/template/spec/containers/0/securityContext: unknown field "readOnlyRootFileSystem"',
      '/spec/template/spec: unknown field "nodeSelectors"',
    ]);
  });

  it('rejects a wrong type', () => {
    expect(validateObject(deployment({}, { replicas: 'two' }))).toContain('/spec/replicas: must be of type integer');
    expect(validateObject(deployment({ ports: { containerPort: 80 } }))).toContain('/spec/template/spec/containers/0/ports: must be of type array');
  });

  it('rejects a missing required field', () => {
    const d = deployment();
    delete d.spec.template.spec.containers[0].name;
    delete d.spec.selector;
    expect(validateObject(d).sort()).toEqual([
      '/spec/template/spec/containers/0: missing required field "name"',
      '/spec: missing required field "selector"',
    ].sort());
  });

  it('rejects a value outside an enum and an object without a name', () => {
    expect(validateObject({ apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'x' }, spec: { type: 'Loadbalancer' } }).sort()).toEqual([
      '/metadata: missing required field "name"',
      '/spec/type: must be one of "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
    ]);
  });
});

describe('validateObject: inline object types', () => {
  it('checks the fields of an inline type (StatefulSet volumeClaimTemplates) against its own schema', () => {
    const sts = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db' },
      spec: {
        serviceName: 'db',
        selector: { matchLabels: { app: 'db' } },
        template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'postgres:17.2' }] } },
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      },
    };
    expect(validateObject(sts)).toEqual([]);
    (sts.spec.volumeClaimTemplates[0].spec as any).storageClass = 'fast';
    expect(validateObject(sts)).toEqual(['/spec/volumeClaimTemplates/0/spec: unknown field "storageClass"']);
  });
});

describe('validateObject: custom resources', () => {
  it('accepts a valid Certificate', () => {
    expect(validateObject(certificate())).toEqual([]);
  });

  it('rejects unknown, mistyped and missing fields of a CRD', () => {
    const c = certificate({ dnsName: ['x'], duration: 3600 });
    delete c.spec.secretName;
    expect(validateObject(c).sort()).toEqual([
      '/spec/duration: must be of type string',
      '/spec: missing required field "secretName"',
      '/spec: unknown field "dnsName"',
    ]);
  });

  it('validates metadata of a custom resource with the Kubernetes ObjectMeta schema', () => {
    expect(validateObject(certificate({}, { lables: {}, labels: { a: 1 } })).sort()).toEqual([
      '/metadata/labels/a: must be of type string',
      '/metadata: unknown field "lables"',
    ]);
  });

  it('keeps x-kubernetes-preserve-unknown-fields open (Helm valuesObject) and closes the rest', () => {
    const app = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'demo', namespace: 'argocd' },
      spec: {
        project: 'default',
        destination: { server: 'https://kubernetes.default.svc', namespace: 'demo' },
        source: { repoURL: 'https://charts.example.com', chart: 'demo', targetRevision: '1.0.0', helm: { valuesObject: { any: { thing: [1, 'two'] } } } },
      },
    };
    expect(validateObject(app)).toEqual([]);
    (app.spec.source as any).helm.valueObject = {};
    expect(validateObject(app)).toEqual(['/spec/source/helm: unknown field "valueObject"']);
  });

  it('fails on a kind it has no schema for, so no kind goes unvalidated', () => {
    expect(validateObject({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } })).toEqual([
      '(root): no schema for example.com/v1/Widget: add the CRD file to CRD_FILES in scripts/extract-schemas.ts and run it, or fix apiVersion/kind',
    ]);
    // A known kind at an API version the cluster does not serve is unknown too.
    expect(validateObject({ ...deployment(), apiVersion: 'apps/v1beta1' })[0]).toMatch(/^\(root\): no schema for apps\/v1beta1\/Deployment/);
  });

  it('knows the kinds the platform renders', () => {
    expect(knownKinds()).toEqual(expect.arrayContaining([
      'apps/v1/Deployment', 'v1/Service', 'networking.k8s.io/v1/Ingress', 'argoproj.io/v1alpha1/Application',
      'argoproj.io/v1alpha1/AppProject', 'cert-manager.io/v1/Certificate', 'cert-manager.io/v1/ClusterIssuer',
      'traefik.io/v1alpha1/Middleware', 'monitoring.coreos.com/v1/ServiceMonitor', 'external-secrets.io/v1/ExternalSecret',
    ]));
  });

  it.each(crdKinds())('closes the spec of %s', (key) => {
    const kind = key.slice(key.lastIndexOf('/') + 1);
    const apiVersion = key.slice(0, key.lastIndexOf('/'));
    const [group, version] = apiVersion.split('/');
    const schema = JSON.parse(fs.readFileSync(path.join(__dirname, 'schemas', 'crds', `${group}_${version}_${kind}.json`), 'utf8'));
    // Kinds without a spec (VolumeSnapshotClass keeps driver and deletionPolicy at the top) are closed at the root.
    expect(validateObject({ apiVersion, kind, metadata: { name: 'x' }, spec: { unknownFieldForTest: true } }))
      .toContain(schema.properties.spec ? '/spec: unknown field "unknownFieldForTest"' : '(root): unknown field "spec"');
  });

  it('prefixes problems of many objects with kind and name', () => {
    expect(validateAll([certificate(), deployment({ imagePullPolicyy: 'Always' })])).toEqual([
      'Deployment demo/web: /spec/template/spec/containers/0: unknown field "imagePullPolicyy"',
    ]);
  });
});

describe('dist/', () => {
  const manifests = readManifests(DIST);
  const folders = [...new Set(manifests.map((m) => path.dirname(m.file)))];

  it('holds objects', () => {
    expect(manifests.length).toBeGreaterThan(0);
  });

  it.each(folders)('every object in dist/%s/ is valid', (folder) => {
    const problems = manifests
      .filter((m) => path.dirname(m.file) === folder)
      // Kinds without an upstream CRD file here (CiliumNetworkPolicy) use the minimal schemas.
      .flatMap((m) => validateWithMinimal([m.object]).map((p) => `dist/${m.file}: ${p}`));
    expectValid(`dist/${folder}/`, problems);
  });
});
