/**
 * A small HTTP server on 127.0.0.1 for AWS APIs moto does not implement: it answers the calls a
 * test names with responses shaped from the AWS API reference, records every request it gets
 * (operation, signing service, parameters), and forwards everything else to moto when given
 * one. The commands under test reach it through `--endpoint-url`; the SDK signs its requests
 * and the server ignores the signatures (moto does too).
 *
 * Operation names: IAM (query protocol) from the form body's `Action=`; JSON 1.1 APIs from
 * `X-Amz-Target`; REST JSON APIs from the test's `route` function (method and path).
 */
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  /** `GetServiceLastAccessedDetails`, `StartPolicyGeneration`... or null when not known. */
  operation: string | null;
  /** The SigV4 signing name of the Authorization header's credential scope (`iam`, `access-analyzer`). */
  service: string | null;
  region: string | null;
  method: string;
  path: string;
  query: Record<string, string>;
  /** The form fields (query protocol) or the JSON body (JSON protocols). */
  params: Record<string, unknown>;
  /** Answered here (true) or forwarded to moto (false). */
  answered: boolean;
}

export interface Answer {
  status: number;
  contentType: string;
  body: string;
}

export interface ApiServer {
  url: string;
  requests: Received[];
  stop: () => Promise<void>;
}

export function xml(status: number, body: string): Answer {
  return { status, contentType: 'text/xml', body };
}

export function json(status: number, value: unknown): Answer {
  return { status, contentType: 'application/json', body: JSON.stringify(value) };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function forwardTo(target: string, req: IncomingMessage, body: Buffer, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', target);
  const headers = { ...req.headers, host: url.host };
  const out = request(url, { method: req.method, headers }, (up) => {
    res.writeHead(up.statusCode ?? 502, up.headers);
    up.pipe(res);
  });
  out.on('error', (err) => {
    res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(`forward failed: ${err.message}`);
  });
  out.end(body);
}

/**
 * Starts the server. `answer` gets each request and returns the answer, or null to forward it to
 * `forward` (moto); with no `forward`, a request it does not answer gets a 501, which makes the
 * SDK call (and the test) fail.
 */
export async function startApiServer(options: {
  answer: (r: Received) => Answer | null;
  route?: (method: string, path: string) => string | null;
  forward?: string;
}): Promise<ApiServer> {
  const requests: Received[] = [];
  const server = createServer(async (req, res) => {
    try {
      const body = await readBody(req);
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const auth = String(req.headers.authorization ?? '');
      const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(auth);
      const type = String(req.headers['content-type'] ?? '');
      let params: Record<string, unknown> = {};
      if (type.startsWith('application/x-www-form-urlencoded')) {
        params = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
      } else if (body.length && /json/.test(type)) {
        params = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      }
      // JSON 1.1 APIs (Athena...) name the operation in X-Amz-Target: `AmazonAthena.GetQueryResults`.
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation =
        typeof params.Action === 'string'
          ? params.Action
          : target
            ? (target.split('.').pop() ?? null)
            : (options.route?.(req.method ?? 'GET', url.pathname) ?? null);
      const received: Received = {
        operation,
        service: scope?.[2] ?? null,
        region: scope?.[1] ?? null,
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        params,
        answered: false,
      };
      requests.push(received);
      const a = options.answer(received);
      if (a) {
        received.answered = true;
        res.writeHead(a.status, {
          'content-type': a.contentType,
          'x-amzn-requestid': '11111111-2222-3333-4444-555555555555',
        });
        res.end(a.body);
        return;
      }
      if (options.forward) {
        forwardTo(options.forward, req, body, res);
        return;
      }
      res.writeHead(501, { 'content-type': 'text/plain' });
      res.end(`the test server does not answer ${req.method} ${url.pathname} (${operation ?? '?'})`);
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`test server error: ${(err as Error).message}`);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
