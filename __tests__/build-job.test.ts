import { parse } from 'yaml';
import { BuildJob, BuildJobProps, BuildJobTemplate, fillTemplate } from '../lib/builds/build-job';
import { BuildsNamespace } from '../lib/builds/builds-namespace';
import { SYNC_OPTIONS } from '../lib';
import { andSynth, findObject, synthesize, testPlatform } from './support/platform';

const SOURCE = { gitUrl: 'https://github.com/example/app.git', ref: 'v1.2.0', subdirectory: 'services/web', dockerfile: 'docker/Dockerfile' };
const ARTIFACTS = { endpoint: 'https://s3.example.com', bucket: 'build-artifacts', prefix: 'novahost', credentialsSecret: 'artifact-store', path: '/dist' };
const PROPS: BuildJobProps = {
  source: SOURCE,
  destination: { image: 'ghcr.io/example/web:1.2.0', pushSecret: 'registry-push' },
  artifacts: ARTIFACTS,
  buildArgs: { NODE_VERSION: '20.11.1' },
  cache: { registry: 'ghcr.io/example/web:buildcache' },
};

function build(props: Partial<BuildJobProps> = {}, id = 'smoke-test') {
  const platform = testPlatform();
  const builds = new BuildsNamespace(platform, 'builds');
  const job = new BuildJob(builds, id, { ...PROPS, ...props });
  const objects = synthesize(platform).builds;
  return { platform, builds, job, objects, manifest: findObject(objects, 'Job', `build-${id}`) };
}

const containersOf = (pod: any): any[] => [...(pod.initContainers ?? []), ...pod.containers];

