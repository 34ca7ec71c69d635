/**
 * `npm run init -- --domain example.org --email ops@example.org --repo https://github.com/me/infra.git`
 *
 * Makes a fork of this repository its own installation: rewrites installation.ts (the settings
 * main.ts reads) and the README's generated blocks that name them. Every input is checked with
 * the constructs' own rules first; a bad one writes nothing.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ClusterProfiles, Platform } from '../lib';
import { Installation, INSTALLATION } from '../installation';
import { README, withBlock } from './readme-blocks';

const ROOT = path.join(__dirname, '..');
export const INSTALLATION_FILE = path.join(ROOT, 'installation.ts');

const HELP = `usage: npm run init -- --domain DOMAIN --email EMAIL --repo GIT_URL [options]

Rewrites installation.ts, this installation's own settings, and the README blocks generated from
them (DigitalOcean bootstrap, DNS hosts, Secrets). Checks every input first; writes nothing if one
is wrong. Options left out keep their current value from installation.ts.
  --domain DOMAIN      base domain; apps are served on sub-domains (novahost.DOMAIN, grafana.DOMAIN)
  --email EMAIL        where Let's Encrypt sends certificate expiry notices
  --repo GIT_URL       the repository Argo CD syncs dist/ from: your fork (https:// or ssh URL)
  --revision BRANCH    the branch or tag Argo CD syncs (current: ${INSTALLATION.git.revision})
  --region SLUG        DigitalOcean region (current: ${INSTALLATION.cluster.region})
  --node-size SLUG     DigitalOcean node size (current: ${INSTALLATION.cluster.pool.size})
  --nodes N            number of nodes (current: ${INSTALLATION.cluster.pool.count})
  --container-registry NAME  the DigitalOcean Container Registry builds push to
                       (current: ${INSTALLATION.cluster.containerRegistry})
  --backup-bucket NAME the Spaces bucket (in the region) for PostgreSQL's backups (default with
                       --domain: <first label of the domain>-novahost-backups)
  -h, --help           this text`;

const OPTIONS = ['domain', 'email', 'repo', 'revision', 'region', 'node-size', 'nodes', 'container-registry', 'backup-bucket'] as const;
type Option = typeof OPTIONS[number];

/** `--name value` and `--name=value` pairs; problems for unknown or valueless options. */
export function parseArgs(argv: readonly string[]): { values: Partial<Record<Option, string>>; problems: string[] } {
  const values: Partial<Record<Option, string>> = {};
  const problems: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    const name = m?.[1] as Option | undefined;
    if (!m || !OPTIONS.includes(name!)) {
      problems.push(`${argv[i]} is not an option. Fix: use ${OPTIONS.map((o) => `--${o}`).join(', ')}`);
      continue;
    }
    const value = m[2] ?? argv[++i];
    if (value === undefined || value === '') problems.push(`--${name} needs a value`);
    else values[name!] = value;
  }
  return { values, problems };
}

/** The new settings from the options, and every problem with them (checked by the constructs' rules). */
export function resolve(values: Partial<Record<Option, string>>, current: Installation = INSTALLATION): { installation?: Installation; problems: string[] } {
  const problems: string[] = [];
  for (const required of ['domain', 'email', 'repo'] as const) {
    if (values[required] === undefined) problems.push(`--${required} is required`);
  }
  const nodes = values.nodes === undefined ? current.cluster.pool.count : Number(values.nodes);
  const repoURL = values.repo ?? current.git.repoURL;
  const installation: Installation = {
    domain: values.domain ?? current.domain,
    acmeEmail: values.email ?? current.acmeEmail,
    git: { repoURL, revision: values.revision ?? current.git.revision },
    cluster: {
      region: values.region ?? current.cluster.region,
      pool: { size: values['node-size'] ?? current.cluster.pool.size, count: nodes },
      containerRegistry: values['container-registry'] ?? current.cluster.containerRegistry,
      backupBucket: values['backup-bucket'] ?? (values.domain ? `${values.domain.split('.')[0].toLowerCase()}-novahost-backups` : current.cluster.backupBucket),
    },
  };
  // Spaces (S3) bucket names: 3-63 lower-case letters, digits and dashes.
  if (!/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(installation.cluster.backupBucket)) {
    problems.push(`--backup-bucket "${installation.cluster.backupBucket}" is not a Spaces bucket name (3-63 lower-case letters, digits, "-"). Fix: give one with --backup-bucket, e.g. me-novahost-backups`);
  }
  // The same checks synth applies, so init never writes what main.ts would then refuse.
  const platform = new Platform({ domain: installation.domain, acmeEmail: installation.acmeEmail, git: installation.git });
  problems.push(...platform.registry.problems.map((p) => p.replace(/^platform: /, '')));
  // The profile throws at its first problem: the region, the pool and the registry are checked
  // one at a time, each beside known-good others, so every one is reported.
  const loadBalancer = { name: 'novahost-ingress', hostname: 'ingress.example.com' };
  const c = installation.cluster;
  const checks = [[c.region, { size: 's-2vcpu-4gb', count: 1 }, undefined], ['fra1', c.pool, undefined], ['fra1', { size: 's-2vcpu-4gb', count: 1 }, c.containerRegistry]] as const;
  for (const [region, pool, containerRegistry] of checks) {
    try {
      ClusterProfiles.doks({ region, pools: [{ name: 'default', ...pool }], loadBalancer, ...(containerRegistry === undefined ? {} : { containerRegistry }) });
    } catch (e) {
      problems.push((e as Error).message.replace(/^cluster: /, ''));
    }
  }
  return problems.length ? { problems: problems.map(asOption) } : { installation, problems };
}

