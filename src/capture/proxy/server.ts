import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import * as net from 'node:net';
import { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import type { ObservedCall } from '../../model/index.js';
import { isIntercepted } from './hosts.js';
import { type CallSink, type ConnTarget, Interceptor, type Upstream } from './intercept.js';
import { redactUri } from './sanitize.js';
import { parseConnectTarget } from './target.js';

export type { StubAnswer, Upstream } from './intercept.js';

/** Issues the TLS identity the proxy presents for an intercepted host. */
export interface LeafSource {
  secureContextFor(host: string): tls.SecureContext;
}

/** A client refused the proxy's certificate: it does not trust leastpriv's CA. */
export interface TlsRejection {
  host: string;
  /** OpenSSL's name for the alert the client sent (`unknown ca`, `bad certificate`...). */
  alert: string;
  /** User-Agent of the CONNECT request, when the client sent one. */
  userAgent: string | null;
}

/**
 * How long each phase of a client connection may last and how many connections may be open.
 * Defaults (DEFAULT_LIMITS) are far above what real clients need, measured and explained in
 * README "Performance"; a phase in which the proxy waits on the upstream (a slow answer, a long
 * poll, a 15-minute Lambda invoke) has no limit at all.
 */
export interface ProxyLimits {
  /** Client connections open at once on both ports; past it a new one gets 503 (direct port: closed). */
  maxConnections: number;
  /** From accepting a connection (or finishing its TLS handshake) to a complete first request head. */
  headersMs: number;
  /** From a CONNECT's 200 (or accepting on the direct port) to a finished TLS handshake. */
  handshakeMs: number;
  /** From the end of a response to the next complete request head (HTTP/2: no stream open, no bytes). */
  keepAliveMs: number;
  /** A request body that stops arriving while the proxy is ready to read more of it. */
  bodyIdleMs: number;
  /** A blind tunnel with no bytes either way. */
  tunnelIdleMs: number;
}

/** Connections the proxy closed, by the limit that closed them. */
export type TimeoutKind = 'headers' | 'handshake' | 'keepAlive' | 'body' | 'tunnel';

export interface ProxyStats {
  /** Client connections open now. */
  connections: number;
  /** Most client connections open at once. */
  peakConnections: number;
  /** Connections refused at the connection limit. */
  refused: number;
  /** CONNECTs refused for a malformed target. */
  badTargets: number;
  /** Connections closed by an idle limit. */
  timedOut: Record<TimeoutKind, number>;
  /** Connections closed because handling them threw (a bug, logged; the proxy kept serving). */
  faults: number;
}

export const DEFAULT_LIMITS: Readonly<ProxyLimits> = {
  maxConnections: defaultMaxConnections(),
  headersMs: 60_000,
  handshakeMs: 30_000,
  keepAliveMs: 300_000,
  bodyIdleMs: 120_000,
  tunnelIdleMs: 900_000,
};

export interface ProxyOptions {
  host: string;
  port: number;
  /** Port for clients that connect with TLS directly (the Node.js preload); 0 picks one. */
  directPort?: number;
  leafs: LeafSource;
  upstream: Upstream;
  /** Request body bytes kept for parsing. */
  bodyLimit: number;
  /** Extra trusted roots for upstream TLS (system roots are always trusted). */
  upstreamCa?: string[];
  /** Connection limit and idle limits; each defaults to DEFAULT_LIMITS. */
  limits?: Partial<ProxyLimits>;
  onCall: CallSink;
  onTlsReject?: (rejection: TlsRejection) => void;
  log?: (line: string) => void;
}

export interface ProxyServer {
  /** `http://host:port`, what HTTPS_PROXY is set to. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Where clients that speak TLS directly connect (see the Node.js preload). */
  readonly directPort: number;
  /** The limits in force. */
  readonly limits: Readonly<ProxyLimits>;
  /** Requests started and not yet finished. */
  inflight(): number;
  /** Connection counters: open, refused at the limit, closed by idle limits, faults. */
  stats(): ProxyStats;
  /** Stops listening, waits for in-flight requests (at most `graceMs`), then closes every connection. */
  close(graceMs?: number): Promise<void>;
}

/** A connection speaking HTTP/1 to one of the proxy's HTTP servers. */
interface HttpConn {
  /** Requests received and not yet answered. */
  pending: number;
  /** The request whose body is still arriving. */
  reading: http.IncomingMessage | null;
  /** Deadline for the next complete request head. */
  timer: NodeJS.Timeout | null;
}

export async function startProxy(opts: ProxyOptions): Promise<ProxyServer> {
  const log = opts.log ?? (() => {});
  const limits: ProxyLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const interceptor = new Interceptor(opts.upstream, opts.bodyLimit, opts.upstreamCa ?? [], opts.onCall, log);
  const targets = new WeakMap<net.Socket, ConnTarget>();
  /** Intercepted connections that carried at least one request. */
  const served = new WeakSet<net.Socket>();
  let closing = false;
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };
  const stats: ProxyStats = {
    connections: 0,
    peakConnections: 0,
    refused: 0,
    badTargets: 0,
    timedOut: { headers: 0, handshake: 0, keepAlive: 0, body: 0, tunnel: 0 },
    faults: 0,
  };
  const expire = (kind: TimeoutKind, ...victims: (net.Socket | Duplex)[]) => {
    if (victims.every((v) => v.destroyed)) return;
    stats.timedOut[kind]++;
    for (const v of victims) v.destroy();
  };
  /** A bug while handling one connection: logged, that connection closed, the proxy serves on. */
  const fault = (where: string, err: unknown, ...victims: (net.Socket | Duplex)[]) => {
    stats.faults++;
    log(
      `${where}: ${oneLine((err as Error)?.message ?? String(err))} (connection closed; the proxy serves on)`,
    );
    for (const v of victims) v.destroy();
  };

  // ---- admission: the connection limit, on both ports
  let limitEpisode = 0;
  const admit = (socket: net.Socket, speaksHttp: boolean): boolean => {
    socket.on('error', () => socket.destroy());
    if (stats.connections >= limits.maxConnections || closing) {
      if (closing) {
        socket.destroy();
        return false;
      }
      stats.refused++;
      if (limitEpisode++ === 0) {
        log(
          `${limits.maxConnections} client connections open, the connection limit: new connections get 503 until some close`,
        );
      }
      if (speaksHttp) {
        socket.resume();
        socket.setTimeout(5000, () => socket.destroy());
        socket.end(
          'HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\nretry-after: 1\r\n' +
            `x-leastpriv-error: connection limit of ${limits.maxConnections} open connections reached; retry when some close\r\n\r\n`,
        );
      } else socket.destroy();
      return false;
    }
    stats.connections++;
    stats.peakConnections = Math.max(stats.peakConnections, stats.connections);
    track(socket);
    socket.once('close', () => {
      stats.connections--;
      if (limitEpisode > 0 && stats.connections < limits.maxConnections) {
        log(`below the connection limit again; ${limitEpisode} connections were refused`);
        limitEpisode = 0;
      }
    });
    return true;
  };

  // ---- HTTP/1 connections: deadline for each request head, body idle, keep-alive idle
  const httpConns = new WeakMap<Duplex, HttpConn>();
  const notHttpSaid = new Set<string>();
  const awaitRequest = (socket: Duplex, conn: HttpConn, ms: number, kind: TimeoutKind) => {
    if (conn.timer) clearTimeout(conn.timer);
    conn.timer = setTimeout(() => expire(kind, socket), ms);
    conn.timer.unref();
  };
  const startHttp = (server: http.Server, socket: net.Socket) => {
    const conn: HttpConn = { pending: 0, reading: null, timer: null };
    httpConns.set(socket, conn);
    awaitRequest(socket, conn, limits.headersMs, 'headers');
    socket.once('close', () => {
      if (conn.timer) clearTimeout(conn.timer);
    });
    server.emit('connection', socket);
  };
  const onHttpRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const socket = req.socket;
    const conn = httpConns.get(socket);
    if (!conn) return;
    if (conn.timer) clearTimeout(conn.timer);
    conn.timer = null;
    conn.pending++;
    if (!req.complete) {
      conn.reading = req;
      socket.setTimeout(limits.bodyIdleMs);
      req.once('end', () => {
        if (conn.reading === req) conn.reading = null;
        if (!socket.destroyed) socket.setTimeout(conn.pending > 0 ? 0 : limits.keepAliveMs);
      });
    }
    res.once('close', () => {
      if (conn.reading === req) conn.reading = null;
      if (--conn.pending === 0 && !socket.destroyed)
        awaitRequest(socket, conn, limits.keepAliveMs, 'keepAlive');
    });
  };
  /** Socket inactivity on an HTTP/1 connection: a stalled body, or Node's keep-alive timer. */
  const onHttpIdle = (socket: Duplex) => {
    const conn = httpConns.get(socket);
    const req = conn?.reading;
    if (req && !req.complete && (req.isPaused() || req.readableLength > 0)) {
      // The proxy is not reading (the upstream is slow): the client is not to blame.
      (socket as net.Socket).setTimeout(limits.bodyIdleMs);
      return;
    }
    if (req && !req.complete) expire('body', socket);
    else if (!conn || conn.pending === 0) expire('keepAlive', socket);
  };
  const httpServer = (handler: http.RequestListener) => {
    const server = http.createServer(
      {
        noDelay: true,
        requestTimeout: 0,
        headersTimeout: limits.headersMs,
        keepAliveTimeout: limits.keepAliveMs,
        maxHeaderSize: 64 * 1024,
      },
      (req, res) => {
        onHttpRequest(req, res);
        try {
          handler(req, res);
        } catch (err) {
          const where = `request ${req.method} ${redactUri(req.url ?? '')}`;
          try {
            if (res.headersSent) throw err;
            res.writeHead(502, { 'content-type': 'text/plain', 'x-leastpriv-error': 'internal error' });
            res.end('leastpriv: internal error, see its log\n');
            fault(where, err);
          } catch {
            fault(where, err, req.socket);
          }
        }
      },
    );
    server.on('timeout', onHttpIdle);
    server.on('clientError', (err, socket) => badRequest(socket, err, log));
    return server;
  };

  // Requests inside intercepted TLS connections.
  const inner = httpServer((req, res) => {
    const target = targets.get(req.socket);
    served.add(req.socket);
    if (!target) {
      res.writeHead(500).end();
      return;
    }
    interceptor.handle(req, res, target);
  });

  // HTTP/2 inside intercepted TLS, for clients that speak nothing else (the SDK v3's Kinesis,
  // Bedrock and Transcribe streaming clients); forwarded upstream as HTTP/1.1. The session runs
  // over a plain stream view of the TLS socket: Node's HTTP/2 cannot take over a TLS socket
  // that was wrapped by hand.
  const serveHttp2 = (tlsSocket: tls.TLSSocket, target: ConnTarget) => {
    const h2 = http2.createServer();
    let streams = 0;
    tlsSocket.setTimeout(limits.keepAliveMs);
    tlsSocket.on('timeout', () => {
      if (streams === 0) expire('keepAlive', tlsSocket);
    });
    h2.on('stream', (stream: http2.ServerHttp2Stream) => {
      if (streams++ === 0) tlsSocket.setTimeout(0);
      stream.once('close', () => {
        if (--streams === 0 && !tlsSocket.destroyed) tlsSocket.setTimeout(limits.keepAliveMs);
      });
    });
    h2.on('request', (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => {
      served.add(tlsSocket);
      try {
        interceptor.handle(
          req as unknown as http.IncomingMessage,
          res as unknown as http.ServerResponse,
          target,
        );
      } catch (err) {
        fault(`http2 request ${target.host}`, err, tlsSocket);
      }
    });
    h2.on('sessionError', (err) => log(`http2 ${target.host}: ${err.message}`));
    h2.emit('connection', streamView(tlsSocket));
  };

  /** TLS with a leaf of our CA over `raw` (after a CONNECT's 200, or on the direct port). */
  const interceptTls = (
    raw: net.Socket,
    hostHint: string | null,
    port: number,
    userAgent: string | null,
    fallback: tls.SecureContext | undefined,
  ) => {
    let servername = hostHint;
    /** The client sent a ClientHello naming a host: it has seen, or is about to see, our certificate. */
    let helloSeen = false;
    const tlsSocket = new tls.TLSSocket(raw, {
      isServer: true,
      ...(fallback ? { secureContext: fallback } : {}),
      // HTTP/1.1 first: a client that offers both speaks HTTP/1.1.
      ALPNProtocols: ['http/1.1', 'h2'],
      SNICallback: (name, cb) => {
        helloSeen = true;
        if (!isIntercepted(name)) {
          cb(
            new Error(`leastpriv intercepts only cloud API hosts, not ${JSON.stringify(name.slice(0, 100))}`),
          );
          return;
        }
        try {
          // Named only once a certificate could be made: the name is then a valid host name.
          const context = opts.leafs.secureContextFor(name.toLowerCase());
          servername = name.toLowerCase();
          cb(null, context);
        } catch (err) {
          cb(err as Error);
        }
      },
    });
    let secureAt = 0;
    let reported = false;
    const handshake = setTimeout(() => expire('handshake', tlsSocket, raw), limits.handshakeMs);
    handshake.unref();
    // However either side goes, both go: a socket closed before the handshake is released.
    raw.once('close', () => tlsSocket.destroy());
    tlsSocket.once('close', () => {
      clearTimeout(handshake);
      raw.destroy();
    });
    const reject = (alert: string) => {
      if (reported || closing) return;
      reported = true;
      opts.onTlsReject?.({ host: servername ?? hostHint ?? '?', alert, userAgent });
    };
    tlsSocket.once('secure', () => {
      clearTimeout(handshake);
      if (!servername) {
        tlsSocket.destroy();
        return;
      }
      secureAt = Date.now();
      try {
        targets.set(tlsSocket, { scheme: 'https', host: servername, port });
        if (tlsSocket.alpnProtocol === 'h2') serveHttp2(tlsSocket, targets.get(tlsSocket) as ConnTarget);
        else startHttp(inner, tlsSocket);
      } catch (err) {
        fault(`tls ${servername}`, err, tlsSocket, raw);
      }
    });
    // Clients that check the certificate after the handshake (Node.js) send no alert: they
    // hang up once our certificate arrived and before their first request. A client that
    // hangs up before it sent a ClientHello never saw our certificate.
    const hungUp = () => {
      const early = secureAt === 0 ? helloSeen && servername !== null : Date.now() - secureAt < 2000;
      if (early && !served.has(tlsSocket)) reject('hung up right after the handshake');
      if (secureAt === 0) tlsSocket.destroy();
    };
    tlsSocket.once('end', hungUp);
    tlsSocket.once('close', hungUp);
    tlsSocket.on('error', (err: NodeJS.ErrnoException) => {
      const alert = alertOf(err);
      if (alert) reject(alert);
      else if (err.code !== 'ECONNRESET')
        log(`tls: ${servername ?? hostHint ?? '?'}: ${oneLine(err.message)}`);
      tlsSocket.destroy();
    });
  };

  /** A CONNECT to a host that is not intercepted: bytes pass both ways, unread. */
  const blindTunnel = (socket: net.Socket, host: string, port: number) => {
    const upstream = net.connect({ host, port });
    track(upstream);
    let connected = false;
    // Every byte either way is read from or written to the client socket: its inactivity is the tunnel's.
    socket.setTimeout(limits.tunnelIdleMs);
    socket.on('timeout', () => expire('tunnel', socket, upstream));
    upstream.once('connect', () => {
      connected = true;
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', (err) => {
      if (!connected && socket.writable) {
        socket.end(
          `HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nx-leastpriv-error: ${oneLine(err.message)}\r\n\r\n`,
        );
      } else socket.destroy();
      upstream.destroy();
      log(`tunnel ${host}:${port}: ${oneLine(err.message)}`);
    });
    socket.on('close', () => upstream.destroy());
    upstream.on('close', () => {
      if (connected) socket.end();
    });
  };

  // The proxy itself: CONNECT tunnels and absolute-URI plain HTTP requests.
  const front = httpServer((req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '');
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end('leastpriv is an HTTP proxy: send absolute-URI requests or CONNECT\n');
      log(`bad request: ${oneLine(req.method ?? '')} ${redactUri(req.url ?? '')}`);
      return;
    }
    if (url.protocol !== 'http:') {
      res.writeHead(400, { 'content-type': 'text/plain' }).end(`unsupported scheme ${url.protocol}\n`);
      return;
    }
    const host = url.hostname.toLowerCase();
    const port = Number(url.port || 80);
    req.url = `${url.pathname}${url.search}`;
    if (isIntercepted(host)) interceptor.handle(req, res, { scheme: 'http', host, port });
    else interceptor.passThrough(req, res, host, port);
  });
  front.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const conn = httpConns.get(socket);
    if (conn?.timer) clearTimeout(conn.timer);
    httpConns.delete(socket);
    socket.setTimeout(0);
    const target = parseConnectTarget(req.url ?? '');
    if (!target.ok) {
      stats.badTargets++;
      socket.end(
        `HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\nx-leastpriv-error: ${target.reason}\r\n\r\n`,
      );
      log(`bad CONNECT ${redactUri(req.url ?? '')}: ${target.reason}`);
      return;
    }
    const { host, port } = target;
    let answered = false;
    try {
      if (head.length > 0) socket.unshift(head);
      if (!isIntercepted(host) || NOT_HTTP[port]) {
        if (NOT_HTTP[port] && !notHttpSaid.has(`${host}:${port}`)) {
          notHttpSaid.add(`${host}:${port}`);
          log(
            `${host}:${port} carries ${NOT_HTTP[port]}, which leastpriv does not read: what is sent over it is not in the policy (the service's HTTPS API is)`,
          );
        }
        blindTunnel(socket, host, port);
        return;
      }
      const leaf = opts.leafs.secureContextFor(host);
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      answered = true;
      interceptTls(socket, host, port, req.headers['user-agent'] ?? null, leaf);
    } catch (err) {
      const where = `CONNECT ${host}:${port}`;
      if (answered || !socket.writable) {
        fault(where, err, socket);
        return;
      }
      fault(where, err);
      socket.end(
        `HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\nx-leastpriv-error: ${oneLine((err as Error)?.message ?? String(err))}\r\n\r\n`,
      );
    }
  });

  const proxyPort = net.createServer({ noDelay: true }, (socket) => {
    if (!admit(socket, true)) return;
    try {
      startHttp(front, socket);
    } catch (err) {
      fault('accept', err, socket);
    }
  });
  // Direct TLS: clients that dial the proxy with TLS and name the host by SNI.
  const direct = net.createServer({ noDelay: true }, (socket) => {
    if (!admit(socket, false)) return;
    try {
      interceptTls(socket, null, 443, null, undefined);
    } catch (err) {
      fault('accept (direct)', err, socket);
    }
  });

  await listen(proxyPort, opts.port, opts.host);
  await listen(direct, opts.directPort ?? 0, opts.host);
  // Past listen, an error is a failed accept (EMFILE, ENFILE): the server keeps listening.
  let acceptErrorAt = 0;
  for (const server of [proxyPort, direct]) {
    server.on('error', (err: NodeJS.ErrnoException) => {
      if (Date.now() - acceptErrorAt < 10_000) return;
      acceptErrorAt = Date.now();
      log(`cannot accept a connection: ${err.code ?? err.message} (${stats.connections} open)`);
    });
  }
  const port = (proxyPort.address() as AddressInfo).port;
  const directPort = (direct.address() as AddressInfo).port;
  const urlHost = opts.host.includes(':') ? `[${opts.host}]` : opts.host;

  return {
    url: `http://${urlHost}:${port}`,
    host: opts.host,
    port,
    directPort,
    limits,
    inflight: () => interceptor.inflight,
    stats: () => ({ ...stats, timedOut: { ...stats.timedOut } }),
    async close(graceMs = 2000) {
      closing = true;
      proxyPort.close();
      direct.close();
      const deadline = Date.now() + graceMs;
      while (interceptor.inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      for (const s of sockets) s.destroy();
      inner.close();
      front.close();
      interceptor.close();
      if (stats.refused > 0) {
        log(
          `${stats.refused} connections were refused at the limit of ${limits.maxConnections} open connections`,
        );
      }
    },
  };
}

