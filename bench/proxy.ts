/**
 * The proxy benchmark: the real `leastpriv proxy` in a child process, a local HTTPS origin in
 * another (dist/bench/origin.js), and a small core-Node load generator here, so the proxy's own
 * CPU and RSS are measured apart from the client's.
 *
 *   throughput  1 KiB GETs, 32 in flight, keep-alive: direct to the origin vs. through the proxy
 *   latency     the same at 1 in flight: median per request, and what the proxy adds
 *   upload      a 1 GiB PUT streamed through the proxy: the proxy's peak RSS growth
 *   ready       spawn of `leastpriv proxy --port 0` (existing CA) to its port accepting
 *   hostile     a bounded round of malformed and abusive connections (bench/hostile.ts): crashes,
 *               open descriptors and RSS of the proxy before, during and after
 *
 * Loopback only; every wait is bounded and every child is stopped at the end.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { DEFAULT_LIMITS } from '../src/capture/proxy/server.js';
import { hostile } from './hostile.js';
import { summarizeProfile } from './profile.js';
import type { Figure } from './types.js';

export const PROXY_PARTS = ['throughput', 'latency', 'upload', 'ready', 'hostile'] as const;
export type ProxyPart = (typeof PROXY_PARTS)[number];

export interface ProxyBenchOptions {
  /** Which parts to run (default all). */
  parts?: readonly ProxyPart[];
  /** Run the throughput proxy under `node --cpu-prof` and write the profile here. */
  profileDir?: string;
  /** Progress lines. */
  log?: (line: string) => void;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The CLI under test; `LEASTPRIV_BENCH_CLI=/other/build/dist/src/cli/main.js` compares another build. */
const MAIN_JS = process.env.LEASTPRIV_BENCH_CLI || join(ROOT, 'dist/src/cli/main.js');
const ORIGIN_JS = fileURLToPath(new URL('./origin.js', import.meta.url));
/** An intercepted host name: the proxy terminates TLS for it with a leaf from its own CA. */
const HOST = 'bench.s3.us-east-1.amazonaws.com';

const CONCURRENCY = 32;
const WARMUP_MS = 1000;
const MEASURE_MS = 5000;
const LATENCY_WARMUP = 300;
const LATENCY_MS = 2000;
const REPEATS = 3;
const UPLOAD_BYTES = 1024 ** 3;
const UPLOAD_CHUNK = 256 * 1024;
const RSS_SAMPLE_MS = 50;
const READY_RUNS = 5;

/** A plausible signed S3 GetObject: the proxy resolves and records it like a real one. */
function s3Request(method: string, path: string, extra = ''): string {
  return (
    `${method} ${path} HTTP/1.1\r\n` +
    `Host: ${HOST}\r\n` +
    'User-Agent: leastpriv-bench/1\r\n' +
    'Accept: */*\r\n' +
    'X-Amz-Date: 20261121T180000Z\r\n' +
    `X-Amz-Content-Sha256: ${method === 'GET' ? 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' : 'UNSIGNED-PAYLOAD'}\r\n` +
    'Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261121/us-east-1/s3/aws4_request, ' +
    `SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=${'0'.repeat(64)}\r\n` +
    extra +
    '\r\n'
  );
}
const GET_1K = Buffer.from(s3Request('GET', '/objects/1k.bin'), 'latin1');

