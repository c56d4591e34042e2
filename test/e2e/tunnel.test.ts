/**
 * A non-AWS host is tunnelled blind, never intercepted: a client that goes through the proxy
 * to a local HTTPS server sees that server's own self-signed certificate, and nothing lands in
 * the calls log. Plain-HTTP proxy requests to a non-AWS host are forwarded too.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  assertCaptureInvariants,
  assertOk,
  exec,
  explain,
  leastprivRun,
  requireTools,
  tempDir,
  testEnv,
} from './support.js';

const SUBJECT = 'leastpriv-e2e-tunnel-server';

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

describe('non-AWS hosts through leastpriv run', { timeout: 60_000 }, () => {
  let dir: string;
  let certPath: string;
  let httpsServer: Server;
  let httpServer: Server;
  let httpsPort: number;
  let httpPort: number;
  let env: NodeJS.ProcessEnv;
  const seen: string[] = [];

  before(async () => {
    requireTools('openssl', 'curl');
    dir = tempDir('tunnel');
    certPath = join(dir, 'server.pem');
    const keyPath = join(dir, 'server-key.pem');
    const gen = await exec(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        keyPath,
        '-out',
        certPath,
        '-days',
        '2',
        '-subj',
        `/CN=${SUBJECT}`,
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { env: process.env, timeoutMs: 20_000 },
    );
    assertOk(gen, 'openssl req');
    httpsServer = createHttpsServer(
      { key: fs.readFileSync(keyPath), cert: fs.readFileSync(certPath) },
      (req, res) => {
        seen.push(`https ${req.method} ${req.url}`);
        res.end('hello from the tunnelled server\n');
      },
    );
    httpServer = createHttpServer((req, res) => {
      seen.push(`http ${req.method} ${req.url}`);
      res.end('hello over plain http\n');
    });
    httpsPort = await listen(httpsServer);
    httpPort = await listen(httpServer);
    env = testEnv(tempDir('tunnel-home'));
  });

  after(() => {
    httpsServer?.closeAllConnections();
    httpsServer?.close();
    httpServer?.closeAllConnections();
    httpServer?.close();
  });

  it('curl through the proxy (CONNECT) sees the server’s own certificate; no call is recorded', async () => {
    // leastpriv's NO_PROXY exempts localhost: --noproxy '' and -x force the proxy anyway.
    const script = `exec curl -sS --noproxy '' -x "$HTTPS_PROXY" --cacert '${certPath}' -w 'connect=%{http_connect}\\n%{certs}' https://localhost:${httpsPort}/tunnel-check`;
    const r = await leastprivRun(['sh', '-c', script], { env, cwd: dir, timeoutMs: 30_000 });
    assertOk(r, 'curl');
    assert.match(r.stdout, /^hello from the tunnelled server\nconnect=200\n/, explain(r));
    assert.match(r.stdout, new RegExp(`^Subject: ?CN ?= ?${SUBJECT}$`, 'm'), explain(r));
    assert.match(r.stdout, new RegExp(`^Issuer: ?CN ?= ?${SUBJECT}$`, 'm'), explain(r));
    assert.doesNotMatch(r.stdout, /leastpriv local CA/);
    assert.ok(
      seen.includes('https GET /tunnel-check'),
      `the server did not see the request: ${seen.join(', ')}`,
    );
    assertCaptureInvariants(r);
    assert.deepEqual(r.calls, []);
  });

  it('openssl s_client through the proxy verifies the server’s own chain', async () => {
    const request = 'GET /s-client-check HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n';
    const script = `proxy="\${HTTPS_PROXY#http://}"; proxy="\${proxy%/}"; printf '${request}' | openssl s_client -proxy "$proxy" -connect localhost:${httpsPort} -servername localhost -CAfile '${certPath}' -verify_return_error -brief -ign_eof`;
    const r = await leastprivRun(['sh', '-c', script], { env, cwd: dir, timeoutMs: 30_000 });
    // The exit code is not asserted: s_client reports an unclean TLS close by the server as an error.
    const out = r.stdout + r.stderr;
    assert.match(out, /CONNECTION ESTABLISHED/, explain(r));
    assert.match(out, /Verification: OK/, explain(r));
    assert.match(out, new RegExp(`Peer certificate: CN ?= ?${SUBJECT}`), explain(r));
    assert.match(r.stdout, /hello from the tunnelled server/, explain(r));
    assert.ok(
      seen.includes('https GET /s-client-check'),
      `the server did not see the request: ${seen.join(', ')}`,
    );
    assertCaptureInvariants(r);
    assert.deepEqual(r.calls, []);
  });

  it('a plain-HTTP proxy request to a non-AWS host is forwarded, not recorded', async () => {
    const script = `exec curl -sS --noproxy '' -x "$HTTP_PROXY" http://localhost:${httpPort}/plain-check`;
    const r = await leastprivRun(['sh', '-c', script], { env, cwd: dir, timeoutMs: 30_000 });
    assertOk(r, 'curl');
    assert.equal(r.stdout, 'hello over plain http\n');
    assert.ok(
      seen.includes('http GET /plain-check'),
      `the server did not see the request: ${seen.join(', ')}`,
    );
    assertCaptureInvariants(r);
    assert.deepEqual(r.calls, []);
  });
});