/**
 * The default connection limit: 1024, or less when the process may open fewer than about
 * twice that many files (a blind tunnel holds two descriptors).
 */
/**
 * Ports of the clouds' hosts that carry no HTTP (AMQP for Service Bus and Event Hubs, Kafka for
 * Event Hubs): tunnelled blind rather than broken by a TLS interception that expects HTTP.
 */
const NOT_HTTP: Readonly<Record<number, string>> = { 5671: 'AMQP', 5672: 'AMQP', 9093: 'Kafka' };

export function defaultMaxConnections(): number {
  let files: number | null = null;
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (m?.[1] && m[1] !== 'unlimited') files = Number(m[1]);
  } catch {
    // not Linux
  }
  return files === null ? 1024 : Math.max(16, Math.min(1024, Math.floor((files - 64) / 2)));
}

/** A plain duplex stream over a socket, with backpressure both ways. */
function streamView(socket: net.Socket): Duplex {
  const view = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, callback);
    },
    final(callback) {
      socket.end(callback);
    },
    destroy(err, callback) {
      socket.destroy(err ?? undefined);
      callback(err);
    },
  });
  socket.on('data', (chunk: Buffer) => {
    if (!view.push(chunk)) socket.pause();
  });
  socket.on('end', () => view.push(null));
  socket.on('close', () => view.destroy());
  return view;
}

function listen(server: net.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** The TLS alert a client sent while refusing our certificate, or null for other errors. */
function alertOf(err: NodeJS.ErrnoException): string | null {
  const m = /(?:tlsv1|sslv3) alert ([a-z ]+)/i.exec(err.message);
  if (!m?.[1]) return null;
  const alert = m[1].trim().toLowerCase();
  return alert === 'close notify' ? null : alert;
}

function badRequest(socket: net.Socket | import('node:stream').Duplex, err: Error, log: (l: string) => void) {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ECONNRESET' || code === 'EPIPE' || !socket.writable) {
    socket.destroy();
    return;
  }
  log(`bad request: ${err.message}`);
  socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
}

function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ').slice(0, 200);
}

export type { ObservedCall };
