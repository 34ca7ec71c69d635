import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

/**
 * A real redis-server for tests (Debian's package; `scripts/test.sh` installs it), and a minimal
 * RESP2 client over `net`, so the generated redis.conf and ACL file are proven by the server that
 * interprets them. A missing binary or a server that does not start fails the test, loudly.
 */

/** Throws with install instructions when a binary is missing. */
export function requireBinary(name: string): string {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const file = found.stdout.trim();
  if (found.status !== 0 || !file) {
    throw new Error(`${name} is not installed; the Redis tests need it. Install it with: apt-get update && apt-get install -y redis-server (scripts/test.sh does this)`);
  }
  return file;
}

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** A fresh temporary directory. */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
}

export interface RedisServerOptions {
  /** The generated redis.conf. */
  readonly configFile: string;
  /** The assembled ACL file (the config's `aclfile` is a path inside the pod). */
  readonly aclFile: string;
  /** Working directory = data directory, as the container's workingDir is. */
  readonly dataDir: string;
}

/**
 * One redis-server process on 127.0.0.1. Only what must differ outside the pod is overridden on
 * the command line: port, bind address and the ACL file's path.
 */
export class RedisServer {
  public static async start(options: RedisServerOptions): Promise<RedisServer> {
    const server = new RedisServer(options, await freePort());
    await server.launch();
    return server;
  }

  private process?: ChildProcess;
  private log = '';

  private constructor(public readonly options: RedisServerOptions, public readonly port: number) {}

  /** Everything the server printed. */
  public get output(): string {
    return this.log;
  }

  /** Stops (SIGTERM: Redis persists as it would in the pod) and starts again on the same files and port. */
  public async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  public async stop(): Promise<void> {
    const p = this.process;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => p.kill('SIGKILL'), 10_000);
      p.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      p.kill('SIGTERM');
    });
    this.process = undefined;
  }

  public async client(): Promise<RespClient> {
    return RespClient.connect(this.port);
  }

  private async launch(): Promise<void> {
    const binary = requireBinary('redis-server');
    const args = [this.options.configFile, '--port', String(this.port), '--bind', '127.0.0.1', '--aclfile', this.options.aclFile];
    const child = spawn(binary, args, { cwd: this.options.dataDir, stdio: ['ignore', 'pipe', 'pipe'] });
    this.process = child;
    // The log spans restarts; readiness is looked for in this launch's part only.
    const from = this.log.length;
    const collect = (chunk: Buffer) => {
      this.log += chunk.toString();
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (why: string) => {
        if (settled) return;
        settled = true;
        clearInterval(poll);
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new Error(`redis-server ${args.join(' ')} (cwd ${this.options.dataDir}) ${why}. Its output:\n${this.log}`));
      };
      const poll = setInterval(() => {
        if (this.log.indexOf('Ready to accept connections', from) >= 0) {
          settled = true;
          clearInterval(poll);
          clearTimeout(timer);
          resolve();
        }
      }, 20);
      const timer = setTimeout(() => fail('did not become ready within 10 s'), 10_000);
      child.once('exit', (code, signal) => fail(`exited (code ${code}, signal ${signal}) before it was ready`));
      child.once('error', (e) => fail(`could not be started: ${e.message}`));
    });
  }
}

/** An error reply (`-NOPERM ...`); returned, not thrown, so tests can assert on it. */
export class RedisError {
  constructor(public readonly message: string) {}
  public toString(): string {
    return `RedisError(${this.message})`;
  }
}

export type Reply = string | number | null | RedisError | Reply[];

/** Minimal RESP2 client: one command at a time, replies in order. Enough for tests. */
export class RespClient {
  public static connect(port: number): Promise<RespClient> {
    return new Promise((resolve, reject) => {
      const socket = net.createConnection({ host: '127.0.0.1', port }, () => resolve(new RespClient(socket)));
      socket.once('error', reject);
    });
  }

