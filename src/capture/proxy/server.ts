import * as http from 'node:http';
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import * as net from 'node:net';
import { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import type { ObservedCall } from '../../model/index.js';
import { isIntercepted } from './hosts.js';
import { type CallSink, type ConnTarget, Interceptor, type Upstream } from './intercept.js';

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
  /** Requests started and not yet finished. */
  inflight(): number;
  /** Stops listening, waits for in-flight requests (at most `graceMs`), then closes every connection. */
  close(graceMs?: number): Promise<void>;
}

const SERVER_OPTIONS: http.ServerOptions = {
  noDelay: true,
  requestTimeout: 0,
  headersTimeout: 120_000,
  keepAliveTimeout: 65_000,
  maxHeaderSize: 64 * 1024,
};

export async function startProxy(opts: ProxyOptions): Promise<ProxyServer> {
  const log = opts.log ?? (() => {});
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

  // Requests inside intercepted TLS connections.
  const inner = http.createServer(SERVER_OPTIONS, (req, res) => {
    const target = targets.get(req.socket);
    served.add(req.socket);
    if (!target) {
      res.writeHead(500).end();
      return;
    }
    interceptor.handle(req, res, target);
  });
  inner.on('clientError', (err, socket) => badRequest(socket, err, log));

  // HTTP/2 inside intercepted TLS, for clients that speak nothing else (the SDK v3's Kinesis,
  // Bedrock and Transcribe streaming clients); forwarded upstream as HTTP/1.1. The session runs
  // over a plain stream view of the TLS socket: Node's HTTP/2 cannot take over a TLS socket
  // that was wrapped by hand.
  const serveHttp2 = (tlsSocket: tls.TLSSocket, target: ConnTarget) => {
    const h2 = http2.createServer();
    h2.on('request', (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => {
      served.add(tlsSocket);
      interceptor.handle(
        req as unknown as http.IncomingMessage,
        res as unknown as http.ServerResponse,
        target,
      );
    });
    h2.on('sessionError', (err) => log(`http2 ${target.host}: ${err.message}`));
    h2.emit('connection', streamView(tlsSocket));
  };

  const interceptTls = (raw: net.Socket, hostHint: string | null, port: number, userAgent: string | null) => {
    track(raw);
    let servername = hostHint;
    const fallback = hostHint && isIntercepted(hostHint) ? opts.leafs.secureContextFor(hostHint) : undefined;
    const tlsSocket = new tls.TLSSocket(raw, {
      isServer: true,
      ...(fallback ? { secureContext: fallback } : {}),
      // HTTP/1.1 first: a client that offers both speaks HTTP/1.1.
      ALPNProtocols: ['http/1.1', 'h2'],
      SNICallback: (name, cb) => {
        if (!isIntercepted(name)) {
          cb(new Error(`leastpriv intercepts only cloud API hosts, not ${name}`));
          return;
        }
        servername = name.toLowerCase();
        try {
          cb(null, opts.leafs.secureContextFor(servername));
        } catch (err) {
          cb(err as Error);
        }
      },
    });
    let secureAt = 0;
    let reported = false;
    const reject = (alert: string) => {
      if (reported || closing) return;
      reported = true;
      opts.onTlsReject?.({ host: servername ?? hostHint ?? '?', alert, userAgent });
    };
    tlsSocket.once('secure', () => {
      if (!servername) {
        tlsSocket.destroy();
        return;
      }
      secureAt = Date.now();
      targets.set(tlsSocket, { scheme: 'https', host: servername, port });
      if (tlsSocket.alpnProtocol === 'h2') serveHttp2(tlsSocket, targets.get(tlsSocket) as ConnTarget);
      else inner.emit('connection', tlsSocket);
    });
    // Clients that check the certificate after the handshake (Node.js) send no alert: they
    // hang up once our certificate arrived and before their first request.
    const hungUp = () => {
      const early = secureAt === 0 ? servername !== null : Date.now() - secureAt < 2000;
      if (early && !served.has(tlsSocket)) reject('hung up right after the handshake');
    };
    tlsSocket.once('end', hungUp);
    tlsSocket.once('close', hungUp);
    tlsSocket.on('error', (err: NodeJS.ErrnoException) => {
      const alert = alertOf(err);
      if (alert) reject(alert);
      else if (err.code !== 'ECONNRESET') log(`tls: ${servername ?? hostHint ?? '?'}: ${err.message}`);
      tlsSocket.destroy();
    });
  };

  // The proxy itself: CONNECT tunnels and absolute-URI plain HTTP requests.
  const front = http.createServer(SERVER_OPTIONS, (req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '');
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end('leastpriv is an HTTP proxy: send absolute-URI requests or CONNECT\n');
      log(`bad request: ${req.method} ${req.url}`);
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
  front.on('clientError', (err, socket) => badRequest(socket, err, log));
  front.on('connection', track);
  front.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const { host, port } = splitHostPort(req.url ?? '');
    if (!host || !port) {
      socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n');
      log(`bad CONNECT target: ${req.url}`);
      return;
    }
    socket.on('error', () => socket.destroy());
    if (head.length > 0) socket.unshift(head);
    if (isIntercepted(host)) {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      interceptTls(socket, host, port, req.headers['user-agent'] ?? null);
      return;
    }
    const upstream = net.connect({ host, port });
    track(upstream);
    upstream.once('connect', () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', (err) => {
      if (socket.writable && !upstream.readyState.includes('open')) {
        socket.end(
          `HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nx-leastpriv-error: ${oneLine(err.message)}\r\n\r\n`,
        );
      } else socket.destroy();
      log(`tunnel ${host}:${port}: ${err.message}`);
    });
    socket.on('close', () => upstream.destroy());
  });

  // Direct TLS: clients that dial the proxy with TLS and name the host by SNI.
  const direct = net.createServer({ noDelay: true }, (socket) => {
    socket.on('error', () => socket.destroy());
    interceptTls(socket, null, 443, null);
  });

  await listen(front, opts.port, opts.host);
  await listen(direct, opts.directPort ?? 0, opts.host);
  const port = (front.address() as AddressInfo).port;
  const directPort = (direct.address() as AddressInfo).port;
  const urlHost = opts.host.includes(':') ? `[${opts.host}]` : opts.host;

  return {
    url: `http://${urlHost}:${port}`,
    host: opts.host,
    port,
    directPort,
    inflight: () => interceptor.inflight,
    async close(graceMs = 2000) {
      closing = true;
      front.close();
      direct.close();
      const deadline = Date.now() + graceMs;
      while (interceptor.inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      for (const s of sockets) s.destroy();
      inner.close();
      interceptor.close();
    },
  };
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

function splitHostPort(authority: string): { host: string | null; port: number | null } {
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(authority);
  if (!m) return { host: null, port: null };
  const port = Number(m[2]);
  return { host: (m[1] as string).toLowerCase(), port: port > 0 && port < 65536 ? port : null };
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
