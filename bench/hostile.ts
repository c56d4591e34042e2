/**
 * The hostile round (`--only proxy.hostile`): a bounded burst of malformed and abusive
 * connections against a real `leastpriv proxy --upstream stub` child, all to 127.0.0.1 (the
 * proxy's own ports and a local sink; the stub upstream answers intercepted calls itself, so
 * nothing leaves the machine). It counts what was sent and what came back, checks the proxy
 * still answers after every phase, and reads the proxy's open descriptors (/proc/PID/fd) and
 * RSS before, at the peak and after each of three rounds: flat means a round leaves nothing behind.
 *
 *   malformed CONNECT  targets the boundary must refuse with 400 (bad labels, wildcards, URLs, ports)
 *   half-open          CONNECTs (and direct-port connections) closed before any TLS byte
 *   garbage TLS        random bytes where a ClientHello belongs, on both ports
 *   oversized headers  a 100 KiB header (limit 64 KiB: 4xx), and 8,000 small ones (Node keeps 1,000: any answer)
 *   slowloris          request heads dripped a byte at a time, then dropped by the client
 *   nested bodies      JSON, XML and CBOR nested 100,000 deep, to services that parse them
 *   idle               blind tunnels and intercepted keep-alive connections held open, then dropped
 *   connection limit   more idle connections than the limit: the rest get 503
 *   abandoned          CONNECTs that never start TLS and never close: the proxy closes them
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import * as tls from 'node:tls';
import type { Figure } from './types.js';

export interface HostileTarget {
  pid: number;
  port: number;
  directPort: number;
  /** The proxy's connection limit and handshake limit (what the proxy in test runs with). */
  maxConnections: number;
  handshakeMs: number;
}

const MALFORMED = [
  'a..amazonaws.com:443',
  `${'a'.repeat(64)}.s3.amazonaws.com:443`,
  '*.s3.amazonaws.com:443',
  'http://s3.amazonaws.com:443',
  'https://s3.amazonaws.com:443',
  's3.amazonaws.com',
  's3.amazonaws.com:0',
  's3.amazonaws.com:99999',
  ':443',
  '[::1:443',
  `${'a.'.repeat(130)}amazonaws.com:443`,
  '-x.amazonaws.com:443',
  's3.amazonaws.com:443/path',
  'user@s3.amazonaws.com:443',
  `${'%'.repeat(300)}:443`,
];
const MALFORMED_REPEATS = 20;
const HALF_OPEN = 500;
const HALF_OPEN_DIRECT = 200;
const GARBAGE = 200;
const OVERSIZED = 50;
const SLOWLORIS = 100;
const SLOWLORIS_MS = 4000;
const NESTED_EACH = 5;
const NESTING = 100_000;
const IDLE_TUNNELS = 100;
const IDLE_INTERCEPTED = 100;
const IDLE_MS = 3000;
const OVER_LIMIT = 100;
const ABANDONED = 100;
const BATCH = 50;
const SETTLE_MS = 20_000;
const ROUNDS = 3;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing in ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function fds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

function rss(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? Number.NaN) * 1024;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const oneLine = (s: string) => s.slice(0, 60).replace(/\r\n/g, ' | ');
const mib = (b: number) => Math.round((b / 1024 ** 2) * 10) / 10;

/** Runs `fn` for 0..n-1, at most BATCH at once. */
async function batched(n: number, fn: (i: number) => Promise<void>): Promise<void> {
  for (let i = 0; i < n; i += BATCH) {
    await Promise.all(Array.from({ length: Math.min(BATCH, n - i) }, (_, j) => fn(i + j).catch(() => {})));
  }
}

/** A socket to the proxy, connected. */
async function dial(port: number): Promise<net.Socket> {
  const s = net.connect({ host: '127.0.0.1', port });
  s.on('error', () => {});
  await withTimeout(once(s, 'connect'), 10_000, 'connect to the proxy');
  return s;
}

/** Everything the proxy sends until it closes (or `ms` passes: then the client closes). */
function drain(s: net.Socket, ms: number): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const timer = setTimeout(() => s.destroy(), ms);
    s.on('data', (c: Buffer) => {
      if (text.length < 4096) text += c.toString('latin1');
    });
    s.once('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
  });
}

