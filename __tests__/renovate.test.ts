// renovate.json5's regex managers, run over the files they select: every pin in lib/core/pins.ts
// and images/images.yaml is found, with the right name and version, and nothing else is.
import * as fs from 'fs';
import * as path from 'path';
import JSON5 from 'json5';
import { parse } from 'yaml';
import { PINS } from '../lib/core/pins';
import { importSpecs } from '../scripts/import';

const ROOT = path.join(__dirname, '..');

interface CustomManager {
  customType: string;
  managerFilePatterns: string[];
  matchStrings: string[];
  datasourceTemplate?: string;
  currentValueTemplate?: string;
}
interface RenovateConfig {
  dependencyDashboard?: boolean;
  ignorePaths: string[];
  customManagers: CustomManager[];
  packageRules: Array<Record<string, unknown>>;
}

const config = JSON5.parse(fs.readFileSync(path.join(ROOT, 'renovate.json5'), 'utf8')) as RenovateConfig;

/** Repository files, relative to the root, outside what Renovate ignores. */
function repoFiles(dir = ROOT): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    const rel = path.relative(ROOT, p);
    if (e.name.startsWith('.') || ['node_modules', 'dist', 'imports'].includes(rel)) return [];
    return e.isDirectory() ? repoFiles(p) : [rel.split(path.sep).join('/')];
  });
}

/** `/regex/` file patterns only (globs would need minimatch): say so if one appears. */
function filePattern(p: string): RegExp {
  const m = /^\/(.*)\/([a-z]*)$/.exec(p);
  if (!m) throw new Error(`managerFilePatterns entry ${p} is a glob; this test reads /regex/ patterns only`);
  return new RegExp(m[1], m[2]);
}

/** What the managers find: `datasource depName currentValue-or-digest`, one string per dependency. */
function extract(): string[] {
  const files = repoFiles();
  const found: string[] = [];
  for (const manager of config.customManagers) {
    expect(manager.customType).toBe('regex');
    const selected = files.filter((f) => manager.managerFilePatterns.some((p) => filePattern(p).test(f)));
    expect(selected.length).toBeGreaterThan(0);
    for (const file of selected) {
      const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
      for (const matchString of manager.matchStrings) {
        for (const m of text.matchAll(new RegExp(matchString, 'g'))) {
          const g = m.groups ?? {};
          const datasource = g.datasource ?? manager.datasourceTemplate;
          const value = g.currentValue ?? manager.currentValueTemplate;
          found.push([datasource, g.depName, value, g.currentDigest ?? '', g.registryUrl ?? ''].join(' ').trim());
        }
      }
    }
  }
  return found.sort();
}

/** What should be found: each pin once, by what Renovate looks it up as. */
function expected(): string[] {
  const pins: string[] = [
    ...Object.values(PINS.images).map((p) => `docker ${p.repository} ${p.tag}`),
    ...Object.values(PINS.charts).map((p) => `helm ${p.chart} ${p.version}  ${p.repoURL}`),
    // The Traefik chart k3s bundles moves with k3s and is deliberately not tracked.
    ...Object.entries(PINS.releases).filter(([k]) => k !== 'k3sBundledTraefikChart').map(([, p]) => `github-releases ${repoOf(p.source)} ${p.version}`),
    ...Object.values(PINS.crds).map((p) => `github-releases ${repoOf(p.source)} ${p.version}`),
    // The same tags again, in the URLs of the CRD files cdk8s.yaml imports.
    ...importSpecs(path.join(ROOT, 'cdk8s.yaml')).map((s) => {
      const [, repo, tag] = /^https:\/\/raw\.githubusercontent\.com\/([^/]+\/[^/]+)\/([^/]+)\//.exec(s.url)!;
      return `github-releases ${repo} ${tag}`;
    }),
  ];
  const images = parse(fs.readFileSync(path.join(ROOT, 'images', 'images.yaml'), 'utf8')).data as Record<string, string>;
  for (const ref of Object.values(images)) {
    const digest = /^(.+)@(sha256:[0-9a-f]{64})$/.exec(ref);
    const tag = /^(.+):([^:/]+)$/.exec(ref);
    pins.push(digest ? `docker ${digest[1]} latest ${digest[2]}` : `docker ${tag![1]} ${tag![2]}`);
  }
  return pins.map((p) => p.replace(/ +/g, ' ').trim()).sort();
}

function repoOf(source: string): string {
  return source.replace(/^https:\/\/github\.com\//, '');
}

describe('renovate.json5', () => {
  it('finds every pin, as the pin names it, and nothing else', () => {
    expect(extract().map((s) => s.replace(/ +/g, ' '))).toEqual(expected());
  });

  it('keeps its patterns within RE2, which Renovate prefers (no lookaround, no backreference)', () => {
    for (const m of config.customManagers) {
      for (const s of m.matchStrings) expect([s, /\(\?<?[=!]|\\k<|\\[1-9]/.test(s)]).toEqual([s, false]);
    }
  });

  it('fails to find a pin whose comment is not directly above it', () => {
    const images = config.customManagers[0].matchStrings[0];
    const text = "    // renovate: datasource=docker depName=x/y\n\n    y: { repository: 'x/y', tag: '1.0.0' },\n";
    expect([...text.matchAll(new RegExp(images, 'g'))]).toEqual([]);
  });

  it('never automerges data services or GitOps controllers, and leaves generated folders alone', () => {
    const last = (name: string) => [...config.packageRules].reverse().find((r) => (r.matchPackageNames as string[] | undefined)?.includes(name) && 'automerge' in r);
    for (const name of [PINS.images.postgres.repository, PINS.images.redis.repository, PINS.images.argoCd.repository, PINS.charts.argoCd.chart, 'fluxcd/flux2']) {
      expect([name, last(name)?.automerge]).toEqual([name, false]);
    }
    expect(config.packageRules.find((r) => r.groupName === 'monitoring charts')?.matchPackageNames).toEqual(['kube-prometheus-stack', 'loki', 'alloy']);
    expect(config.dependencyDashboard).toBe(true);
    expect(config.ignorePaths).toEqual(expect.arrayContaining(['dist/**', 'imports/**']));
  });
});
