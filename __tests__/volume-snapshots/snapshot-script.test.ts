import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { snapshotScript, SnapshotLabels } from '../../lib';

/**
 * The snapshot CronJob's script, run by sh (dash, as the image's busybox sh is POSIX too) against a
 * fake kubectl that keeps VolumeSnapshots and contents the way the snapshot controller does.
 */
const OPTIONS = { namespace: 'shared', claims: ['data-postgres-0', 'data-redis-0'], className: 'volume-snapshots-retain', keep: 3, schedule: 'postgres-volume-backup', readyTimeoutSeconds: 30 };

function setup(snapshots: Record<string, { labels: Record<string, string> }> = {}, readyMode = 'ready') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'volume-snapshots-'));
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'kubectl'), `#!/bin/sh\nexec node ${JSON.stringify(path.join(__dirname, '..', 'support', 'fake-kubectl-snapshots.js'))} "$@"\n`, { mode: 0o755 });
  const contents: Record<string, object> = {};
  const shared: Record<string, object> = {};
  for (const [n, s] of Object.entries(snapshots)) {
    shared[n] = { ...s, content: `snapcontent-${n}`, ready: true };
    contents[`snapcontent-${n}`] = { deletionPolicy: 'Retain', snapshot: `shared/${n}` };
  }
  const state = { pvcs: { 'shared/data-postgres-0': 'Bound', 'shared/data-redis-0': 'Bound' }, snapshots: { shared }, contents, readyMode };
  fs.writeFileSync(path.join(dir, 'state.json'), JSON.stringify(state));
  return { dir, bin, state: () => JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8')) };
}

function run(env: ReturnType<typeof setup>, options = OPTIONS) {
  return spawnSync('dash', ['-c', snapshotScript(options)], {
    env: { PATH: `${env.bin}:/usr/bin:/bin`, FAKE_KUBECTL_STORE: env.dir, TMPDIR: env.dir },
    encoding: 'utf8',
  });
}

const own = (claim: string, schedule = OPTIONS.schedule) => ({ labels: { [SnapshotLabels.SCHEDULE]: schedule, [SnapshotLabels.CLAIM]: claim } });

beforeAll(() => {
  execFileSync('dash', ['-c', 'true']);
});

describe('the volume snapshot script', () => {
  it('creates one labelled snapshot of each claim in the Retain class', () => {
    const env = setup();
    const r = run(env);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const snaps = env.state().snapshots.shared;
    const names = Object.keys(snaps).sort();
    expect(names).toHaveLength(2);
    expect(names[0]).toMatch(/^data-postgres-0-[0-9]{8}-[0-9]{6}$/);
    expect(names[1]).toMatch(/^data-redis-0-[0-9]{8}-[0-9]{6}$/);
    expect(snaps[names[0]].labels).toEqual({ 'app.kubernetes.io/part-of': 'novahost-platform', [SnapshotLabels.SCHEDULE]: 'postgres-volume-backup', [SnapshotLabels.CLAIM]: 'data-postgres-0' });
    expect(snaps[names[0]].spec).toEqual({ volumeSnapshotClassName: 'volume-snapshots-retain', source: { persistentVolumeClaimName: 'data-postgres-0' } });
  });

  it('prunes only its own snapshots of a claim beyond keep, with their provider snapshots', () => {
    const env = setup({
      'data-postgres-0-20261101-011500': own('data-postgres-0'),
      'data-postgres-0-20261102-011500': own('data-postgres-0'),
      'data-postgres-0-20261103-011500': own('data-postgres-0'),
      'data-postgres-0-20261104-011500': own('data-postgres-0'),
      // Another schedule's, an unlabelled one by hand, and one of the other claim: never touched.
      'data-postgres-0-20261001-000000': own('data-postgres-0', 'someone-else'),
      'before-upgrade': { labels: {} },
      'data-redis-0-20261101-011500': own('data-redis-0'),
    });
    const r = run(env);
    expect(r.status).toBe(0);
    const state = env.state();
    const names = Object.keys(state.snapshots.shared).sort();
    // keep 3: the two newest old ones and today's; the redis claim has 2 (today's and one old).
    expect(names.filter((n) => n.startsWith('data-postgres-0-2026110'))).toEqual(['data-postgres-0-20261103-011500', 'data-postgres-0-20261104-011500']);
    expect(names).toContain('data-postgres-0-20261001-000000');
    expect(names).toContain('before-upgrade');
    expect(names).toContain('data-redis-0-20261101-011500');
    expect(names.filter((n) => /^data-postgres-0-\d{8}-\d{6}$/.test(n))).toHaveLength(4);
    // The pruned ones' contents were set to Delete, so the controller removed them (and the provider's snapshots).
    expect(state.contents['snapcontent-data-postgres-0-20261101-011500']).toBeUndefined();
    expect(state.contents['snapcontent-data-postgres-0-20261102-011500']).toBeUndefined();
    expect(state.contents['snapcontent-data-postgres-0-20261103-011500']).toEqual({ deletionPolicy: 'Retain', snapshot: 'shared/data-postgres-0-20261103-011500' });
    expect(state.contents['snapcontent-data-postgres-0-20261001-000000'].deletionPolicy).toBe('Retain');
  });

  it('fails, and prunes nothing, when a snapshot does not become ready to use in time', () => {
    const env = setup({
      'data-postgres-0-20261101-011500': own('data-postgres-0'),
      'data-postgres-0-20261102-011500': own('data-postgres-0'),
      'data-postgres-0-20261103-011500': own('data-postgres-0'),
    }, 'never');
    const r = run(env);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/volume-snapshots: FAILED data-postgres-0: VolumeSnapshot data-postgres-0-\d{8}-\d{6} is not ready to use after 30 s: Failed to check and update snapshot content: provider is busy/);
    expect(r.stderr).toMatch(/FAILED data-redis-0/);
    expect(Object.keys(env.state().snapshots.shared).filter((n) => n.startsWith('data-postgres-0-2026110'))).toHaveLength(3);
  });

  it('fails for a claim that is not Bound and still snapshots the others', () => {
    const env = setup();
    const s = env.state();
    s.pvcs['shared/data-postgres-0'] = 'Pending';
    fs.writeFileSync(path.join(env.dir, 'state.json'), JSON.stringify(s));
    const r = run(env);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('FAILED data-postgres-0: the PersistentVolumeClaim is Pending, not Bound');
    expect(Object.keys(env.state().snapshots.shared)).toEqual([expect.stringMatching(/^data-redis-0-/)]);
  });

  it('refuses names that are not DNS-1123 labels', () => {
    expect(() => snapshotScript({ ...OPTIONS, claims: ['data;rm -rf /'] })).toThrow(/not a DNS-1123 label/);
  });
});
