import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';

/** A self-signed certificate for 127.0.0.1 and localhost, made with openssl. */
export function selfSigned(): { cert: string; key: string; certPath: string } {
  const dir = mkdtempSync(join(tmpdir(), 'lp-origin-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'pipe' },
    );
  } catch (err) {
    throw new Error(`openssl is needed for this test (apt-get install openssl): ${(err as Error).message}`);
  }
  return {
    cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    key: readFileSync(join(dir, 'key.pem'), 'utf8'),
    certPath: join(dir, 'cert.pem'),
  };
}

export interface Seen {
  method: string;
  url: string;
  host: string;
  bytes: number;
  sha: string;
}

/** An HTTPS origin that records what it received and answers by path. */
export async function startOrigin(
  cert: { cert: string; key: string },
  answer: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<{ port: number; seen: Seen[]; close: () => void }> {
  const seen: Seen[] = [];
  const { createHash } = await import('node:crypto');
  const server = https.createServer({ cert: cert.cert, key: cert.key }, (req, res) => {
    const hash = createHash('sha256');
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      bytes += c.length;
      hash.update(c);
    });
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        host: req.headers.host ?? '',
        bytes,
        sha: hash.digest('hex'),
      });
      answer(req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** Opens a CONNECT tunnel through the proxy and TLS inside it, trusting only `ca`. */
export async function tunnel(
  proxyPort: number,
  host: string,
  ca: string[] | undefined,
): Promise<tls.TLSSocket> {
  const req = http.request({ host: '127.0.0.1', port: proxyPort, method: 'CONNECT', path: `${host}:443` });
  req.end();
  const socket = await new Promise<import('node:net').Socket>((resolve, reject) => {
    req.once('connect', (res, s) =>
      res.statusCode === 200 ? resolve(s) : reject(new Error(`CONNECT ${res.statusCode}`)),
    );
    req.once('error', reject);
  });
  return await new Promise((resolve, reject) => {
    const t = tls.connect(
      { socket, servername: host, ...(ca ? { ca } : {}), ALPNProtocols: ['http/1.1'] },
      () => resolve(t),
    );
    t.once('error', (err) => {
      socket.destroy();
      reject(err);
    });
  });
}

/** Sends one HTTP/1.1 request on an open socket and reads one response (keep-alive). */
export function exchange(
  socket: tls.TLSSocket,
  head: string,
  body: Buffer = Buffer.alloc(0),
): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      const end = buf.indexOf('\r\n\r\n');
      if (end === -1) return;
      const headers = buf.subarray(0, end).toString();
      const rest = buf.subarray(end + 4);
      let body: Buffer | null = null;
      if (/transfer-encoding:\s*chunked/i.test(headers)) {
        body = dechunk(rest);
      } else {
        const len = Number(/content-length:\s*(\d+)/i.exec(headers)?.[1] ?? 0);
        if (rest.length >= len) body = rest.subarray(0, len);
      }
      if (body === null) return;
      socket.off('data', onData);
      resolve({ status: Number(headers.split(' ')[1]), headers, body: body.toString() });
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(head);
    if (body.length) socket.write(body);
  });
}

/** A complete chunked body, or null while more is to come. */
function dechunk(buf: Buffer): Buffer | null {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = buf.indexOf('\r\n', at);
    if (eol === -1) return null;
    const size = Number.parseInt(buf.subarray(at, eol).toString(), 16);
    if (size === 0) return buf.length >= eol + 4 ? Buffer.concat(parts) : null;
    if (buf.length < eol + 2 + size + 2) return null;
    parts.push(buf.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}
