import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import type * as http2 from 'node:http2';
import * as https from 'node:https';
import * as tls from 'node:tls';
import type { ObservedCall, ObservedResponse } from '../../model/index.js';
import { errorCodeOf } from './error-code.js';
import { Http2Forwarder } from './http2-forward.js';
import { PrefixBuffer } from './prefix.js';
import { sanitizeHeaders, sanitizeQuery } from './sanitize.js';

/** A locally made answer (`--upstream stub`). */
export interface StubAnswer {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
  /** Sent after the body (gRPC's `grpc-status`). */
  trailers?: Record<string, string>;
}

/** Where intercepted calls go. */
export type Upstream =
  /** The real endpoint the client asked for, TLS verified against the system roots. */
  | { kind: 'aws' }
  /** An AWS-compatible endpoint (moto, LocalStack); Host, path and signed headers are kept. */
  | { kind: 'url'; url: URL }
  /** Answered locally with a minimal success response. */
  | { kind: 'stub'; respond: (call: ObservedCall) => StubAnswer }
  /** One of the above per host (per cloud: moto for AWS, an emulator for Google Cloud). */
  | { kind: 'routed'; route: (host: string) => Exclude<Upstream, { kind: 'routed' }> };

export type CallSink = (call: ObservedCall) => void;

export interface ConnTarget {
  scheme: 'https' | 'http';
  host: string;
  port: number;
}

/** Response bytes kept: enough for error documents and identity answers. */
const RESPONSE_LIMIT = 64 * 1024;

/** Hop-by-hop headers, never forwarded (RFC 9110 §7.6.1), plus Expect, which the proxy answers itself. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'upgrade',
  'expect',
]);

function forwardable(raw: string[], dropTransferEncoding: boolean): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    if (HOP_BY_HOP.has(name) || (dropTransferEncoding && name === 'transfer-encoding')) continue;
    out.push(raw[i] as string, raw[i + 1] as string);
  }
  return out;
}

/**
 * The request's headers in HTTP/1.1 form: an HTTP/2 request's pseudo-headers are dropped and
 * its `:authority` becomes the Host header, which SigV4 signed.
 */
function requestHeaders(req: http.IncomingMessage): string[] {
  if (req.httpVersionMajor !== 2) return req.rawHeaders;
  const raw: string[] = [];
  let authority: string | null = null;
  let host = false;
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] as string;
    const value = req.rawHeaders[i + 1] as string;
    if (name === ':authority') authority = value;
    if (name.startsWith(':')) continue;
    if (name.toLowerCase() === 'host') host = true;
    raw.push(name, value);
  }
  if (!host && authority !== null) raw.unshift('host', authority.replace(/:443$/, ''));
  return raw;
}