describe('BuildJob', () => {
  it('renders a clone, rootless BuildKit build and upload Job (snapshot)', () => {
    expect(build().manifest).toMatchSnapshot();
  });

  it('bounds the Job: deadlines, retries, failure policy, resources within one build share', () => {
    const { manifest, builds } = build({ timeouts: { activeDeadlineSeconds: 900, ttlSecondsAfterFinished: 600 } });
    expect(manifest.spec).toMatchObject({ backoffLimit: 1, activeDeadlineSeconds: 900, ttlSecondsAfterFinished: 600 });
    expect(manifest.spec.podFailurePolicy.rules).toEqual([
      { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
      { action: 'FailJob', onExitCodes: { containerName: 'buildkit', operator: 'In', values: [1] }, onPodConditions: [] },
    ]);
    const pod = manifest.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    const buildkit = containersOf(pod).find((c) => c.name === 'buildkit');
    expect(buildkit.resources).toEqual({
      requests: { cpu: builds.buildResources.cpuRequest, memory: builds.buildResources.memoryRequest },
      limits: { cpu: builds.buildResources.cpuLimit, memory: builds.buildResources.memoryLimit },
    });
    for (const c of containersOf(pod)) expect(Object.keys(c.resources.limits).sort()).toEqual(['cpu', 'memory']);
  });

  it('is kept by GitOps until replaced: no TTL by default, Replace=true for a changed spec', () => {
    const { manifest } = build();
    expect(manifest.spec.ttlSecondsAfterFinished).toBeUndefined();
    expect(manifest.metadata.annotations[SYNC_OPTIONS]).toBe('Replace=true');
  });

  it('runs every step as uid 1000 without a token; only BuildKit leaves restricted, and only as far as it must', () => {
    const pod = build().manifest.spec.template.spec;
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName).toBe('build-runner');
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    for (const c of containersOf(pod)) {
      expect(c.securityContext).toMatchObject({ privileged: false, runAsNonRoot: true, readOnlyRootFilesystem: true });
      if (c.name === 'buildkit') {
        expect(c.securityContext).toMatchObject({
          runAsUser: 1000, allowPrivilegeEscalation: true, capabilities: { drop: ['ALL'], add: ['SETUID', 'SETGID'] }, seccompProfile: { type: 'Unconfined' },
        });
      } else {
        expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } });
      }
    }
    expect(build().manifest.spec.template.metadata.annotations).toEqual({ 'container.apparmor.security.beta.kubernetes.io/buildkit': 'unconfined' });
  });

  it('mounts the push credentials as the docker config and reads S3 keys by reference only', () => {
    const { manifest, objects, builds, job } = build();
    const pod = manifest.spec.template.spec;
    expect(pod.volumes).toContainEqual({ name: 'docker-config', secret: { secretName: 'registry-push', items: [{ key: '.dockerconfigjson', path: 'config.json' }], defaultMode: 0o440 } });
    const buildkit = containersOf(pod).find((c) => c.name === 'buildkit');
    expect(buildkit.volumeMounts).toContainEqual({ name: 'docker-config', mountPath: '/home/user/.docker', readOnly: true });
    const upload = pod.containers.find((c: any) => c.name === 'upload');
    expect(upload.env.filter((e: any) => e.name.startsWith('AWS_') && e.name.endsWith('KEY') || e.name === 'AWS_ACCESS_KEY_ID')).toEqual([
      { name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: 'artifact-store', key: 'access-key-id' } } },
      { name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: 'artifact-store', key: 'secret-access-key' } } },
    ]);
    // No Secret object and no literal credential anywhere in the namespace's output.
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    for (const c of containersOf(pod)) for (const e of c.env ?? []) if (/KEY|SECRET|TOKEN|PASSWORD/.test(e.name)) expect(e.value).toBeUndefined();
    const refs = job.secretReferences.map((r) => `${r.namespace}/${r.name}/${r.key}`);
    expect(refs).toEqual(['builds/registry-push/.dockerconfigjson', 'builds/artifact-store/access-key-id', 'builds/artifact-store/secret-access-key']);
    expect(builds.secretReferences.map((r) => `${r.namespace}/${r.name}/${r.key}`).sort()).toEqual([...refs].sort());
  });

  it('passes every input as whole argv elements, never through a shell', () => {
    const { manifest } = build({ buildArgs: { GREETING: 'hello $(id) `id` ; rm -rf / "x"' } });
    const pod = manifest.spec.template.spec;
    for (const c of containersOf(pod)) {
      expect(['sh', 'bash', '/bin/sh', '/bin/bash', 'ash']).not.toContain(c.command[0]);
      expect(c.args).not.toContain('-c');
    }
    const byName = Object.fromEntries(containersOf(pod).map((c) => [c.name, c]));
    expect(pod.initContainers.map((c: any) => c.name)).toEqual(['git-init', 'git-fetch', 'git-checkout', 'buildkit']);
    expect(byName['git-fetch'].args).toEqual(['-C', '/workspace/source', 'fetch', '--quiet', '--depth', '1', '--', SOURCE.gitUrl, SOURCE.ref]);
    const args: string[] = byName.buildkit.args;
    expect(byName.buildkit.command).toEqual(['buildctl-daemonless.sh']);
    expect(args).toContain('build-arg:GREETING=hello $(id) `id` ; rm -rf / "x"');
    expect(args).toContain('type=image,name=ghcr.io/example/web:1.2.0,push=true');
    expect(args).toEqual(expect.arrayContaining(['--local', 'context=/workspace/source/services/web', '--local', 'dockerfile=/workspace/source/services/web/docker', '--opt', 'filename=Dockerfile']));
    expect(args).toEqual(expect.arrayContaining(['--export-cache', 'type=registry,ref=ghcr.io/example/web:buildcache,mode=max', '--import-cache', 'type=registry,ref=ghcr.io/example/web:buildcache']));
    expect(byName.buildkit.env).toEqual([{ name: 'BUILDKITD_FLAGS', value: '--oci-worker-no-process-sandbox' }]);
    expect(byName.upload.args).toEqual(['s3', 'cp', '--recursive', '--no-progress', '--endpoint-url', 'https://s3.example.com', '/workspace/output/dist', 's3://build-artifacts/novahost/smoke-test/']);
    expect(byName.upload.env).toEqual(expect.arrayContaining([
      { name: 'AWS_REQUEST_CHECKSUM_CALCULATION', value: 'when_required' },
      { name: 'AWS_RESPONSE_CHECKSUM_VALIDATION', value: 'when_required' },
    ]));
  });

  it('builds in the main container when there is nothing to upload, and caches on a volume if asked', () => {
    const pod = build({ artifacts: undefined, cache: { pvc: 'build-cache' } }).manifest.spec.template.spec;
    expect(pod.containers.map((c: any) => c.name)).toEqual(['buildkit']);
    expect(pod.volumes).toContainEqual({ name: 'cache', persistentVolumeClaim: { claimName: 'build-cache' } });
    expect(pod.containers[0].args).not.toContain('type=local,dest=/workspace/output');
    expect(pod.containers[0].args).toEqual(expect.arrayContaining(['--import-cache', 'type=local,src=/cache']));
  });

  it('fails when the ref would inject a command', () => {
    expect(() => build({ source: { ...SOURCE, ref: 'main; rm -rf /' } })).toThrow(
      'builds/smoke-test: source.ref "main; rm -rf /" is not a Git branch, tag or full 40-character commit id',
    );
    expect(() => build({ source: { ...SOURCE, ref: '--upload-pack=touch /tmp/x' } })).toThrow(/source\.ref .* is not a Git branch/);
    expect(() => build({ source: { ...SOURCE, ref: 'a..b' } })).toThrow(/source\.ref/);
  });

  it('fails when the ref is an abbreviated commit id, which git fetch cannot fetch', () => {
    expect(() => build({ source: { ...SOURCE, ref: '9054d8d' } })).toThrow(
      'builds/smoke-test: source.ref "9054d8d" is not a Git branch, tag or full 40-character commit id (letters, digits, ".", "_", "-", "/"; no "..", no leading "-"; no abbreviated commit id), at most 255 characters. Fix: use a value such as "v1.2.0"',
    );
    expect(build({ source: { ...SOURCE, ref: '9054d8d5c32d2a00230f9054d8d5c32d2a00230f' } }).manifest).toBeDefined();
  });

  it('fails when the image name would inject a command', () => {
    expect(() => build({ destination: { image: 'x:$(id)', pushSecret: 'registry-push' } })).toThrow(
      'builds/smoke-test: destination.image "x:$(id)" is not an image reference "registry/repository:tag"',
    );
    expect(() => build({ destination: { image: 'ghcr.io/example/web:1,push=false', pushSecret: 'registry-push' } })).toThrow(/destination\.image/);
  });

  it('fails when the git URL is not plain https', () => {
    expect(() => build({ source: { ...SOURCE, gitUrl: 'git@github.com:example/app.git' } })).toThrow(/source\.gitUrl "git@github.com:example\/app.git" is an SSH URL/);
    expect(() => build({ source: { ...SOURCE, gitUrl: 'https://user:tok@github.com/x.git' } })).toThrow('source.gitUrl "https://<redacted>@github.com/x.git" carries credentials');
    expect(() => build({ source: { ...SOURCE, gitUrl: 'file:///etc' } })).toThrow(/source\.gitUrl "file:\/\/\/etc" is not an https:\/\/ Git URL/);
  });

  it('fails when a path leaves the repository', () => {
    expect(() => build({ source: { ...SOURCE, subdirectory: '../etc' } })).toThrow(/source\.subdirectory "\.\.\/etc" is not a relative path/);
    expect(() => build({ source: { ...SOURCE, dockerfile: '/etc/passwd' } })).toThrow(/source\.dockerfile "\/etc\/passwd" is not a relative path/);
  });

  it('fails when a build arg name is invalid or looks like a secret', () => {
    expect(() => build({ buildArgs: { 'foo;id': 'x' } })).toThrow(/buildArgs key "foo;id" is not a build argument name/);
    expect(() => build({ buildArgs: { NPM_TOKEN: 'abc' } })).toThrow('buildArgs.NPM_TOKEN "<redacted>" looks like a secret');
    expect(() => build({ buildArgs: { NOTE: 'a\nb' } })).toThrow(/buildArgs.NOTE "a\\nb" is not a single line/);
  });

  it('fails when a build asks for more than one build share of the namespace', () => {
    expect(() => build({ resources: { memoryLimit: '4Gi' } })).toThrow(
      'builds/smoke-test: resources.memoryLimit "4Gi" is above one build\'s share of the builds namespace (1280Mi)',
    );
  });

  it('fails when the BuildKit image is not a pinned rootless image', () => {
    expect(() => build({ images: { buildkit: 'moby/buildkit:v0.23.2' } })).toThrow(/images\.buildkit "moby\/buildkit:v0.23.2" is not a rootless BuildKit image/);
    expect(() => build({ images: { git: 'alpine/git:latest' } })).toThrow(/images\.git "alpine\/git:latest" uses the moving tag/);
  });
});

