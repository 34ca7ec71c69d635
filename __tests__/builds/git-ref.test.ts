import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BuildJob, fillTemplate } from '../../lib/builds/build-job';
import { BuildsNamespace } from '../../lib/builds/builds-namespace';
import { BuildInputs } from '../../lib/builds/inputs';
import { findObject, synthesize, testPlatform } from '../support/platform';

/**
 * The refs GIT_REF accepts are the refs the clone step can fetch: the template's git init, fetch
 * and checkout containers run verbatim (argv and env as rendered, only volume paths moved to a
 * temp folder) against a local bare repository. The https URL is the one filled into the
 * template; git's own `url.<base>.insteadOf` (set through GIT_CONFIG_COUNT, which the pod does not
 * set) points it at the bare repository, so the argv stays exactly what the pod runs.
 */

const URL = 'https://git.example.test/owner/app.git';
const GIT_VERSION = execFileSync('git', ['--version'], { encoding: 'utf8' }).trim();

function templateJob(): string {
  const platform = testPlatform();
  const builds = new BuildsNamespace(platform, 'builds');
  BuildJob.template(builds, 'default', { pushSecret: 'registry-push' });
  return findObject(synthesize(platform).builds, 'ConfigMap', 'build-template-default').data['job.json'];
}

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, {
  cwd,
  encoding: 'utf8',
  env: { PATH: process.env.PATH, HOME: cwd, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.test', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.test' },
}).trim();

describe(`GIT_REF against the clone step (${GIT_VERSION})`, () => {
  const template = templateJob();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'novahost-git-ref-'));
  const bare = path.join(root, 'app.git');
  const commits: Record<string, string> = {};
  let run = 0;

  beforeAll(() => {
    const work = path.join(root, 'work');
    fs.mkdirSync(work);
    git(work, 'init', '--quiet', '--initial-branch=main');
    const commit = (name: string) => {
      fs.writeFileSync(path.join(work, 'file'), name);
      git(work, 'add', 'file');
      git(work, 'commit', '--quiet', '-m', name);
      commits[name] = git(work, 'rev-parse', 'HEAD');
    };
    commit('first');
    git(work, 'tag', 'v1.0.0');
    git(work, 'branch', 'deadbeef0');
    commit('second');
    git(work, 'tag', '-a', '-m', 'release', 'v1.1.0');
    git(work, 'checkout', '--quiet', '-b', 'feature/login');
    commit('feature');
    git(work, 'checkout', '--quiet', 'main');
    git(root, 'clone', '--quiet', '--bare', work, bare);
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  /** The clone containers of the filled template, in order. */
  function cloneContainers(ref: string): any[] {
    const job = JSON.parse(fillTemplate(template, { BUILD_ID: 'ref-test', GIT_URL: URL, GIT_REF: ref, IMAGE: 'ghcr.io/example/web:1.0.0' }));
    const init: any[] = job.spec.template.spec.initContainers;
    const clone = init.filter((c) => c.image === init[0].image);
    expect(clone.map((c) => c.name)).toEqual(['git-init', 'git-fetch', 'git-checkout']);
    return clone;
  }

  /** Runs the containers' commands with their volumes in a fresh folder; returns the checked-out commit. */
  function runClone(containers: any[]): { status: number | null; stderr: string; head?: string } {
    const pod = path.join(root, `pod-${run++}`);
    const map = (value: string) => {
      for (const m of containers[0].volumeMounts as Array<{ mountPath: string }>) {
        if (value === m.mountPath || value.startsWith(`${m.mountPath}/`)) return path.join(pod, m.mountPath) + value.slice(m.mountPath.length);
      }
      return value;
    };
    for (const m of containers[0].volumeMounts) fs.mkdirSync(path.join(pod, m.mountPath), { recursive: true });
    for (const c of containers) {
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        ...Object.fromEntries(c.env.map((e: any) => [e.name, map(e.value)])),
        GIT_CONFIG_COUNT: '1',
        GIT_CONFIG_KEY_0: `url.file://${bare}.insteadOf`,
        GIT_CONFIG_VALUE_0: URL,
      };
      const res = spawnSync(c.command[0], [...c.command.slice(1), ...c.args.map(map)], { env, encoding: 'utf8', timeout: 20000 });
      if (res.status !== 0) return { status: res.status, stderr: `${c.name}: ${res.stderr}` };
    }
    const source = map(containers[2].args[1]);
    return { status: 0, stderr: '', head: git(source, 'rev-parse', 'HEAD') };
  }

  const fetchable: Array<[string, () => string, string]> = [
    ['a branch', () => 'main', 'second'],
    ['a branch with a slash', () => 'feature/login', 'feature'],
    ['refs/heads/<branch>', () => 'refs/heads/main', 'second'],
    ['a lightweight tag', () => 'v1.0.0', 'first'],
    ['an annotated tag', () => 'v1.1.0', 'second'],
    ['refs/tags/<tag>', () => 'refs/tags/v1.1.0', 'second'],
    ['HEAD', () => 'HEAD', 'second'],
    ['the full id of a branch tip', () => commits.feature, 'feature'],
    ['the full id of an older commit', () => commits.first, 'first'],
    ['a hex-named branch as refs/heads/<name>', () => 'refs/heads/deadbeef0', 'first'],
  ];

  it.each(fetchable)('fetches and checks out %s', (_what, ref, expected) => {
    const result = runClone(cloneContainers(ref()));
    if (result.status !== 0) throw new Error(`clone of ${ref()} failed: ${result.stderr}`);
    expect(result.head).toBe(commits[expected]);
  });

  it('refuses an abbreviated commit id when the template is filled', () => {
    for (const ref of [commits.first.slice(0, 7), commits.first.slice(0, 12), commits.second.slice(0, 39), 'deadbeef0', commits.first.slice(0, 7).toUpperCase()]) {
      expect(() => cloneContainers(ref)).toThrow(/build template: GIT_REF ".*" is not a Git branch, tag or full 40-character commit id/);
    }
    const ok = (ref: string) => BuildInputs.GIT_REF.pattern.test(ref);
    // Short hex words are names (a branch "cafe"); 64 hex digits are a SHA-256 repository's id.
    for (const ref of [commits.first, 'a'.repeat(64), 'cafe', 'feed', 'abc123', 'release-2024', 'refs/heads/deadbeef0']) expect(ok(ref)).toBe(true);
    for (const ref of ['a'.repeat(41), 'a'.repeat(63), '-x', 'a..b', 'a@{1}', 'x.lock', 'x/', '/x', 'a//b', 'a b', '']) expect(ok(ref)).toBe(false);
  });

  it('would fail in git fetch with an abbreviated commit id (why it is refused)', () => {
    const containers = cloneContainers('main');
    const fetch = containers[1];
    expect(fetch.args.at(-1)).toBe('main');
    fetch.args[fetch.args.length - 1] = commits.first.slice(0, 7);
    const result = runClone(containers);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/git-fetch: fatal: couldn't find remote ref [0-9a-f]{7}/);
  });
});