/** Answers with upstream's status and headers, in the form the client's HTTP version takes. */
function writeHead(
  res: http.ServerResponse,
  status: number,
  message: string | undefined,
  raw: string[],
): void {
  if (res.req.httpVersionMajor !== 2) {
    res.writeHead(status, message, raw);
    return;
  }
  const headers: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const value = raw[i + 1] as string;
    const prev = headers[name];
    headers[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  res.writeHead(status, headers);
}

/** The roots upstream TLS is verified against: Node's bundled roots plus the system bundle. */
function systemRoots(extra: string[]): string[] {
  const roots = [...tls.rootCertificates];
  for (const file of [
    '/etc/ssl/certs/ca-certificates.crt',
    '/etc/pki/tls/certs/ca-bundle.crt',
    '/etc/ssl/cert.pem',
  ]) {
    try {
      roots.push(readFileSync(file, 'utf8'));
      break;
    } catch {
      // not on this system
    }
  }
  return [...roots, ...extra];
}

/** Forwards intercepted requests, streaming both ways, and records what passed. */
export class Interceptor {
  inflight = 0;
  private seq = 0;
  private readonly httpAgent = new http.Agent({
    keepAlive: true,
    maxSockets: Number.POSITIVE_INFINITY,
    noDelay: true,
  } as http.AgentOptions);
  private readonly httpsAgent: https.Agent;
  private readonly http2 = new Http2Forwarder();
  private readonly upstreamTls: tls.SecureContext;

  constructor(
    private readonly upstream: Upstream,
    private readonly bodyLimit: number,
    upstreamCa: string[],
    private readonly sink: CallSink,
    private readonly log: (line: string) => void,
  ) {
    // One secure context built once: passing `ca` itself would make the agent re-join
    // hundreds of roots into its connection-pool key on every request.
    this.upstreamTls = tls.createSecureContext({ ca: systemRoots(upstreamCa) });
    this.httpsAgent = new https.Agent({
      keepAlive: true,
      maxSockets: Number.POSITIVE_INFINITY,
      secureContext: this.upstreamTls,
      rejectUnauthorized: true,
      noDelay: true,
    } as https.AgentOptions);
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    this.http2.close();
  }

  handle(req: http.IncomingMessage, res: http.ServerResponse, target: ConnTarget): void {
    this.inflight++;
    const rawUrl = req.url ?? '/';
    const rawHeaders = requestHeaders(req);
    const q = rawUrl.indexOf('?');
    const call: ObservedCall = {
      id: ++this.seq,
      time: new Date().toISOString(),
      source: 'proxy',
      scheme: target.scheme,
      host: target.host,
      port: target.port,
      method: req.method ?? 'GET',
      path: q === -1 ? rawUrl : rawUrl.slice(0, q),
      query: q === -1 ? '' : sanitizeQuery(rawUrl.slice(q + 1)),
      headers: sanitizeHeaders(rawHeaders),
      body: new Uint8Array(0),
      bodyTruncated: false,
      bodySize: 0,
      response: null,
    };
    const reqBody = new PrefixBuffer(this.bodyLimit);
    req.on('data', (chunk: Buffer) => reqBody.push(chunk));
    let done = false;
    const finish = (response: ObservedResponse | null) => {
      if (done) return;
      done = true;
      this.inflight--;
      call.body = reqBody.bytes();
      call.bodyTruncated = reqBody.truncated;
      call.bodySize = reqBody.total;
      call.response = response;
      try {
        this.sink(call);
      } catch (err) {
        this.log(`recording ${call.host}${call.path} failed: ${(err as Error).stack ?? err}`);
      }
    };

    const upstream = this.upstream.kind === 'routed' ? this.upstream.route(target.host) : this.upstream;
    if (upstream.kind === 'stub') {
      const respond = upstream.respond;
      req.on('end', () => {
        call.body = reqBody.bytes();
        call.bodyTruncated = reqBody.truncated;
        call.bodySize = reqBody.total;
        let answer: StubAnswer;
        try {
          answer = respond(call);
        } catch (err) {
          this.log(`stub answer for ${call.host}${call.path} failed: ${(err as Error).message}`);
          answer = {
            status: 500,
            headers: { 'content-type': 'text/plain' },
            body: Buffer.from('stub failed\n'),
          };
        }
        if (answer.trailers) {
          res.writeHead(answer.status, answer.headers);
          res.addTrailers(answer.trailers);
        } else
          res.writeHead(answer.status, {
            ...answer.headers,
            'content-length': String(answer.body.byteLength),
          });
        res.end(answer.body);
        const headers = Object.fromEntries(
          Object.entries(answer.headers).map(([k, v]) => [k.toLowerCase(), v]),
        );
        finish({ status: answer.status, errorCode: null, headers, body: answer.body, bodyTruncated: false });
      });
      req.on('close', () => finish(null));
      return;
    }

    const viaUrl = upstream.kind === 'url' ? upstream.url : null;
    if (req.httpVersionMajor === 2 && /^application\/grpc/.test(String(req.headers['content-type'] ?? ''))) {
      // gRPC: HTTP/2 end to end, to the real endpoint or to an emulator.
      this.http2.forward(
        viaUrl
          ? { origin: viaUrl.origin }
          : {
              origin: `https://${target.host}:${target.port}`,
              servername: target.host,
              secureContext: this.upstreamTls,
            },
        req as unknown as http2.Http2ServerRequest,
        res as unknown as http2.Http2ServerResponse,
        target.port === 443 ? target.host : `${target.host}:${target.port}`,
        finish,
      );
      return;
    }
    const secure = viaUrl ? viaUrl.protocol === 'https:' : target.scheme === 'https';
    const hostname = viaUrl ? viaUrl.hostname : target.host;
    const port = viaUrl ? Number(viaUrl.port || (secure ? 443 : 80)) : target.port;
    const upstreamName = viaUrl ? viaUrl.origin : `${target.scheme}://${target.host}:${target.port}`;
    const options: https.RequestOptions = {
      hostname,
      port,
      method: call.method,
      path: rawUrl,
      headers: forwardable(rawHeaders, false) as unknown as http.OutgoingHttpHeaders,
      agent: secure ? this.httpsAgent : this.httpAgent,
      ...(secure && !viaUrl ? { servername: target.host } : {}),
    };
    const upReq = (secure ? https : http).request(options);
    upReq.on('response', (upRes) => {
      const status = upRes.statusCode ?? 502;
      if (status < 100 || status > 999) {
        // an answer the client could not be given (Node refuses such a status): a bad gateway
        upRes.resume();
        upReq.emit('error', new Error(`the upstream answered with status ${status}`));
        return;
      }
      const resBody = new PrefixBuffer(RESPONSE_LIMIT);
      upRes.on('data', (chunk: Buffer) => resBody.push(chunk));
      writeHead(res, status, upRes.statusMessage, forwardable(upRes.rawHeaders, true));
      upRes.pipe(res);
      const respond = () => {
        const headers = sanitizeHeaders(upRes.rawHeaders);
        const body = resBody.bytes();
        finish({
          status,
          errorCode: errorCodeOf(status, headers, body),
          headers,
          body,
          bodyTruncated: resBody.truncated,
        });
      };
      upRes.on('end', respond);
      upRes.on('aborted', respond);
      upRes.on('error', () => {
        respond();
        res.destroy();
      });
    });
    upReq.on('error', (err) => {
      this.log(`upstream ${upstreamName}: ${err.message}`);
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain', 'x-leastpriv-error': oneLine(err.message) });
        res.end(`leastpriv: the upstream ${upstreamName} failed: ${oneLine(err.message)}\n`);
      } else {
        res.destroy();
      }
      finish({
        status: 502,
        errorCode: 'UpstreamError',
        headers: {},
        body: new Uint8Array(0),
        bodyTruncated: false,
      });
    });
    req.on('error', () => upReq.destroy());
    res.on('close', () => {
      if (!res.writableFinished) {
        upReq.destroy();
        finish(null);
      }
    });
    req.pipe(upReq);
  }

  /** Plain-HTTP proxying for hosts that are not intercepted: forwarded, not recorded. */
  passThrough(req: http.IncomingMessage, res: http.ServerResponse, host: string, port: number): void {
    const upReq = http.request({
      hostname: host,
      port,
      method: req.method,
      path: req.url,
      headers: forwardable(req.rawHeaders, false) as unknown as http.OutgoingHttpHeaders,
      agent: this.httpAgent,
    });
    upReq.on('response', (upRes) => {
      const status = upRes.statusCode ?? 502;
      if (status < 100 || status > 999) {
        upRes.resume();
        upReq.emit('error', new Error(`the upstream answered with status ${status}`));
        return;
      }
      res.writeHead(status, upRes.statusMessage, forwardable(upRes.rawHeaders, true));
      upRes.pipe(res);
    });
    upReq.on('error', (err) => {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`leastpriv: ${host}:${port} failed: ${oneLine(err.message)}\n`);
      } else res.destroy();
    });
    req.pipe(upReq);
  }
}

function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ').slice(0, 200);
}
