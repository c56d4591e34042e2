/**
 * The local page for watching a capture (`--ui`): an HTTP server on 127.0.0.1 that serves the
 * page, streams the calls and the policy as server-sent events, and writes the outputs on
 * request. Only the person who started leastpriv can use it:
 *
 * - it listens on the loopback address only;
 * - every request carries the random token: `?token=` on the first load (answered with an
 *   HttpOnly, SameSite=Strict cookie and a redirect that takes the token out of the address
 *   bar), then the cookie or an `X-Leastpriv-Token` header; without it, 403;
 * - the `Host` header must be the loopback address and port (a DNS-rebinding page has its own
 *   name there), a request whose `Origin` is another origin or whose `Sec-Fetch-Site` says
 *   cross-site is refused, and no CORS header is ever sent;
 * - the page may load nothing from anywhere else (Content-Security-Policy);
 * - it serves what the calls log holds, never a request or response body.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Session } from '../index.js';
import { UNRESOLVED_REASONS } from '../model/index.js';
import { contentSecurityPolicy, renderPage } from './page.js';
import { type UiPolicy, type UiSnapshot, uiCalls, uiPolicy } from './view.js';

export interface UiServerOptions {
  session: Session;
  /** 0 (default) picks a free port. */
  port?: number;
  /** "Write files now": writes the outputs, returns one line saying where (throws on failure). */
  onWrite?: () => string;
  /** How often new calls are sent (ms); the policy, at most every `policyIntervalMs`. */
  intervalMs?: number;
  policyIntervalMs?: number;
  /** A fixed token (tests); default: 32 random bytes. */
  token?: string;
}

export interface UiServer {
  /** The URL to open, with the token: print it once. */
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const HEADERS = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
} as const;

const HOST = '127.0.0.1';