/** The constructs' field names, as this script's options. */
const AS_OPTION: ReadonlyArray<[RegExp, string]> = [
  [/^domain /, '--domain '], [/^acmeEmail /, '--email '], [/^git\.repoURL /, '--repo '], [/^git\.revision /, '--revision '],
  [/^doks\.region /, '--region '], [/^doks\.pools\[0\]\.count /, '--nodes '], [/^doks\.pools\[0\]\.size /, '--node-size '], [/^doks\.containerRegistry /, '--container-registry '],
];
const asOption = (problem: string) => AS_OPTION.reduce((p, [field, option]) => p.replace(field, option), problem);

const q = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** installation.ts for `i`: the file's comments and types, with the values. */
export function renderInstallation(i: Installation): string {
  const text = fs.readFileSync(INSTALLATION_FILE, 'utf8');
  const head = text.slice(0, text.indexOf('export const INSTALLATION'));
  return `${head}export const INSTALLATION: Installation = {
  domain: ${q(i.domain)},
  acmeEmail: ${q(i.acmeEmail)},
  git: { repoURL: ${q(i.git.repoURL)}, revision: ${q(i.git.revision)} },
  cluster: { region: ${q(i.cluster.region)}, pool: { size: ${q(i.cluster.pool.size)}, count: ${i.cluster.pool.count} }, containerRegistry: ${q(i.cluster.containerRegistry)}, backupBucket: ${q(i.cluster.backupBucket)} },
};
`;
}

/** Runs a script of this folder in a fresh process (main.ts loaded anew, with the new settings). */
function script(name: string, ...args: string[]): string {
  const r = spawnSync(process.execPath, ['-r', path.join(__dirname, 'swc-register.js'), path.join(__dirname, name), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  if (r.status !== 0) throw new Error(`init: ${name} ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout;
}

/** Regenerates the README blocks that name the installation's hosts and cluster. */
function refreshReadme(): void {
  script('doks.ts');
  let readme = fs.readFileSync(README, 'utf8');
  readme = withBlock(readme, '<!-- dns:begin -->', '<!-- dns:end -->', script('dns.ts', '--markdown').trimEnd());
  readme = withBlock(readme, '<!-- secrets:begin -->', '<!-- secrets:end -->', script('secrets.ts', '--markdown').trimEnd());
  fs.writeFileSync(README, readme);
}

function main(argv: readonly string[]): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(HELP);
    return 0;
  }
  const parsed = parseArgs(argv);
  const { installation, problems } = parsed.problems.length ? { installation: undefined, problems: parsed.problems } : resolve(parsed.values);
  if (!installation) {
    for (const p of problems) console.error(`init: ${p}`);
    console.error(`${problems.length} error${problems.length === 1 ? '' : 's'}; nothing written (npm run init -- --help)`);
    return parsed.problems.length ? 2 : 1;
  }
  const before = fs.readFileSync(INSTALLATION_FILE, 'utf8');
  fs.writeFileSync(INSTALLATION_FILE, renderInstallation(installation));
  try {
    refreshReadme();
  } catch (e) {
    fs.writeFileSync(INSTALLATION_FILE, before);
    console.error(`${(e as Error).message}\ninit: installation.ts restored`);
    return 1;
  }
  console.log(`init: installation.ts now declares ${installation.domain} (ACME ${installation.acmeEmail}), synced from ${installation.git.repoURL}@${installation.git.revision},
      ${installation.cluster.pool.count} x ${installation.cluster.pool.size} in ${installation.cluster.region}, builds pushing to registry.digitalocean.com/${installation.cluster.containerRegistry}; README blocks refreshed.

Next:
  1. npm run synth               write dist/ for the new settings
  2. git diff --stat; git diff dist/argocd   review: every host, the repoURL, the ACME e-mail
  3. npm test                    everything still holds for your installation
  4. git add -A && git commit -m "chore: make the installation mine" && git push
  5. bootstrap: README.md, "Your own installation" (secrets, DNS, Argo CD, the root Application)`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