/** Sends CONNECT and reads the answer's status; the socket is left paused after the head. */
async function connect(port: number, target: string): Promise<{ socket: net.Socket; status: number }> {
  const socket = await dial(port);
  socket.write(
    `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\nUser-Agent: leastpriv-bench-hostile\r\n\r\n`,
  );
  const status = await withTimeout(
    new Promise<number>((resolve, reject) => {
      let buf = '';
      const onData = (c: Buffer) => {
        buf += c.toString('latin1');
        const end = buf.indexOf('\r\n\r\n');
        if (end === -1) return;
        socket.off('data', onData);
        socket.pause();
        resolve(Number(buf.slice(9, 12)));
      };
      socket.on('data', onData);
      socket.once('close', () => reject(new Error('closed before answering CONNECT')));
    }),
    10_000,
    `CONNECT ${target.slice(0, 40)}`,
  );
  return { socket, status };
}

/** TLS through a CONNECT to `host`, trusting leastpriv's CA. */
async function intercepted(port: number, host: string, caPem: string): Promise<tls.TLSSocket> {
  const { socket, status } = await connect(port, `${host}:443`);
  if (status !== 200) throw new Error(`CONNECT ${host}: ${status}`);
  const t = tls.connect({ socket, servername: host, ca: caPem, ALPNProtocols: ['http/1.1'] });
  t.on('error', () => {});
  await withTimeout(once(t, 'secureConnect'), 10_000, `TLS to ${host}`);
  return t;
}

/** Sends one request on `t` and waits for the response head's status. */
async function ask(t: tls.TLSSocket, head: string, body: Buffer = Buffer.alloc(0)): Promise<number> {
  const status = new Promise<number>((resolve, reject) => {
    let buf = '';
    const onData = (c: Buffer) => {
      buf += c.toString('latin1');
      if (buf.indexOf('\r\n\r\n') === -1) return;
      t.off('data', onData);
      resolve(Number(buf.slice(9, 12)));
    };
    t.on('data', onData);
    t.once('close', () => reject(new Error('closed before answering')));
  });
  t.write(head);
  if (body.length > 0) t.write(body);
  return withTimeout(status, 30_000, 'response');
}

/** CBOR: `depth` nested one-element arrays around 0. */
function nestedCbor(depth: number): Buffer {
  const b = Buffer.alloc(depth + 1, 0x81);
  b[depth] = 0x00;
  return b;
}

interface Tally {
  sent: number;
  unexpected: number;
  notes: string[];
}