export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  const { session } = options;
  const token = options.token ?? randomBytes(32).toString('base64url');
  const tokenBytes = Buffer.from(token);
  let port = 0;
  const cookieName = () => `leastpriv_ui_${port}`;
  const page = renderPage({ mode: 'live' });
  const csp = contentSecurityPolicy('live');

  // What every client has been sent: calls 1..sent, and the policy of `policyRevision`.
  let sent = 0;
  // A call sent so far was recorded before the account was known (its ARNs say `*`).
  let pendingAccount = false;
  let policyRevision = -1;
  let policy: UiPolicy | null = null;
  let policySentAt = 0;
  const policyEvery = options.policyIntervalMs ?? 1000;
  const clients = new Set<ServerResponse>();

  const currentPolicy = (): UiPolicy => {
    if (policy === null || policyRevision !== session.revision) {
      policyRevision = session.revision;
      try {
        policy = uiPolicy(session);
      } catch (err) {
        // A bug in building the policy must not take the calls table down with it.
        const message = `leastpriv could not build the policy: ${(err as Error).message}`;
        policy = {
          json: '',
          terraform: '',
          cloudformation: '',
          statements: [],
          warnings: [message],
          actions: 0,
        };
      }
    }
    return policy;
  };
  const event = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
  const broadcast = (text: string) => {
    for (const res of clients) res.write(text);
  };
  const snapshot = (): UiSnapshot => ({
    calls: uiCalls(session, 1, sent),
    policy: currentPolicy(),
    reasons: { ...UNRESOLVED_REASONS },
  });

  const tick = () => {
    const count = session.callCount;
    if (count > sent) {
      const fresh = uiCalls(session, sent + 1, count);
      sent = count;
      // The first call that names the account fills it into the calls recorded before it
      // (Session.settle): those rows changed, so every client gets everything again, once.
      const settled = pendingAccount && fresh.some((c) => c.account !== null);
      if (settled) pendingAccount = false;
      else if (fresh.some((c) => c.account === null && c.actions !== null)) pendingAccount = true;
      if (clients.size === 0) return;
      if (settled) {
        broadcast(event('snapshot', snapshot()));
        return;
      }
      broadcast(event('calls', fresh));
    }
    // The policy is rebuilt and sent at most once a second: a capture of thousands of calls
    // changes it all the time.
    if (clients.size > 0 && policyRevision !== session.revision && Date.now() - policySentAt >= policyEvery) {
      policySentAt = Date.now();
      broadcast(event('policy', currentPolicy()));
    }
  };
  const timer = setInterval(tick, options.intervalMs ?? 300);
  timer.unref();
  const keepAlive = setInterval(() => broadcast(': keep-alive\n\n'), 15_000);
  keepAlive.unref();

  const refuse = (res: ServerResponse, status: number, text: string) => {
    res.writeHead(status, { ...HEADERS, 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(`${text}\n`);
  };

  const tokenOf = (req: IncomingMessage, url: URL): { value: string; from: 'query' | 'other' } | null => {
    const q = url.searchParams.get('token');
    if (q !== null) return { value: q, from: 'query' };
    const header = req.headers['x-leastpriv-token'];
    if (typeof header === 'string') return { value: header, from: 'other' };
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const eq = part.indexOf('=');
      if (eq !== -1 && part.slice(0, eq).trim() === cookieName()) {
        return { value: part.slice(eq + 1).trim(), from: 'other' };
      }
    }
    return null;
  };
  const valid = (value: string) => {
    const b = Buffer.from(value);
    return b.length === tokenBytes.length && timingSafeEqual(b, tokenBytes);
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const self = `${HOST}:${port}`;
    const host = req.headers.host;
    // DNS rebinding: a page of evil.example that resolves to 127.0.0.1 still says evil.example.
    if (host !== self && host !== `localhost:${port}`) return refuse(res, 403, 'forbidden: wrong Host');
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${host}`)
      return refuse(res, 403, 'forbidden: foreign origin');
    if (req.headers['sec-fetch-site'] === 'cross-site') return refuse(res, 403, 'forbidden: cross-site');
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://${self}`);
    } catch {
      return refuse(res, 400, 'bad request');
    }
    const token = tokenOf(req, url);
    if (token === null || !valid(token.value))
      return refuse(res, 403, 'forbidden: open the URL leastpriv printed');
    if (token.from === 'query') {
      // Keep the token in an HttpOnly cookie and out of the address bar and history.
      res.writeHead(303, {
        ...HEADERS,
        'Set-Cookie': `${cookieName()}=${token.value}; Path=/; HttpOnly; SameSite=Strict`,
        Location: url.pathname,
        'Content-Type': 'text/plain; charset=utf-8',
      });
      res.end('see the page\n');
      return;
    }
    const route = `${req.method} ${url.pathname}`;
    if (route === 'GET /' || route === 'HEAD /') {
      res.writeHead(200, {
        ...HEADERS,
        'Content-Security-Policy': csp,
        'Content-Type': 'text/html; charset=utf-8',
      });
      res.end(req.method === 'HEAD' ? undefined : page);
      return;
    }
    if (route === 'GET /events') {
      tick();
      res.writeHead(200, {
        ...HEADERS,
        'Content-Type': 'text/event-stream; charset=utf-8',
        Connection: 'keep-alive',
      });
      res.write(`retry: 1000\n${event('snapshot', snapshot())}`);
      clients.add(res);
      const drop = () => clients.delete(res);
      req.on('close', drop);
      res.on('error', drop);
      return;
    }
    if (route === 'POST /api/write') {
      // A form of another site cannot get here (SameSite=Strict, Origin), nor set this header.
      if (req.headers['x-leastpriv'] !== 'write') return refuse(res, 403, 'forbidden: missing X-Leastpriv');
      req.resume();
      let body: { ok: boolean; message: string };
      if (!options.onWrite) body = { ok: false, message: 'nothing to write' };
      else {
        try {
          body = { ok: true, message: options.onWrite() };
        } catch (err) {
          body = { ok: false, message: (err as Error).message };
        }
      }
      res.writeHead(body.ok ? 200 : 500, { ...HEADERS, 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
      return;
    }
    return refuse(res, 404, 'not found');
  };

  const server: Server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch {
      if (!res.headersSent) refuse(res, 500, 'internal error');
      else res.destroy();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://${HOST}:${port}/?token=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(timer);
        clearInterval(keepAlive);
        for (const res of clients) res.end();
        clients.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