// ---------------------------------------------------------------- small helpers

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function median(xs: number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Reads a `Vm*` line of /proc/PID/status, in bytes. */
function procStatus(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  if (!m?.[1]) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

let clockTicks: number | undefined;
/** CPU seconds (user + system) a process has used, from /proc/PID/stat. */
function procCpuSeconds(pid: number): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

/** CPU seconds the machine's processes have used (all cores; user, nice, system), from /proc/stat. */
function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  if (clockTicks === undefined) procCpuSeconds(process.pid);
  return ((f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0)) / (clockTicks ?? 100);
}

/**
 * Waits (at most `maxMs`) until processes other than ours use less than `limit` of a core over
 * half a second: other engineers' test runs on a 2-core machine would skew every figure.
 * Returns the share last seen.
 */
async function awaitQuiet(ours: number[], log: (l: string) => void, limit = 0.15, maxMs = 60_000) {
  const ourCpu = () => ours.reduce((sum, pid) => sum + procCpuSeconds(pid), selfCpuSeconds());
  const deadline = performance.now() + maxMs;
  let warned = false;
  for (;;) {
    const m0 = machineBusySeconds();
    const o0 = ourCpu();
    const t0 = performance.now();
    await sleep(500);
    const seconds = (performance.now() - t0) / 1000;
    const other = Math.max(0, machineBusySeconds() - m0 - (ourCpu() - o0)) / seconds;
    if (other < limit) return other;
    if (performance.now() > deadline) {
      log(`  the machine stays busy (other processes use ${pct(other)} of a core): measuring anyway`);
      return other;
    }
    if (!warned) log(`  other processes use ${pct(other)} of a core: waiting for a quieter moment`);
    warned = true;
  }
}

function selfCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

// ---------------------------------------------------------------- processes

interface Child {
  proc: ChildProcess;
  pid: number;
  port: number;
  /** The proxy's direct TLS port. */
  directPort?: number;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

function track(proc: ChildProcess): void {
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
}

async function stopChild(proc: ChildProcess, graceMs: number): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = once(proc, 'exit');
  proc.kill('SIGTERM');
  try {
    await withTimeout(exited, graceMs, `pid ${proc.pid} exit`);
  } catch {
    proc.kill('SIGKILL');
    await withTimeout(exited, 5000, `pid ${proc.pid} kill`).catch(() => {});
  }
}

/** Waits until `stream` has printed a line matching `re`, or the process ends, or time runs out. */
function waitForLine(
  proc: ChildProcess,
  stream: NodeJS.ReadableStream,
  re: RegExp,
  ms: number,
  what: string,
): Promise<RegExpExecArray> {
  let text = '';
  const p = new Promise<RegExpExecArray>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const m = re.exec(text);
      if (m) {
        stream.off('data', onData);
        proc.off('exit', onExit);
        stream.resume();
        resolve(m);
      }
    };
    const onExit = (code: number | null) =>
      reject(new Error(`${what} exited (${code}) before it was ready: ${text.trim().slice(0, 400)}`));
    stream.on('data', onData);
    proc.once('exit', onExit);
  });
  return withTimeout(p, ms, what);
}

interface Certs {
  dir: string;
  caPem: string;
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** The origin's CA and an ECDSA P-256 leaf for 127.0.0.1 and the benchmark host name. */
function makeOriginCerts(dir: string): Certs {
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=bench origin CA',
  ]);
  run(['req', ...ec, '-keyout', 'origin.key', '-out', 'origin.csr', '-subj', '/CN=127.0.0.1']);
  writeFileSync(
    join(dir, 'ext.cnf'),
    `basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost,DNS:${HOST}\n`,
  );
  run([
    'x509',
    '-req',
    '-in',
    'origin.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'origin.pem',
    '-days',
    '2',
    '-extfile',
    'ext.cnf',
  ]);
  const caFile = join(dir, 'ca.pem');
  return {
    dir,
    caPem: readFileSync(caFile, 'utf8'),
    caFile,
    certFile: join(dir, 'origin.pem'),
    keyFile: join(dir, 'origin.key'),
  };
}