/** One hostile round; returns the connections and requests it sent. */
async function round(
  t: HostileTarget,
  caPem: string,
  sinkPort: number,
  log: (l: string) => void,
  tally: Tally,
) {
  const { port, directPort } = t;
  const expect = (ok: boolean, what: string) => {
    if (ok) return;
    tally.unexpected++;
    if (tally.notes.length < 10) tally.notes.push(what);
  };
  const check = async (phase: string) => {
    if (!alive(t.pid)) throw new Error(`the proxy exited during ${phase}`);
    const s = await intercepted(port, 'sts.amazonaws.com', caPem);
    const status = await ask(
      s,
      'POST / HTTP/1.1\r\nHost: sts.amazonaws.com\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 43\r\n\r\n',
      Buffer.from('Action=GetCallerIdentity&Version=2011-06-15'),
    );
    s.destroy();
    if (status !== 200) throw new Error(`the proxy answered ${status} after ${phase}`);
  };

  // Malformed CONNECT targets: 400 each.
  await batched(MALFORMED.length * MALFORMED_REPEATS, async (i) => {
    const s = await dial(port);
    tally.sent++;
    s.write(`CONNECT ${MALFORMED[i % MALFORMED.length]} HTTP/1.1\r\nHost: x\r\n\r\n`);
    const answer = await drain(s, 10_000);
    expect(answer.startsWith('HTTP/1.1 400 '), `malformed CONNECT got ${oneLine(answer)}`);
  });
  await check('malformed CONNECTs');

  // Half-open: closed before the TLS handshake.
  await batched(HALF_OPEN, async () => {
    const { socket, status } = await connect(port, 's3.us-east-1.amazonaws.com:443');
    tally.sent++;
    expect(status === 200, `half-open CONNECT got ${status}`);
    socket.end();
  });
  await batched(HALF_OPEN_DIRECT, async () => {
    const s = await dial(directPort);
    tally.sent++;
    s.end();
  });
  await check('half-open sockets');

  // Garbage where a ClientHello belongs.
  await batched(GARBAGE, async (i) => {
    tally.sent++;
    if (i % 2 === 0) {
      const { socket } = await connect(port, 'dynamodb.us-east-1.amazonaws.com:443');
      socket.resume();
      socket.write(randomBytes(512));
      await drain(socket, 10_000);
    } else {
      const s = await dial(directPort);
      s.write(Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0xff, 0xff]), randomBytes(1024)]));
      await drain(s, 10_000);
    }
  });
  await check('garbage TLS');

  // Oversized headers: 4xx, never a crash.
  await batched(OVERSIZED, async (i) => {
    const s = await dial(port);
    tally.sent++;
    const headers =
      i % 2 === 0
        ? `X-Big: ${'a'.repeat(100 * 1024)}\r\n`
        : Array.from({ length: 8000 }, (_, j) => `X-H${j}: v\r\n`).join('');
    s.write(`GET http://s3.amazonaws.com/ HTTP/1.1\r\nHost: s3.amazonaws.com\r\n${headers}\r\n`);
    const answer = await drain(s, 10_000);
    // Node's parser keeps the first 1,000 of many small headers and drops the rest: an answer.
    const ok = i % 2 === 0 ? /^HTTP\/1\.1 4\d\d /.test(answer) : /^HTTP\/1\.1 \d\d\d /.test(answer);
    expect(ok, `oversized headers got ${oneLine(answer) || 'no answer'}`);
  });
  await check('oversized headers');

  // Deeply nested bodies to services whose protocol parses them.
  const nested: { host: string; head: (n: number) => string; body: Buffer }[] = [
    {
      host: 'dynamodb.us-east-1.amazonaws.com',
      head: (n) =>
        'POST / HTTP/1.1\r\nHost: dynamodb.us-east-1.amazonaws.com\r\nX-Amz-Target: DynamoDB_20120810.PutItem\r\n' +
        `Content-Type: application/x-amz-json-1.0\r\nContent-Length: ${n}\r\n\r\n`,
      body: Buffer.from(`{"TableName":"t","Item":${'['.repeat(NESTING)}${']'.repeat(NESTING)}}`),
    },
    {
      host: 'fuzz.s3.us-east-1.amazonaws.com',
      head: (n) =>
        `POST /?delete HTTP/1.1\r\nHost: fuzz.s3.us-east-1.amazonaws.com\r\nContent-Type: application/xml\r\nContent-Length: ${n}\r\n\r\n`,
      body: Buffer.from(`<Delete>${'<a>'.repeat(NESTING)}${'</a>'.repeat(NESTING)}</Delete>`),
    },
    {
      host: 'monitoring.us-east-1.amazonaws.com',
      head: (n) =>
        'POST /service/GraniteServiceVersion20100801/operation/GetMetricData HTTP/1.1\r\n' +
        'Host: monitoring.us-east-1.amazonaws.com\r\nSmithy-Protocol: rpc-v2-cbor\r\nContent-Type: application/cbor\r\n' +
        `Content-Length: ${n}\r\n\r\n`,
      body: nestedCbor(NESTING),
    },
  ];
  for (const n of nested) {
    for (let i = 0; i < NESTED_EACH; i++) {
      const s = await intercepted(port, n.host, caPem);
      tally.sent++;
      const status = await ask(s, n.head(n.body.length), n.body).catch(() => 0);
      expect(status > 0, `nested body to ${n.host} got no answer`);
      s.destroy();
    }
  }
  await check('nested bodies');

  // Slowloris and idle connections, all held at once, then dropped by the clients.
  const held: net.Socket[] = [];
  const drips: NodeJS.Timeout[] = [];
  await batched(SLOWLORIS, async () => {
    const s = await dial(port);
    tally.sent++;
    held.push(s);
    const text = Buffer.from('GET http://s3.amazonaws.com/ HTTP/1.1\r\nHost: s3.amazonaws.com\r\n');
    let at = 0;
    drips.push(
      setInterval(() => {
        if (at < text.length && !s.destroyed) s.write(text.subarray(at, ++at));
      }, 200),
    );
  });
  await batched(IDLE_TUNNELS, async () => {
    const { socket, status } = await connect(port, `127.0.0.1:${sinkPort}`);
    tally.sent++;
    expect(status === 200, `blind tunnel got ${status}`);
    socket.on('error', () => {});
    held.push(socket);
  });
  await batched(IDLE_INTERCEPTED, async () => {
    const s = await intercepted(port, 'sqs.us-east-1.amazonaws.com', caPem);
    tally.sent++;
    await ask(
      s,
      'POST / HTTP/1.1\r\nHost: sqs.us-east-1.amazonaws.com\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 17\r\n\r\n',
      Buffer.from('Action=ListQueues'),
    );
    held.push(s as unknown as net.Socket);
  });
  const peakFds = fds(t.pid);
  const peakRss = rss(t.pid);
  await sleep(Math.max(0, SLOWLORIS_MS - IDLE_MS) + IDLE_MS);
  for (const d of drips) clearInterval(d);
  for (const s of held) s.destroy();
  await check('slowloris and idle connections');
  log(`  held ${held.length} slow and idle connections: proxy ${peakFds} fds, RSS ${mib(peakRss)} MiB`);
  return { peakFds, peakRss };
}