  private buffer: Buffer = Buffer.alloc(0);
  private readonly waiting: Array<(r: Reply) => void> = [];
  /** Replies no command waited for: messages pushed to a subscribed client. */
  private readonly pushed: Reply[] = [];
  private readonly pushWaiters: Array<(r: Reply) => void> = [];
  private closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      // Not Buffer.concat: @types/node 20.9's Buffer does not satisfy TypeScript 5.9's Uint8Array.
      const merged = Buffer.alloc(this.buffer.length + chunk.length);
      merged.set(this.buffer);
      merged.set(chunk, this.buffer.length);
      this.buffer = merged;
      for (;;) {
        const parsed = parseReply(this.buffer, 0);
        if (!parsed) break;
        this.buffer = this.buffer.subarray(parsed.end);
        const waiter = this.waiting.shift();
        if (waiter) waiter(parsed.value);
        else if (this.pushWaiters.length) this.pushWaiters.shift()!(parsed.value);
        else this.pushed.push(parsed.value);
      }
    });
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.waiting.splice(0)) w(new RedisError('connection closed'));
    });
  }

  /** Sends one command; resolves with its reply (an error reply as a RedisError). */
  public call(...args: Array<string | number>): Promise<Reply> {
    if (this.closed) return Promise.resolve(new RedisError('connection closed'));
    const request = `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join('');
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.socket.write(request, 'utf8');
    });
  }

  /** Like call(), but an error reply throws (for steps that must succeed). */
  public async ok(...args: Array<string | number>): Promise<Reply> {
    const reply = await this.call(...args);
    if (reply instanceof RedisError) throw new Error(`${args.join(' ')} failed: ${reply.message}`);
    return reply;
  }

  /**
   * The next message pushed to a subscribed client (`message`, `pmessage`, `smessage`), or
   * `timeout` when none comes within timeoutMs. Call it only while no command is waiting.
   */
  public nextPush(timeoutMs = 2000): Promise<Reply | 'timeout'> {
    const queued = this.pushed.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve) => {
      const waiter = (r: Reply) => {
        clearTimeout(timer);
        resolve(r);
      };
      const timer = setTimeout(() => {
        this.pushWaiters.splice(this.pushWaiters.indexOf(waiter), 1);
        resolve('timeout');
      }, timeoutMs);
      this.pushWaiters.push(waiter);
    });
  }

  public close(): void {
    this.socket.destroy();
  }
}

function parseReply(buf: Buffer, start: number): { value: Reply; end: number } | undefined {
  const lineEnd = buf.indexOf('\r\n', start);
  if (lineEnd < 0) return undefined;
  const type = String.fromCharCode(buf[start]);
  const line = buf.toString('utf8', start + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case '+': return { value: line, end: next };
    case '-': return { value: new RedisError(line), end: next };
    case ':': return { value: Number(line), end: next };
    case '$': {
      const len = Number(line);
      if (len < 0) return { value: null, end: next };
      if (buf.length < next + len + 2) return undefined;
      return { value: buf.toString('utf8', next, next + len), end: next + len + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const items: Reply[] = [];
      let pos = next;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buf, pos);
        if (!item) return undefined;
        items.push(item.value);
        pos = item.end;
      }
      return { value: items, end: pos };
    }
    default:
      throw new Error(`unexpected RESP reply type ${JSON.stringify(type)}`);
  }
}

/** Container paths of the Redis pod mapped to local directories, longest prefix first. */
export type PathMap = Record<string, string>;

/** A pod path as a local path; throws for a path outside the mapped volumes. */
export function localPath(map: PathMap, podPath: string): string {
  const prefix = Object.keys(map).sort((a, b) => b.length - a.length).find((p) => podPath === p || podPath.startsWith(`${p}/`));
  if (!prefix) throw new Error(`${podPath} is not under a mapped volume (${Object.keys(map).join(', ')})`);
  return map[prefix] + podPath.slice(prefix.length);
}

/**
 * Runs a pod's container command (the init container's `sh assemble-acl.sh ...`) locally with
 * its paths mapped; returns exit status and output.
 */
export function runPodCommand(map: PathMap, command: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const [bin, ...args] = command;
  const mapped = args.map((a) => (a.startsWith('/') ? localPath(map, a) : a));
  const r = spawnSync(bin, mapped, { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