async function startOrigin(certs: Certs): Promise<Child> {
  const proc = spawn(process.execPath, [ORIGIN_JS, certs.certFile, certs.keyFile], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  track(proc);
  const m = await waitForLine(proc, proc.stdout as NodeJS.ReadableStream, /^(\d+)\n/, 10_000, 'origin');
  return {
    proc,
    pid: proc.pid as number,
    port: Number(m[1]),
    stop: async () => {
      proc.stdin?.end();
      await stopChild(proc, 5000);
    },
  };
}

interface ProxyChildOptions {
  home: string;
  originPort?: number;
  originCaFile?: string;
  nodeArgs?: string[];
  /** Where `-o` writes the policy at exit (keeps stdout quiet). */
  policyFile?: string;
  /** `--upstream stub`: intercepted calls are answered by the proxy itself. */
  stub?: boolean;
}

function proxyArgs(o: ProxyChildOptions): string[] {
  const args = [...(o.nodeArgs ?? []), MAIN_JS, 'proxy', '--port', '0'];
  if (o.originPort !== undefined) args.push('--upstream', `https://127.0.0.1:${o.originPort}`);
  if (o.originCaFile !== undefined) args.push('--upstream-ca', o.originCaFile);
  if (o.stub) args.push('--upstream', 'stub');
  args.push('-q');
  if (o.policyFile !== undefined) args.push('-o', o.policyFile);
  return args;
}

const LISTENING = /listening on http:\/\/127\.0\.0\.1:(\d+)/;
/** The listening line and the export line after it, which names the direct TLS port. */
const LISTENING_DIRECT =
  /listening on http:\/\/127\.0\.0\.1:(\d+)[\s\S]*?LEASTPRIV_DIRECT=127\.0\.0\.1:(\d+)/;

async function startProxyChild(o: ProxyChildOptions): Promise<Child> {
  const proc = spawn(process.execPath, proxyArgs(o), {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, LEASTPRIV_HOME: o.home },
  });
  track(proc);
  const m = await waitForLine(
    proc,
    proc.stderr as NodeJS.ReadableStream,
    LISTENING_DIRECT,
    15_000,
    'leastpriv proxy',
  );
  // Keep draining stderr so a chatty proxy never blocks on a full pipe.
  proc.stderr?.on('data', () => {});
  return {
    proc,
    pid: proc.pid as number,
    port: Number(m[1]),
    directPort: Number(m[2]),
    // At SIGTERM the proxy builds its policy from every recorded call: give it time.
    stop: () => stopChild(proc, 60_000),
  };
}

/** `leastpriv ca --path` in `home`: makes the CA on first use and returns its certificate. */
function leastprivCa(home: string): string {
  const path = execFileSync(process.execPath, [MAIN_JS, 'ca', '--path'], {
    env: { ...process.env, LEASTPRIV_HOME: home },
    encoding: 'utf8',
  }).trim();
  return readFileSync(path, 'utf8');
}

// ---------------------------------------------------------------- the client