/** Opens connections past the limit: how many got 503. */
async function overLimit(t: HostileTarget, tally: Tally): Promise<number> {
  const held: net.Socket[] = [];
  let refused = 0;
  try {
    await batched(t.maxConnections + OVER_LIMIT, async () => {
      const s = await dial(t.port);
      tally.sent++;
      held.push(s);
      s.on('data', (c: Buffer) => {
        if (c.toString('latin1').startsWith('HTTP/1.1 503 ')) refused++;
      });
    });
    const deadline = performance.now() + 10_000;
    while (refused < OVER_LIMIT && performance.now() < deadline) await sleep(50);
  } finally {
    for (const s of held) s.destroy();
  }
  return refused;
}

/** CONNECTs that never start TLS and never close: how many the proxy closed by its handshake limit. */
async function abandoned(t: HostileTarget, tally: Tally): Promise<{ closed: number; ms: number }> {
  const sockets: net.Socket[] = [];
  await batched(ABANDONED, async () => {
    const { socket } = await connect(t.port, 'ec2.us-east-1.amazonaws.com:443');
    tally.sent++;
    socket.resume();
    sockets.push(socket);
  });
  const t0 = performance.now();
  const deadline = t0 + t.handshakeMs + 15_000;
  while (sockets.some((s) => !s.destroyed) && performance.now() < deadline) await sleep(100);
  const ms = performance.now() - t0;
  const closed = sockets.filter((s) => s.destroyed).length;
  for (const s of sockets) s.destroy();
  return { closed, ms };
}

async function settle(pid: number, limit: number): Promise<number> {
  const deadline = performance.now() + SETTLE_MS;
  let n = fds(pid);
  while (n > limit && performance.now() < deadline) {
    await sleep(100);
    n = fds(pid);
  }
  return n;
}