describe('BuildJobTemplate', () => {
  const TEMPLATE = { pushSecret: 'registry-push', subdirectory: SOURCE.subdirectory, dockerfile: SOURCE.dockerfile, artifacts: ARTIFACTS, buildArgs: PROPS.buildArgs, cache: PROPS.cache };

  function withTemplate() {
    const platform = testPlatform();
    const builds = new BuildsNamespace(platform, 'builds');
    const template = BuildJob.template(builds, 'default', TEMPLATE);
    new BuildJob(builds, 'smoke-test', { ...PROPS, timeouts: { ttlSecondsAfterFinished: 900 } });
    return { template, objects: synthesize(platform).builds, builds };
  }

  it('parses back into the declared Job once the placeholders are filled', () => {
    const { objects } = withTemplate();
    const cm = findObject(objects, 'ConfigMap', 'build-template-default');
    const filled = parse(fillTemplate(cm.data['job.json'], { BUILD_ID: 'smoke-test', GIT_URL: SOURCE.gitUrl, GIT_REF: SOURCE.ref, IMAGE: PROPS.destination.image }));
    const declared = structuredClone(findObject(objects, 'Job', 'build-smoke-test'));
    // The one intended difference: GitOps replaces a declared Job; the build-server creates its own.
    delete declared.metadata.annotations;
    expect(filled).toEqual(declared);
    expect(cm.data['job.json']).toMatch(/\$\{GIT_REF\}/);
  });

  it('publishes the patterns the build-server must check, and they refuse injections', () => {
    const { objects } = withTemplate();
    const rules = JSON.parse(findObject(objects, 'ConfigMap', 'build-template-default').data['placeholders.json']);
    expect(Object.keys(rules.placeholders).sort()).toEqual(['BUILD_ID', 'GIT_REF', 'GIT_URL', 'IMAGE']);
    const ok = (name: string, v: string) => new RegExp(rules.placeholders[name].pattern).test(v);
    expect(ok('GIT_REF', 'main')).toBe(true);
    expect(ok('GIT_REF', 'main; rm -rf /')).toBe(false);
    expect(ok('IMAGE', 'x:$(id)')).toBe(false);
    expect(ok('BUILD_ID', 'a"b')).toBe(false);
    expect(() => fillTemplate('{}', { BUILD_ID: 'x', GIT_URL: SOURCE.gitUrl, GIT_REF: 'main"; x', IMAGE: 'ghcr.io/a/b:1' })).toThrow(/GIT_REF/);
  });

  it('is readable by the builder clients, by name only', () => {
    const { objects } = withTemplate();
    expect(findObject(objects, 'Role', 'build-launcher').rules).toContainEqual({ apiGroups: [''], resources: ['configmaps'], resourceNames: ['build-template-default'], verbs: ['get'] });
  });

  it('fails when the push secret is not a Secret name', () => {
    const platform = testPlatform();
    const builds = new BuildsNamespace(platform, 'builds');
    expect(andSynth(() => new BuildJobTemplate(builds, 'default', { pushSecret: 'Registry Push' }))).toThrow(/builds\/default: pushSecret "Registry Push" is not a DNS-1123 subdomain/);
  });
});