/** A CONNECT tunnel through the proxy to `HOST:443`. */
async function connectTunnel(proxyPort: number): Promise<net.Socket> {
  const socket = net.connect({ host: '127.0.0.1', port: proxyPort, noDelay: true });
  await withTimeout(once(socket, 'connect'), 5000, 'proxy connect');
  socket.write(`CONNECT ${HOST}:443 HTTP/1.1\r\nHost: ${HOST}:443\r\nUser-Agent: leastpriv-bench/1\r\n\r\n`);
  const answer = new Promise<net.Socket>((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      socket.off('error', reject);
      socket.pause();
      const status = buf.toString('latin1', 0, end).split('\r\n')[0] ?? '';
      if (!/^HTTP\/1\.[01] 200/.test(status)) {
        socket.destroy();
        reject(new Error(`CONNECT refused: ${status}`));
        return;
      }
      const rest = buf.subarray(end + 4);
      if (rest.length > 0) socket.unshift(rest);
      resolve(socket);
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
  return withTimeout(answer, 5000, 'CONNECT');
}

type Mode = 'direct' | 'proxied';

interface Endpoint {
  mode: Mode;
  open(): Promise<HttpConn>;
  /** Responses received on every connection this endpoint opened. */
  completed: number;
}

function directEndpoint(originPort: number, originCa: string): Endpoint {
  const ep: Endpoint = {
    mode: 'direct',
    completed: 0,
    async open() {
      const socket = tls.connect({
        host: '127.0.0.1',
        port: originPort,
        servername: HOST,
        ca: originCa,
        ALPNProtocols: ['http/1.1'],
      });
      socket.setNoDelay(true);
      await withTimeout(once(socket, 'secureConnect'), 5000, 'TLS to origin');
      return new HttpConn(socket, () => ep.completed++);
    },
  };
  return ep;
}

function proxiedEndpoint(proxyPort: number, leastprivCaPem: string): Endpoint {
  const ep: Endpoint = {
    mode: 'proxied',
    completed: 0,
    async open() {
      const raw = await connectTunnel(proxyPort);
      const socket = tls.connect({
        socket: raw,
        servername: HOST,
        ca: leastprivCaPem,
        ALPNProtocols: ['http/1.1'],
      });
      await withTimeout(once(socket, 'secureConnect'), 5000, 'TLS through the proxy');
      return new HttpConn(socket, () => ep.completed++);
    },
  };
  return ep;
}

interface Response {
  status: number;
  head: string;
}

/** A minimal HTTP/1.1 keep-alive client on one connection: one request at a time. */
class HttpConn {
  private buf: Buffer = Buffer.alloc(0);
  private pending: { resolve: (r: Response) => void; reject: (e: Error) => void } | null = null;
  private dead: Error | null = null;

  constructor(
    readonly socket: Duplex,
    private readonly onResponse: () => void = () => {},
  ) {
    socket.on('data', (chunk: Buffer) => {
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
      this.parse();
    });
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  /** Waits for the next response; the caller writes the request. */
  response(): Promise<Response> {
    if (this.dead) return Promise.reject(this.dead);
    if (this.pending) return Promise.reject(new Error('one request at a time'));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.parse();
    });
  }

  request(bytes: Buffer): Promise<Response> {
    const r = this.response();
    this.socket.write(bytes);
    return r;
  }

  close(): void {
    this.socket.destroy();
  }

  get alive(): boolean {
    return this.dead === null && !this.socket.destroyed;
  }

  private parse(): void {
    if (!this.pending) return;
    const end = this.buf.indexOf('\r\n\r\n');
    if (end === -1) return;
    const head = this.buf.toString('latin1', 0, end);
    let total: number;
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (length?.[1] !== undefined) total = end + 4 + Number(length[1]);
    else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
      const last = this.buf.indexOf('\r\n0\r\n\r\n', end + 2);
      if (last === -1) return;
      total = last + 7;
    } else total = end + 4;
    if (this.buf.length < total) return;
    this.buf = this.buf.subarray(total);
    const p = this.pending;
    this.pending = null;
    this.onResponse();
    p.resolve({ status: Number(head.slice(9, 12)), head });
  }

  private fail(err: Error): void {
    this.dead ??= err;
    const p = this.pending;
    this.pending = null;
    p?.reject(err);
  }
}

// ---------------------------------------------------------------- the parts

interface Cpu {
  client: number;
  origin: number;
  proxy: number;
  /** Everything else on the machine (other users' tests, the kernel). */
  other: number;
}