export async function hostile(t: HostileTarget, caPem: string, log: (l: string) => void): Promise<Figure[]> {
  const sink = net.createServer((s) => {
    s.on('error', () => {});
    s.resume();
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  const sinkPort = (sink.address() as net.AddressInfo).port;
  const tally: Tally = { sent: 0, unexpected: 0, notes: [] };
  const t0 = performance.now();
  try {
    // Warm up: load what the first intercepted call loads, so "before" is the steady state.
    for (let i = 0; i < 3; i++) {
      const s = await intercepted(t.port, 'sts.amazonaws.com', caPem);
      await ask(
        s,
        'GET /?Action=GetCallerIdentity&Version=2011-06-15 HTTP/1.1\r\nHost: sts.amazonaws.com\r\n\r\n',
      );
      s.destroy();
    }
    await sleep(500);
    const fds0 = fds(t.pid);
    const rss0 = rss(t.pid);
    log(`  before: ${fds0} fds, RSS ${mib(rss0)} MiB`);

    const after: { fds: number; rss: number; peakFds: number; peakRss: number }[] = [];
    for (let i = 1; i <= ROUNDS; i++) {
      const peak = await round(t, caPem, sinkPort, log, tally);
      const n = await settle(t.pid, fds0);
      after.push({ fds: n, rss: rss(t.pid), ...peak });
      log(`  after round ${i}: ${n} fds, RSS ${mib(rss(t.pid))} MiB`);
    }
    const last = after.at(-1) as (typeof after)[number];
    const prev = after.at(-2) as (typeof after)[number];

    log(`  ${t.maxConnections + OVER_LIMIT} idle connections against a limit of ${t.maxConnections}`);
    const refused = await overLimit(t, tally);
    const fds3 = await settle(t.pid, fds0);
    log(`  ${refused} got 503; then ${fds3} fds`);

    log(`  ${ABANDONED} CONNECTs left without a handshake (limit ${t.handshakeMs / 1000} s)`);
    const gone = await abandoned(t, tally);
    const fds4 = await settle(t.pid, fds0);
    const rss4 = rss(t.pid);
    log(
      `  the proxy closed ${gone.closed} in ${(gone.ms / 1000).toFixed(1)} s; then ${fds4} fds, RSS ${mib(rss4)} MiB`,
    );

    const crashes = alive(t.pid) ? 0 : 1;
    const seconds = (performance.now() - t0) / 1000;
    const zero = { op: '<=' as const, value: 0 };
    return [
      {
        name: 'proxy.hostile.sent',
        value: tally.sent,
        unit: 'conns',
        note: `${ROUNDS} rounds (malformed CONNECT, half-open, garbage TLS, oversized headers, nested bodies, slowloris, idle tunnels), the connection limit, abandoned handshakes; ${seconds.toFixed(0)} s`,
      },
      { name: 'proxy.hostile.crashes', value: crashes, unit: 'exits', target: zero },
      {
        name: 'proxy.hostile.unexpected',
        value: tally.unexpected,
        unit: 'answers',
        target: zero,
        ...(tally.notes.length > 0 ? { note: tally.notes.join('; ') } : {}),
      },
      {
        name: 'proxy.hostile.fds_growth',
        value: Math.max(...after.map((a) => a.fds), fds4) - fds0,
        unit: 'fds',
        target: { op: '<=', value: 2 },
        note: `proxy /proc/PID/fd: ${fds0} before, peak ${Math.max(...after.map((a) => a.peakFds))} while 300 were held, after rounds ${after.map((a) => a.fds).join(', ')}, ${fds4} at the end`,
      },
      {
        name: 'proxy.hostile.rss_growth_last_round',
        value: mib(last.rss - prev.rss),
        unit: 'MiB',
        target: { op: '<=', value: 16 },
        note: `proxy RSS ${mib(rss0)} MiB before, peak ${mib(Math.max(...after.map((a) => a.peakRss)))} while held, after rounds ${after.map((a) => mib(a.rss)).join(', ')}, ${mib(rss4)} at the end`,
      },
      {
        name: 'proxy.hostile.refused_at_limit',
        value: refused,
        unit: 'conns',
        target: { op: '>=', value: OVER_LIMIT },
        note: `${t.maxConnections + OVER_LIMIT} idle connections held against a limit of ${t.maxConnections}: the rest answered 503`,
      },
      {
        name: 'proxy.hostile.abandoned_closed',
        value: gone.closed,
        unit: 'conns',
        target: { op: '>=', value: ABANDONED },
        note: `CONNECTs with no handshake and no close, closed by the proxy in ${(gone.ms / 1000).toFixed(1)} s (handshake limit ${t.handshakeMs / 1000} s)`,
      },
    ];
  } finally {
    sink.close();
  }
}
