/**
 * A platform of N generated apps, for the benchmark and the determinism test: each app in its own
 * namespace with two services, a route on its own host, a database and a cache.
 *
 *   node -r ./scripts/swc-register.js scripts/generated-platform.ts <N> [outdir, else $CDK8S_OUTDIR]
 *
 * prints one JSON line: { apps, charts, objects, files, synthMs (= constructMs + renderMs + writeMs),
 * maxRssKb }.
 */
import * as fs from 'fs';
import { ArgoCd, CertManager, IngressController, NovahostApp, Platform, SharedPostgres, SharedRedis } from '../lib';

export function declareGeneratedPlatform(apps: number, outdir: string): Platform {
  const platform = new Platform({
    domain: 'bench.example.com',
    acmeEmail: 'ops@example.com',
    git: { repoURL: 'https://github.com/example/bench.git' },
    outdir,
    // A cluster sized for the apps: the benchmark measures synthesis, not a 4 GiB node.
    capacity: { cpu: String(Math.max(2, apps)), memory: `${Math.max(4, apps)}Gi` },
  });
  new ArgoCd(platform, 'argocd');
  new IngressController(platform, 'traefik');
  new CertManager(platform, 'cert-manager');
  const postgres = new SharedPostgres(platform, 'postgres');
  const redis = new SharedRedis(platform, 'redis', { databases: Math.max(16, apps) });
  for (let i = 0; i < apps; i++) {
    new NovahostApp(platform, `app-${String(i).padStart(4, '0')}`, {
      database: { server: postgres },
      cache: { server: redis, index: i },
      services: {
        web: { image: 'ghcr.io/example/web:1.0.0', port: 3000, route: { path: '/' } },
        api: { image: 'ghcr.io/example/api:1.0.0', port: 9000, route: { path: '/api' }, database: true, cache: true },
      },
    });
  }
  return platform;
}

if (require.main === module) {
  // The cdk8s CLI passes the output folder as CDK8S_OUTDIR.
  const [n, outdir] = [Number(process.argv[2]), process.argv[3] ?? process.env.CDK8S_OUTDIR];
  if (!Number.isInteger(n) || n < 0 || !outdir) {
    console.error('usage: generated-platform.ts <apps> [outdir, else $CDK8S_OUTDIR]');
    process.exit(2);
  }
  const start = process.hrtime.bigint();
  const platform = declareGeneratedPlatform(n, outdir);
  const constructMs = Number(process.hrtime.bigint() - start) / 1e6;
  const { files, objects, renderMs, writeMs } = platform.synth();
  const synthMs = Number(process.hrtime.bigint() - start) / 1e6;
  console.log(JSON.stringify({
    apps: n, charts: fs.readdirSync(outdir).length, objects, files,
    synthMs, constructMs, renderMs, writeMs, maxRssKb: process.resourceUsage().maxRSS,
  }));
}
