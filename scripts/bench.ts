/**
 * `npm run bench`: how long synthesis takes, by route and by size. Prints figures; asserts none.
 *
 *  1. the stock route: `npx cdk8s synth` with the template's cdk8s.yaml (`app: npx ts-node main.ts`,
 *     which type-checks on every run), in a scratch copy of this project;
 *  2. this project's `npx cdk8s synth`;
 *  3. the direct route, `npm run synth`'s command without npm: `node -r ./scripts/swc-register.js main.ts`;
 *  then a one-error synth of the reference installation (how fast a mistake is reported),
 *  then generated platforms of N apps (scripts/generated-platform.ts), per N: wall time split into
 *  node start and module loading, the construct tree, rendering (finalize, validation, capacity,
 *  YAML) and writing the files; peak RSS, objects and files written, and time per app.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const SIZES = (process.env.BENCH_SIZES ?? '1,10,100,500,1000').split(',').map(Number);
// Every route runs with the CLI's upgrade check off, so no route pays for a network call, and
// without the npm settings `npm run` exports (they would preload this project's files elsewhere).
const ENV: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_'))),
  CDK8S_CHECK_UPGRADE: 'false',
  NODE_OPTIONS: '',
};

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = ENV): { ms: number; stdout: string } {
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return { ms, stdout: r.stdout };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function listFiles(dir: string, base = dir): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? listFiles(p, base) : [path.relative(base, p)];
  }).sort();
}

function sameTree(a: string, b: string): boolean {
  const fa = listFiles(a);
  const fb = listFiles(b);
  return fa.length === fb.length && fa.every((f, i) => f === fb[i] && fs.readFileSync(path.join(a, f), 'latin1') === fs.readFileSync(path.join(b, f), 'latin1'));
}

/** A scratch project that differs from this one only in its cdk8s.yaml: the stock template's. */
function stockProject(tmp: string): string {
  const dir = path.join(tmp, 'stock');
  fs.mkdirSync(dir);
  for (const entry of ['node_modules', 'lib', 'imports', 'main.ts', 'installation.ts', 'tsconfig.json', 'package.json']) {
    fs.symlinkSync(path.join(ROOT, entry), path.join(dir, entry));
  }
  fs.writeFileSync(path.join(dir, 'cdk8s.yaml'), 'language: typescript\napp: npx ts-node main.ts\n');
  return dir;
}

