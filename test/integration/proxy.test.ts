import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { after, before, describe, it } from 'node:test';
import * as tls from 'node:tls';
import { type ProxyServer, startProxy, type TlsRejection } from '../../src/capture/proxy/server.js';
import { createCaCertificate, LeafIssuer } from '../../src/capture/proxy/x509.js';
import type { ObservedCall } from '../../src/model/index.js';
import { exchange, selfSigned, startOrigin, tunnel } from './support.js';

describe('the proxy with a real TLS origin', () => {
  const ca = createCaCertificate();
  const origin = selfSigned();
  const calls: ObservedCall[] = [];
  const rejections: TlsRejection[] = [];
  const logs: string[] = [];
  let server: Awaited<ReturnType<typeof startOrigin>>;
  let proxy: ProxyServer;
  const waitCalls = async (n: number) => {
    for (let i = 0; i < 200 && calls.length < n; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(calls.length, n);
  };

  before(async () => {
    server = await startOrigin(origin, (req, res) => {
      if (req.url === '/denied') {
        res.writeHead(403, { 'content-type': 'application/xml' });
        res.end('<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain', 'x-origin': 'yes' });
      res.end(`ok ${req.method} ${req.url}`);
    });
    proxy = await startProxy({
      host: '127.0.0.1',
      port: 0,
      leafs: new LeafIssuer(ca.certPem, ca.keyPem),
      upstream: { kind: 'url', url: new URL(`https://127.0.0.1:${server.port}`) },
      upstreamCa: [origin.cert],
      bodyLimit: 1024,
      onCall: (c) => calls.push(c),
      onTlsReject: (r) => rejections.push(r),
      log: (l) => logs.push(l),
    });
  });
  after(async () => {
    await proxy.close(100);
    server.close();
  });

  it('streams a 3 MiB upload unchanged, keeps the Host, records a bounded prefix and no signature', async () => {
    calls.length = 0;
    const host = 'my.dotted.bucket.s3.eu-west-1.amazonaws.com';
    const body = randomBytes(3 * 1024 * 1024);
    const t = await tunnel(proxy.port, host, [ca.certPem]);
    const res = await exchange(
      t,
      `PUT /key.bin?x-id=PutObject HTTP/1.1\r\nHost: ${host}\r\nContent-Length: ${body.length}\r\n` +
        'Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261121/eu-west-1/s3/aws4_request, SignedHeaders=host, Signature=deadbeef\r\n' +
        'X-Amz-Security-Token: SECRET-TOKEN\r\n\r\n',
      body,
    );
    assert.equal(res.status, 200);
    assert.equal(res.body, 'ok PUT /key.bin?x-id=PutObject');
    const seen = server.seen.at(-1);
    assert.equal(seen?.host, host);
    assert.equal(seen?.bytes, body.length);
    assert.equal(seen?.sha, createHash('sha256').update(body).digest('hex'));
    await waitCalls(1);
    const call = calls[0] as ObservedCall;
    assert.equal(call.host, host);
    assert.equal(call.method, 'PUT');
    assert.equal(call.path, '/key.bin');
    assert.equal(call.query, 'x-id=PutObject');
    assert.equal(call.body.byteLength, 1024);
    assert.equal(call.bodySize, body.length);
    assert.equal(call.bodyTruncated, true);
    assert.equal(call.response?.status, 200);
    assert.equal(call.headers['x-amz-security-token'], undefined);
    assert.equal(call.headers.authorization?.includes('deadbeef'), false);
    assert.ok(!JSON.stringify(call).includes('SECRET-TOKEN'));
    t.destroy();
  });

  it('keeps the connection alive and records each request, with the error code of a denial', async () => {
    calls.length = 0;
    const host = 'sts.amazonaws.com';
    const t = await tunnel(proxy.port, host, [ca.certPem]);
    const a = await exchange(t, `GET /one HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    const b = await exchange(t, `GET /denied HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    assert.deepEqual([a.status, b.status], [200, 403]);
    await waitCalls(2);
    assert.deepEqual(
      calls.map((c) => [c.path, c.response?.status, c.response?.errorCode]),
      [
        ['/one', 200, null],
        ['/denied', 403, 'AccessDenied'],
      ],
    );
    t.destroy();
  });

  it('speaks HTTP/2 with clients that offer only h2, forwarding as HTTP/1.1 with the Host they signed', async () => {
    calls.length = 0;
    const host = 'kinesis.us-east-1.amazonaws.com';
    const session = http2.connect(`https://${host}`, {
      createConnection: () =>
        tls.connect({
          host: '127.0.0.1',
          port: proxy.directPort,
          servername: host,
          ca: [ca.certPem],
          ALPNProtocols: ['h2'],
        }),
    });
    const body = await new Promise<string>((resolve, reject) => {
      const req = session.request({
        ':method': 'POST',
        ':path': '/h2?x=1',
        'x-amz-target': 'Kinesis_20131202.ListStreams',
      });
      let text = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => {
        text += c;
      });
      req.on('end', () => resolve(text));
      req.on('error', reject);
      req.end('{}');
    });
    session.close();
    assert.equal(body, 'ok POST /h2?x=1');
    assert.equal(server.seen.at(-1)?.host, host);
    await waitCalls(1);
    assert.deepEqual(
      [
        calls[0]?.host,
        calls[0]?.path,
        calls[0]?.query,
        calls[0]?.headers['x-amz-target'],
        calls[0]?.response?.status,
      ],
      [host, '/h2', 'x=1', 'Kinesis_20131202.ListStreams', 200],
    );
  });

  it('intercepts plain-HTTP proxy requests to cloud hosts', async () => {
    calls.length = 0;
    const res = await new Promise<http.IncomingMessage>((resolve) =>
      http.get(
        { host: '127.0.0.1', port: proxy.port, path: 'http://iam.amazonaws.com/?Action=ListRoles' },
        resolve,
      ),
    );
    res.resume();
    assert.equal(res.statusCode, 200);
    await waitCalls(1);
    assert.deepEqual(
      [calls[0]?.scheme, calls[0]?.host, calls[0]?.query],
      ['http', 'iam.amazonaws.com', 'Action=ListRoles'],
    );
  });

  it('answers a malformed request with 400 and keeps serving', async () => {
    const raw = await new Promise<string>((resolve) => {
      const s = net.connect(proxy.port, '127.0.0.1', () => s.write('THIS IS NOT HTTP\r\n\r\n'));
      let text = '';
      s.on('data', (c) => {
        text += c.toString();
      });
      s.on('close', () => resolve(text));
    });
    assert.match(raw, /^HTTP\/1\.1 400 /);
    const t = await tunnel(proxy.port, 's3.amazonaws.com', [ca.certPem]);
    assert.equal((await exchange(t, 'GET / HTTP/1.1\r\nHost: s3.amazonaws.com\r\n\r\n')).status, 200);
    t.destroy();
  });

  it('tunnels other hosts blind: the client sees the origin certificate, nothing is recorded', async () => {
    calls.length = 0;
    const req = http.request({
      host: '127.0.0.1',
      port: proxy.port,
      method: 'CONNECT',
      path: `127.0.0.1:${server.port}`,
    });
    req.end();
    const socket = await new Promise<net.Socket>((r) => req.once('connect', (_res, s: net.Socket) => r(s)));
    const t = tls.connect({ socket, servername: 'localhost', ca: [origin.cert] });
    await new Promise((r) => t.once('secureConnect', r));
    assert.equal(t.getPeerCertificate().subject.CN, 'localhost');
    assert.equal((await exchange(t, 'GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n')).body, 'ok GET /x');
    t.destroy();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(calls.length, 0);
  });

  it('reports a client that hangs up after checking the certificate (Node.js sends no alert)', async () => {
    rejections.length = 0;
    await assert.rejects(tunnel(proxy.port, 'dynamodb.us-east-1.amazonaws.com', undefined));
    for (let i = 0; i < 100 && rejections.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(rejections, [
      {
        host: 'dynamodb.us-east-1.amazonaws.com',
        alert: 'hung up right after the handshake',
        userAgent: null,
      },
    ]);
  });

  it('reports a client that rejects its certificate with a TLS alert, naming the client', async () => {
    rejections.length = 0;
    const code = await new Promise<number | null>((resolve) => {
      const c = spawn(
        'curl',
        [
          '-sS',
          '-o',
          '/dev/null',
          '-A',
          'curl/test',
          '-x',
          `http://127.0.0.1:${proxy.port}`,
          '--cacert',
          origin.certPath,
          'https://sts.amazonaws.com/',
        ],
        { stdio: 'ignore' },
      );
      c.on('error', () => resolve(-1));
      c.on('exit', resolve);
    });
    assert.notEqual(code, -1, 'curl is needed for this test: apt-get install curl');
    assert.equal(code, 60);
    for (let i = 0; i < 100 && rejections.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(rejections, [
      { host: 'sts.amazonaws.com', alert: 'unknown ca', userAgent: 'curl/test' },
    ]);
  });
});

describe('the proxy when the upstream fails', () => {
  it('answers 502 naming the upstream and records the call', async () => {
    const ca = createCaCertificate();
    const calls: ObservedCall[] = [];
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as net.AddressInfo).port;
    closed.close();
    const proxy = await startProxy({
      host: '127.0.0.1',
      port: 0,
      leafs: new LeafIssuer(ca.certPem, ca.keyPem),
      upstream: { kind: 'url', url: new URL(`http://127.0.0.1:${deadPort}`) },
      bodyLimit: 1024,
      onCall: (c) => calls.push(c),
    });
    const t = await tunnel(proxy.port, 'sqs.us-east-1.amazonaws.com', [ca.certPem]);
    const res = await exchange(
      t,
      'POST / HTTP/1.1\r\nHost: sqs.us-east-1.amazonaws.com\r\nContent-Length: 2\r\n\r\n',
      Buffer.from('{}'),
    );
    assert.equal(res.status, 502);
    assert.ok(res.body.includes(`http://127.0.0.1:${deadPort}`), res.body);
    t.destroy();
    await proxy.close(100);
    assert.equal(calls.length, 1);
    assert.equal(calls[0]?.response?.status, 502);
  });
});
