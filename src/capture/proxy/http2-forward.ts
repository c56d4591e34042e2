/**
 * gRPC needs HTTP/2 end to end (trailers carry its status): an intercepted HTTP/2 gRPC request
 * is forwarded over HTTP/2 to the real endpoint (TLS, verified) or to an emulator (`http://`,
 * cleartext HTTP/2), streaming both ways; one session per upstream, reused.
 */
import * as http2 from 'node:http2';
import type * as tls from 'node:tls';
import type { ObservedResponse } from '../../model/index.js';
import { sanitizeHeaders } from './sanitize.js';

/** Request headers HTTP/2 forbids or that concern only this hop. */
const NOT_FORWARDED = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
]);

/** gRPC status codes by number (https://grpc.github.io/grpc/core/md_doc_statuscodes.html). */
const GRPC_CODES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

/** The error a gRPC status names (`PERMISSION_DENIED`), or null for OK or none. */
export function grpcError(status: string | undefined): string | null {
  if (status === undefined || status === '0') return null;
  return GRPC_CODES[Number(status)] ?? `GRPC_${status}`;
}

export interface Http2Upstream {
  /** `https://host:port` (the real endpoint) or `http://host:port` (an emulator). */
  origin: string;
  /** The TLS server name to verify (the host the client asked for). */
  servername?: string;
  secureContext?: tls.SecureContext;
}

export class Http2Forwarder {
  private readonly sessions = new Map<string, http2.ClientHttp2Session>();

  private session(up: Http2Upstream): http2.ClientHttp2Session {
    const key = `${up.origin} ${up.servername ?? ''}`;
    const open = this.sessions.get(key);
    if (open && !open.closed && !open.destroyed) return open;
    const session = http2.connect(up.origin, {
      ...(up.servername ? { servername: up.servername } : {}),
      ...(up.secureContext ? { secureContext: up.secureContext } : {}),
    });
    session.on('error', () => this.sessions.delete(key));
    session.on('close', () => this.sessions.delete(key));
    session.unref();
    this.sessions.set(key, session);
    return session;
  }

  /**
   * Forwards one request; `done` gets what the client was answered (status, the gRPC error of
   * the trailers as the error code), or a 502 when the upstream could not be reached.
   */
  forward(
    up: Http2Upstream,
    req: http2.Http2ServerRequest,
    res: http2.Http2ServerResponse,
    authority: string,
    done: (response: ObservedResponse) => void,
  ): void {
    const headers: http2.OutgoingHttpHeaders = {
      ':method': req.method,
      ':path': req.url,
      ':authority': authority,
      ':scheme': 'https',
    };
    for (const [name, value] of Object.entries(req.headers)) {
      if (name.startsWith(':') || NOT_FORWARDED.has(name) || value === undefined) continue;
      headers[name] = value;
    }
    let stream: http2.ClientHttp2Stream;
    try {
      stream = this.session(up).request(headers);
    } catch (err) {
      this.fail(res, up, err as Error, done);
      return;
    }
    let status = 502;
    let answered: Record<string, string> = {};
    let trailers: Record<string, string> = {};
    stream.on('response', (h) => {
      status = Number(h[':status'] ?? 502);
      const out: Record<string, string | string[]> = {};
      const raw: string[] = [];
      const trailersOnly: Record<string, string> = {};
      for (const [name, value] of Object.entries(h)) {
        if (name.startsWith(':') || value === undefined) continue;
        raw.push(name, String(value));
        // A trailers-only answer (an error) carries its status in the headers: sent on as
        // trailers, after the headers, which is what every gRPC client reads.
        if (name.startsWith('grpc-status') || name === 'grpc-message') trailersOnly[name] = String(value);
        else out[name] = value as string | string[];
      }
      answered = sanitizeHeaders(raw);
      res.writeHead(status, out);
      if (Object.keys(trailersOnly).length) res.addTrailers(trailersOnly);
    });
    stream.on('trailers', (t) => {
      const out: Record<string, string> = {};
      for (const [name, value] of Object.entries(t))
        if (!name.startsWith(':') && value !== undefined) out[name] = String(value);
      trailers = out;
      res.addTrailers(out);
    });
    stream.on('data', (chunk: Buffer) => res.write(chunk));
    stream.on('end', () => {
      res.end();
      // A trailers-only answer carries grpc-status in its headers.
      const error = grpcError(trailers['grpc-status'] ?? answered['grpc-status']);
      done({
        status,
        errorCode: error,
        headers: { ...answered, ...trailers },
        body: new Uint8Array(0),
        bodyTruncated: false,
      });
    });
    stream.on('error', (err) => this.fail(res, up, err, done));
    req.on('error', () => stream.close(http2.constants.NGHTTP2_CANCEL));
    res.on('close', () => {
      if (!stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
    });
    req.pipe(stream);
  }

  private fail(
    res: http2.Http2ServerResponse,
    up: Http2Upstream,
    err: Error,
    done: (r: ObservedResponse) => void,
  ): void {
    const message = err.message.replace(/[\r\n]+/g, ' ').slice(0, 200);
    if (!res.headersSent) {
      res.writeHead(200, { 'content-type': 'application/grpc' });
      res.addTrailers({
        'grpc-status': '14',
        'grpc-message': encodeURIComponent(`leastpriv: the upstream ${up.origin} failed: ${message}`),
      });
      res.end();
    } else res.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    done({
      status: 502,
      errorCode: 'UpstreamError',
      headers: {},
      body: new Uint8Array(0),
      bodyTruncated: false,
    });
  }

  close(): void {
    for (const s of this.sessions.values()) s.destroy();
    this.sessions.clear();
  }
}