/** Runs `conns` request loops for `ms`; returns requests completed and CPU seconds used. */
async function load(conns: HttpConn[], ms: number, pids: { origin: number; proxy?: number }) {
  const cpu0 = cpuNow(pids);
  const t0 = performance.now();
  const deadline = t0 + ms;
  let done = 0;
  await Promise.all(
    conns.map(async (c) => {
      while (performance.now() < deadline) {
        const r = await c.request(GET_1K);
        if (r.status !== 200) throw new Error(`GET answered ${r.status}: ${r.head.split('\r\n')[0]}`);
        done++;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu1 = cpuNow(pids);
  return {
    rps: done / seconds,
    done,
    cpu: {
      client: (cpu1.client - cpu0.client) / seconds,
      origin: (cpu1.origin - cpu0.origin) / seconds,
      proxy: (cpu1.proxy - cpu0.proxy) / seconds,
      other: Math.max(
        0,
        (cpu1.other -
          cpu0.other -
          (cpu1.client - cpu0.client) -
          (cpu1.origin - cpu0.origin) -
          (cpu1.proxy - cpu0.proxy)) /
          seconds,
      ),
    } satisfies Cpu,
  };
}

function cpuNow(pids: { origin: number; proxy?: number }): Cpu {
  return {
    client: selfCpuSeconds(),
    origin: procCpuSeconds(pids.origin),
    proxy: pids.proxy === undefined ? 0 : procCpuSeconds(pids.proxy),
    other: machineBusySeconds(),
  };
}

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}

/**
 * Replaces connections a server closed while the benchmark waited for a quiet machine (the
 * proxy drops idle keep-alive connections after 65 s) and warms the new ones.
 */
async function refresh(ep: Endpoint, conns: HttpConn[]): Promise<void> {
  let replaced = 0;
  for (let i = 0; i < conns.length; i++) {
    if ((conns[i] as HttpConn).alive) continue;
    conns[i] = await ep.open();
    replaced++;
  }
  if (replaced > 0)
    await Promise.all(
      conns.map(async (c) => {
        for (let i = 0; i < 50; i++) await c.request(GET_1K);
      }),
    );
}

async function throughput(
  endpoints: Endpoint[],
  pids: { origin: number; proxy: number },
  log: (l: string) => void,
): Promise<Figure[]> {
  const rss0 = procStatus(pids.proxy, 'VmRSS');
  const calls0 = endpoints.find((e) => e.mode === 'proxied')?.completed ?? 0;
  const pools = new Map<Mode, HttpConn[]>();
  for (const ep of endpoints) {
    const conns: HttpConn[] = [];
    for (let i = 0; i < CONCURRENCY; i++) conns.push(await ep.open());
    pools.set(ep.mode, conns);
  }
  const rps = new Map<Mode, number[]>();
  const cpus = new Map<Mode, Cpu[]>();
  const perRequestProxyUs: number[] = [];
  for (const ep of endpoints) {
    const conns = pools.get(ep.mode) as HttpConn[];
    await load(conns, WARMUP_MS, ep.mode === 'proxied' ? pids : { origin: pids.origin });
  }
  for (let rep = 0; rep < REPEATS; rep++) {
    for (const ep of endpoints) {
      await awaitQuiet([pids.origin, pids.proxy], log);
      const conns = pools.get(ep.mode) as HttpConn[];
      await refresh(ep, conns);
      const r = await load(conns, MEASURE_MS, ep.mode === 'proxied' ? pids : { origin: pids.origin });
      rps.set(ep.mode, [...(rps.get(ep.mode) ?? []), r.rps]);
      cpus.set(ep.mode, [...(cpus.get(ep.mode) ?? []), r.cpu]);
      if (ep.mode === 'proxied') perRequestProxyUs.push((r.cpu.proxy / r.rps) * 1e6);
      log(
        `  ${ep.mode.padEnd(8)} run ${rep + 1}: ${Math.round(r.rps)} req/s  cpu: client ${pct(r.cpu.client)}, ` +
          `origin ${pct(r.cpu.origin)}${ep.mode === 'proxied' ? `, proxy ${pct(r.cpu.proxy)}` : ''}, ` +
          `other processes ${pct(r.cpu.other)}`,
      );
    }
  }
  for (const conns of pools.values()) for (const c of conns) c.close();
  const calls = (endpoints.find((e) => e.mode === 'proxied')?.completed ?? 0) - calls0;
  const rss1 = procStatus(pids.proxy, 'VmRSS');
  const rssNote = `proxy RSS ${Math.round(rss0 / 1024 ** 2)} -> ${Math.round(rss1 / 1024 ** 2)} MiB after ${calls} recorded calls`;
  log(`  ${rssNote}`);
  const direct = median(rps.get('direct') ?? []);
  const proxied = median(rps.get('proxied') ?? []);
  const cpuNote = (mode: Mode) => {
    const list = cpus.get(mode) ?? [];
    const m = (k: keyof Cpu) => pct(median(list.map((c) => c[k])));
    return (
      `CPU (of one core): client ${m('client')}, origin ${m('origin')}` +
      `${mode === 'proxied' ? `, proxy ${m('proxy')}` : ''}, other processes ${m('other')}`
    );
  };
  return [
    { name: 'proxy.get1k_c32.direct_rps', value: Math.round(direct), unit: 'req/s', note: cpuNote('direct') },
    {
      name: 'proxy.get1k_c32.proxied_rps',
      value: Math.round(proxied),
      unit: 'req/s',
      note: `${cpuNote('proxied')}; ${rssNote}`,
    },
    { name: 'proxy.get1k_c32.ratio', value: round(proxied / direct, 3), unit: 'x' },
    {
      name: 'proxy.get1k_c32.proxy_cpu_per_req',
      value: round(median(perRequestProxyUs), 1),
      unit: 'us',
      note: 'user+system CPU of the proxy process per proxied request',
    },
  ];
}

async function latency(
  endpoints: Endpoint[],
  pids: { origin: number; proxy: number },
  log: (l: string) => void,
): Promise<Figure[]> {
  const conns = new Map<Mode, HttpConn>();
  for (const ep of endpoints) conns.set(ep.mode, await ep.open());
  const p50s = new Map<Mode, number[]>();
  const p99s = new Map<Mode, number[]>();
  for (const ep of endpoints) {
    const c = conns.get(ep.mode) as HttpConn;
    for (let i = 0; i < LATENCY_WARMUP; i++) await c.request(GET_1K);
  }
  for (let rep = 0; rep < REPEATS; rep++) {
    for (const ep of endpoints) {
      await awaitQuiet([pids.origin, pids.proxy], log);
      const pool = [conns.get(ep.mode) as HttpConn];
      await refresh(ep, pool);
      const c = pool[0] as HttpConn;
      conns.set(ep.mode, c);
      const times: number[] = [];
      const deadline = performance.now() + LATENCY_MS;
      while (performance.now() < deadline) {
        const t0 = performance.now();
        const r = await c.request(GET_1K);
        times.push(performance.now() - t0);
        if (r.status !== 200) throw new Error(`GET answered ${r.status}`);
      }
      times.sort((a, b) => a - b);
      const p50 = median(times);
      const p99 = times[Math.min(times.length - 1, Math.floor(times.length * 0.99))] as number;
      p50s.set(ep.mode, [...(p50s.get(ep.mode) ?? []), p50]);
      p99s.set(ep.mode, [...(p99s.get(ep.mode) ?? []), p99]);
      log(
        `  ${ep.mode.padEnd(8)} run ${rep + 1}: p50 ${p50.toFixed(3)} ms, p99 ${p99.toFixed(3)} ms (${times.length} requests)`,
      );
    }
  }
  for (const c of conns.values()) c.close();
  const direct = median(p50s.get('direct') ?? []);
  const proxied = median(p50s.get('proxied') ?? []);
  return [
    {
      name: 'proxy.latency_c1.direct_p50',
      value: round(direct, 3),
      unit: 'ms',
      note: `p99 ${median(p99s.get('direct') ?? []).toFixed(3)} ms`,
    },
    {
      name: 'proxy.latency_c1.proxied_p50',
      value: round(proxied, 3),
      unit: 'ms',
      note: `p99 ${median(p99s.get('proxied') ?? []).toFixed(3)} ms`,
    },
    { name: 'proxy.latency_c1.added_p50', value: round(proxied - direct, 3), unit: 'ms' },
  ];
}

async function upload(proxy: Child, leastprivCaPem: string, log: (l: string) => void): Promise<Figure[]> {
  const ep = proxiedEndpoint(proxy.port, leastprivCaPem);
  const conn = await ep.open();
  const chunk = randomFillSync(Buffer.alloc(UPLOAD_CHUNK));

  const put = async (bytes: number): Promise<Response> => {
    const head = s3Request(
      'PUT',
      '/objects/big.bin',
      `Content-Type: application/octet-stream\r\nContent-Length: ${bytes}\r\n`,
    );
    const answer = conn.response();
    let early: Response | null = null;
    answer.then(
      (r) => {
        early = r;
      },
      () => {},
    );
    conn.socket.write(head);
    for (let sent = 0; sent < bytes; ) {
      if (early) break;
      const n = Math.min(UPLOAD_CHUNK, bytes - sent);
      if (!conn.socket.write(n === UPLOAD_CHUNK ? chunk : chunk.subarray(0, n)))
        await withTimeout(once(conn.socket, 'drain'), 30_000, 'upload drain');
      sent += n;
    }
    const r = await withTimeout(answer, 60_000, 'upload answer');
    const received = /\r\nx-received:\s*(\d+)/i.exec(r.head)?.[1];
    if (r.status !== 200 || Number(received) !== bytes)
      throw new Error(`PUT of ${bytes} bytes: ${r.head.split('\r\n')[0]}, origin received ${received}`);
    return r;
  };

  // Warm the path (TLS, leaf certificate, upstream connection, JIT), then settle.
  for (let i = 0; i < 4; i++) await put(8 * 1024 * 1024);
  await sleep(500);
  const before = procStatus(proxy.pid, 'VmRSS');
  let hwmReset = true;
  try {
    writeFileSync(`/proc/${proxy.pid}/clear_refs`, '5');
  } catch {
    hwmReset = false;
  }
  let peak = before;
  const sampler = setInterval(() => {
    try {
      peak = Math.max(peak, procStatus(proxy.pid, 'VmRSS'));
    } catch {
      // the proxy ended: the upload will fail and say why
    }
  }, RSS_SAMPLE_MS);
  const t0 = performance.now();
  try {
    await withTimeout(put(UPLOAD_BYTES), 300_000, '1 GiB upload');
  } finally {
    clearInterval(sampler);
  }
  const seconds = (performance.now() - t0) / 1000;
  const hwm = procStatus(proxy.pid, 'VmHWM');
  if (hwmReset) peak = Math.max(peak, hwm);
  conn.close();
  const mib = (b: number) => b / 1024 ** 2;
  log(
    `  RSS before ${mib(before).toFixed(1)} MiB, peak ${mib(peak).toFixed(1)} MiB ` +
      `(${hwmReset ? 'VmHWM reset before the upload' : 'sampled VmRSS only'}), ${seconds.toFixed(1)} s`,
  );
  return [
    {
      name: 'proxy.upload_1gib.rss_growth',
      value: round(mib(peak - before), 1),
      unit: 'MiB',
      note: `RSS ${mib(before).toFixed(0)} -> peak ${mib(peak).toFixed(0)} MiB`,
    },
    { name: 'proxy.upload_1gib.rate', value: round(mib(UPLOAD_BYTES) / seconds, 0), unit: 'MiB/s' },
  ];
}

async function ready(home: string, log: (l: string) => void): Promise<Figure[]> {
  const runOnce = async () => {
    const t0 = performance.now();
    const proc = spawn(process.execPath, [MAIN_JS, 'proxy', '--port', '0', '-q'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, LEASTPRIV_HOME: home },
    });
    track(proc);
    try {
      const m = await waitForLine(proc, proc.stderr as NodeJS.ReadableStream, LISTENING, 10_000, 'proxy');
      const tLine = performance.now() - t0;
      const socket = net.connect({ host: '127.0.0.1', port: Number(m[1]) });
      await withTimeout(once(socket, 'connect'), 5000, 'connect to the new proxy');
      const tAccept = performance.now() - t0;
      socket.destroy();
      return { tLine, tAccept };
    } finally {
      await stopChild(proc, 10_000);
    }
  };
  await runOnce(); // file cache and CA on disk
  const lines: number[] = [];
  const accepts: number[] = [];
  for (let i = 0; i < READY_RUNS; i++) {
    await awaitQuiet([], log);
    const r = await runOnce();
    lines.push(r.tLine);
    accepts.push(r.tAccept);
  }
  log(
    `  listening line ${lines.map((x) => x.toFixed(0)).join(', ')} ms; accepting ${accepts.map((x) => x.toFixed(0)).join(', ')} ms`,
  );
  return [
    {
      name: 'proxy.ready',
      value: round(median(accepts), 1),
      unit: 'ms',
      note: `spawn to first accepted connection, median of ${READY_RUNS}; listening line at ${median(lines).toFixed(0)} ms`,
    },
  ];
}

// ---------------------------------------------------------------- entry

export async function benchProxy(options: ProxyBenchOptions = {}): Promise<Figure[]> {
  const parts = new Set(options.parts ?? PROXY_PARTS);
  const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const tmp = mkdtempSync(join(tmpdir(), 'leastpriv-bench-'));
  const home = join(tmp, 'home');
  const figures: Figure[] = [];
  const running: Child[] = [];
  try {
    const caPem = leastprivCa(home);
    const certs = makeOriginCerts(mkdtempSync(join(tmp, 'origin-')));
    const needsOrigin = parts.has('throughput') || parts.has('latency') || parts.has('upload');
    const origin = needsOrigin ? await startOrigin(certs) : null;
    if (origin) running.push(origin);

    if (origin && (parts.has('throughput') || parts.has('latency'))) {
      const profiling = options.profileDir !== undefined;
      const proxy = await startProxyChild({
        home,
        originPort: origin.port,
        originCaFile: certs.caFile,
        policyFile: join(tmp, 'policy.json'),
        ...(profiling ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] } : {}),
      });
      running.push(proxy);
      const endpoints = [directEndpoint(origin.port, certs.caPem), proxiedEndpoint(proxy.port, caPem)];
      if (parts.has('throughput')) {
        log(`proxy throughput: 1 KiB GETs, ${CONCURRENCY} in flight, ${REPEATS} x ${MEASURE_MS / 1000} s`);
        figures.push(...(await throughput(endpoints, { origin: origin.pid, proxy: proxy.pid }, log)));
      }
      if (parts.has('latency')) {
        log(`proxy latency: 1 KiB GETs, 1 in flight, ${REPEATS} x ${LATENCY_MS / 1000} s`);
        figures.push(...(await latency(endpoints, { origin: origin.pid, proxy: proxy.pid }, log)));
      }
      const before = profiling ? new Set(readdirSync(options.profileDir as string)) : new Set<string>();
      await proxy.stop();
      if (profiling) {
        const dir = options.profileDir as string;
        for (const f of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile') && !before.has(f))) {
          log(`proxy CPU profile: ${join(dir, f)}`);
          log(summarizeProfile(join(dir, f)));
        }
      }
    }

    if (origin && parts.has('upload')) {
      log('proxy upload: 1 GiB PUT through the proxy');
      const proxy = await startProxyChild({
        home,
        originPort: origin.port,
        originCaFile: certs.caFile,
        policyFile: join(tmp, 'policy-upload.json'),
      });
      running.push(proxy);
      figures.push(...(await upload(proxy, caPem, log)));
    }

    if (parts.has('ready')) {
      log('proxy ready time: spawn to accepting, existing CA');
      figures.push(...(await ready(home, log)));
    }

    if (parts.has('hostile')) {
      log(
        'proxy hostile round: malformed and abusive connections to a `--upstream stub` proxy, loopback only',
      );
      const proxy = await startProxyChild({ home, stub: true, policyFile: join(tmp, 'policy-hostile.json') });
      running.push(proxy);
      figures.push(
        ...(await hostile(
          {
            pid: proxy.pid,
            port: proxy.port,
            directPort: proxy.directPort as number,
            maxConnections: DEFAULT_LIMITS.maxConnections,
            handshakeMs: DEFAULT_LIMITS.handshakeMs,
          },
          caPem,
          log,
        )),
      );
    }
  } finally {
    for (const c of running.reverse()) await c.stop().catch(() => {});
    rmSync(tmp, { recursive: true, force: true });
  }
  return figures;
}