function timeRoute(name: string, once: (out: string) => void, tmp: string): { name: string; ms: number; out: string } {
  const times: number[] = [];
  let out = '';
  for (let i = 0; i < RUNS; i++) {
    out = path.join(tmp, `${name}-${i}`);
    const start = process.hrtime.bigint();
    once(out);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return { name, ms: median(times), out };
}

function main(): void {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'novahost-bench-'));
  try {
    console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}; median of ${RUNS} runs\n`);
    const cli = path.join(ROOT, 'node_modules/.bin/cdk8s');
    const stockDir = stockProject(tmp);
    const routes = [
      timeRoute('stock', (out) => run('npx', [cli, 'synth', '--output', out], stockDir), tmp),
      timeRoute('cli', (out) => run('npx', [cli, 'synth', '--output', out], ROOT), tmp),
      timeRoute('direct', (out) => run(process.execPath, ['-r', './scripts/swc-register.js', 'scripts/synth.ts', 'main.ts'], ROOT, { ...ENV, CDK8S_OUTDIR: out }), tmp),
    ];
    const [stock, cli2, direct] = routes;
    const identical = sameTree(stock.out, cli2.out) && sameTree(cli2.out, direct.out) && sameTree(direct.out, path.join(ROOT, 'dist'));
    console.log('route                                              median ms');
    console.log(`1 stock: npx cdk8s synth, app: npx ts-node main.ts ${stock.ms.toFixed(0).padStart(9)}`);
    console.log(`2 this project: npx cdk8s synth                   ${cli2.ms.toFixed(0).padStart(9)}`);
    console.log(`3 direct: node -r ./scripts/swc-register.js main.ts ${direct.ms.toFixed(0).padStart(8)}`);
    console.log(`ratio 1/2: ${(stock.ms / cli2.ms).toFixed(2)}×   ratio 1/3: ${(stock.ms / direct.ms).toFixed(2)}×   outputs byte-identical to each other and to dist/: ${identical ? 'yes' : 'NO'}\n`);

    // A failing synth must stay fast too: the reference installation with one mistake.
    const badDir = path.join(ROOT, 'tmp', 'bench-one-error');
    fs.mkdirSync(badDir, { recursive: true });
    fs.writeFileSync(path.join(badDir, 'main.ts'), fs.readFileSync(path.join(ROOT, 'main.ts'), 'utf8')
      .replace(/from '\.\/lib'/, "from '../../lib'").replace(/from '\.\/installation'/, "from '../../installation'")
      .replace(/'images'/, "'..', '..', 'images'").replace('acmeEmail: INSTALLATION.acmeEmail', "acmeEmail: 'nobody'"));
    const failTimes: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const start = process.hrtime.bigint();
      const r = spawnSync(process.execPath, ['-r', './scripts/swc-register.js', 'scripts/synth.ts', path.join(badDir, 'main.ts')], { cwd: ROOT, env: { ...ENV, CDK8S_OUTDIR: path.join(tmp, 'fail') }, encoding: 'utf8' });
      failTimes.push(Number(process.hrtime.bigint() - start) / 1e6);
      if (r.status !== 1 || !/^1 error$/m.test(r.stderr)) throw new Error(`the one-error synth did not fail as expected:\n${r.stderr}`);
    }
    fs.rmSync(badDir, { recursive: true, force: true });
    console.log(`one-error synth (npm run synth's command, reference installation, one bad prop): median ${median(failTimes).toFixed(0)} ms (target < 500 ms)\n`);

    console.log('apps  charts  objects  files    wall ms  = start  + tree  + render  + write   peak RSS MiB  ms/app');
    const perApp: Record<number, number> = {};
    const synthPerApp: Record<number, number> = {};
    for (const n of SIZES) {
      const samples: Array<{ wall: number; r: any }> = [];
      for (let i = 0; i < Math.min(RUNS, 3); i++) {
        const out = path.join(tmp, `gen-${n}-${i}`);
        const { ms, stdout } = run(process.execPath, ['-r', './scripts/swc-register.js', 'scripts/generated-platform.ts', String(n), out], ROOT);
        samples.push({ wall: ms, r: JSON.parse(stdout.trim().split('\n').pop()!) });
        fs.rmSync(out, { recursive: true, force: true });
      }
      const s = samples.sort((a, b) => a.wall - b.wall)[Math.floor(samples.length / 2)];
      perApp[n] = s.wall / Math.max(n, 1);
      synthPerApp[n] = s.r.synthMs / Math.max(n, 1);
      const startMs = s.wall - s.r.synthMs; // node start and module loading
      const cols = [startMs, s.r.constructMs, s.r.renderMs, s.r.writeMs].map((x: number) => x.toFixed(0));
      console.log(`${String(n).padStart(4)}  ${String(s.r.charts).padStart(6)}  ${String(s.r.objects).padStart(7)}  ${String(s.r.files).padStart(5)}  ${s.wall.toFixed(0).padStart(9)}  ${cols[0].padStart(7)}  ${cols[1].padStart(6)}  ${cols[2].padStart(8)}  ${cols[3].padStart(7)}  ${(s.r.maxRssKb / 1024).toFixed(0).padStart(12)}  ${perApp[n].toFixed(2).padStart(6)}`);
    }
    if (perApp[100] && perApp[1000]) {
      console.log(`\nms/app at N=1000 over N=100: ${(perApp[1000] / perApp[100]).toFixed(2)} (1.00 is linear)`);
      // Without node start, which every N pays once: tree + render + write per app.
      console.log(`synthesis alone, ms/app: ${synthPerApp[100].toFixed(2)} at N=100, ${synthPerApp[1000].toFixed(2)} at N=1000, ratio ${(synthPerApp[1000] / synthPerApp[100]).toFixed(2)}`);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

const HELP = `usage: npm run bench [-- --help]

Times synthesis (takes a minute or more): the stock cdk8s route, this project's npx cdk8s synth and
the direct route, median of BENCH_RUNS runs (default 5), checking that all three write the same
bytes; then generated platforms of BENCH_SIZES apps (default 1,10,100,500,1000) in a temporary
folder. Prints figures (the README's Performance section); asserts none.

  BENCH_RUNS=3 BENCH_SIZES=1,100 npm run bench     a shorter run`;

if (process.argv.includes('--help') || process.argv.includes('-h')) console.log(HELP);
else if (process.argv.length > 2) {
  console.error(`bench: unknown argument ${process.argv[2]}\n${HELP}`);
  process.exitCode = 2;
} else main();
