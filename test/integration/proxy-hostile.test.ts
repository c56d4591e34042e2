import assert from 'node:assert/strict';
import * as net from 'node:net';
import { after, before, describe, it } from 'node:test';
import * as tls from 'node:tls';
import { type ProxyServer, startProxy, type TlsRejection } from '../../src/capture/proxy/server.js';
import { createCaCertificate, LeafIssuer } from '../../src/capture/proxy/x509.js';
import type { ObservedCall } from '../../src/model/index.js';
import { closesWithin, openFds, rawConnect, sendRaw, settlesTo, sleep } from './hostile.js';
import { exchange, selfSigned, startOrigin, tunnel } from './support.js';

const ca = createCaCertificate();
const origin = selfSigned();

/** TLS inside an already answered CONNECT. */
function tlsOver(socket: net.Socket, host: string): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const t = tls.connect({ socket, servername: host, ca: [ca.certPem], ALPNProtocols: ['http/1.1'] }, () =>
      resolve(t),
    );
    t.once('error', reject);
  });
}

describe('the proxy under malformed and hostile input', () => {
  const calls: ObservedCall[] = [];
  const logs: string[] = [];
  const rejections: TlsRejection[] = [];
  let server: Awaited<ReturnType<typeof startOrigin>>;
  let proxy: ProxyServer;
  const issuer = new LeafIssuer(ca.certPem, ca.keyPem);

  before(async () => {
    server = await startOrigin(origin, (req, res) => res.end(`ok ${req.method} ${req.url}`));
    proxy = await startProxy({
      host: '127.0.0.1',
      port: 0,
      leafs: {
        // A fault inside one connection: this host's certificate cannot be made.
        secureContextFor: (host) => {
          if (host === 'boom.s3.amazonaws.com') throw new Error('injected fault');
          return issuer.secureContextFor(host);
        },
      },
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

  const stillServes = async () => {
    const t = await tunnel(proxy.port, 's3.amazonaws.com', [ca.certPem]);
    const res = await exchange(t, 'GET /alive HTTP/1.1\r\nHost: s3.amazonaws.com\r\n\r\n');
    t.destroy();
    assert.equal(res.status, 200);
  };

  for (const target of [
    'a..amazonaws.com:443',
    `${'a'.repeat(64)}.s3.amazonaws.com:443`,
    '*.s3.amazonaws.com:443',
    'http://s3.amazonaws.com:443',
    's3.amazonaws.com:0',
    's3.amazonaws.com:65536',
    's3.amazonaws.com',
    ':443',
    '[::1:443',
    `${'a.'.repeat(130)}amazonaws.com:443`,
    's3.amazonaws.com:443/path',
    '-bad.amazonaws.com:443',
  ]) {
    it(`answers CONNECT ${target.slice(0, 40)} with 400 and one line of reason, and keeps serving`, async () => {
      const { socket, status, head } = await rawConnect(proxy.port, target);
      socket.destroy();
      assert.equal(status, 400, head);
      const reason = /x-leastpriv-error: (.*)/i.exec(head)?.[1] ?? '';
      assert.match(reason, /CONNECT target/);
      assert.doesNotMatch(reason, /[\r\n]/);
      await stillServes();
    });
  }

  it('closes a connection whose handler throws, logs it, and keeps serving', async () => {
    logs.length = 0;
    const { socket, status } = await rawConnect(proxy.port, 'boom.s3.amazonaws.com:443');
    assert.ok(status === 200 || status === 502, `status ${status}`);
    assert.equal(await closesWithin(socket, 10_000), true);
    assert.ok(
      logs.some((l) => l.includes('injected fault')),
      logs.join('\n'),
    );
    await stillServes();
  });

  it('never logs the query or credentials of an absolute URI it cannot parse', async () => {
    logs.length = 0;
    const answer = await sendRaw(
      proxy.port,
      'GET http://user:PASSWORD@s3.amazonaws.com:99999/key?X-Amz-Signature=SIGVALUE&X-Amz-Security-Token=TOKENVALUE&X-Amz-Credential=AKIDEXAMPLE HTTP/1.1\r\n' +
        'Host: s3.amazonaws.com\r\nConnection: close\r\n\r\n',
    );
    assert.match(answer, /^HTTP\/1\.1 400 /);
    const text = logs.join('\n');
    assert.match(text, /bad request/);
    for (const secret of ['SIGVALUE', 'TOKENVALUE', 'PASSWORD', 'AKIDEXAMPLE'])
      assert.doesNotMatch(text, new RegExp(secret), text);
    await stillServes();
  });

  it('does not take a CONNECT closed before its TLS handshake for a client rejecting the certificate', async () => {
    rejections.length = 0;
    const { socket, status } = await rawConnect(proxy.port, 'kms.us-east-1.amazonaws.com:443');
    assert.equal(status, 200);
    socket.end();
    assert.equal(await closesWithin(socket, 10_000), true);
    await sleep(200);
    assert.deepEqual(rejections, []);
  });

  it('answers 502 to a CONNECT whose blind tunnel cannot be opened, and keeps serving', async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as net.AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const { socket, status } = await rawConnect(proxy.port, `127.0.0.1:${deadPort}`);
    socket.destroy();
    assert.equal(status, 502);
    await stillServes();
  });

  it('releases CONNECT sockets closed before the TLS handshake', async () => {
    // Warm up: the first tunnel loads certificates and lazy modules.
    await stillServes();
    await sleep(200);
    const base = openFds();
    const n = 40;
    for (let i = 0; i < n; i++) {
      const { socket, status } = await rawConnect(proxy.port, 'sqs.us-east-1.amazonaws.com:443');
      assert.equal(status, 200);
      socket.end();
    }
    // Half-open on the direct TLS port as well.
    for (let i = 0; i < 10; i++) {
      const s = net.connect(proxy.directPort, '127.0.0.1');
      await new Promise((r) => s.once('connect', r));
      s.end();
    }
    const left = await settlesTo(openFds, base + 2, 10_000);
    assert.ok(left <= base + 2, `${left - base} descriptors still open of ${n + 10} closed connections`);
  });
});

describe('the proxy with short idle limits', () => {
  const limits = {
    headersMs: 400,
    handshakeMs: 400,
    keepAliveMs: 400,
    bodyIdleMs: 400,
    tunnelIdleMs: 400,
  };
  let server: Awaited<ReturnType<typeof startOrigin>>;
  let proxy: ProxyServer;
  let echo: net.Server;
  let echoPort: number;

  before(async () => {
    server = await startOrigin(origin, (req, res) => {
      // An answer that takes longer than every idle limit (a long poll, a slow Lambda invoke).
      const delay = req.url === '/slow' ? 2000 : 0;
      setTimeout(() => res.end(`ok ${req.method} ${req.url}`), delay);
    });
    echo = net.createServer((s) => {
      s.on('error', () => {});
      s.pipe(s);
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    echoPort = (echo.address() as net.AddressInfo).port;
    proxy = await startProxy({
      host: '127.0.0.1',
      port: 0,
      leafs: new LeafIssuer(ca.certPem, ca.keyPem),
      upstream: { kind: 'url', url: new URL(`https://127.0.0.1:${server.port}`) },
      upstreamCa: [origin.cert],
      bodyLimit: 1024,
      onCall: () => {},
      limits,
    });
  });
  after(async () => {
    await proxy.close(100);
    server.close();
    echo.close();
  });

  it('closes a connection that never sends a request', async () => {
    const s = net.connect(proxy.port, '127.0.0.1');
    assert.equal(await closesWithin(s, 15_000), true);
  });

  it('closes a connection that sends its headers too slowly (slowloris)', async () => {
    const s = net.connect(proxy.port, '127.0.0.1');
    s.on('error', () => {});
    s.write('GET http://s3.amazonaws.com/ HTTP/1.1\r\n');
    const drip = setInterval(() => s.writable && s.write('X-Drip: 1\r\n'), 100);
    try {
      assert.equal(await closesWithin(s, 15_000), true);
    } finally {
      clearInterval(drip);
    }
  });

  it('closes a CONNECT whose TLS handshake never comes', async () => {
    const { socket, status } = await rawConnect(proxy.port, 's3.amazonaws.com:443');
    assert.equal(status, 200);
    assert.equal(await closesWithin(socket, 15_000), true);
  });

  it('closes an intercepted connection idle after its request', async () => {
    const t = await tunnel(proxy.port, 's3.amazonaws.com', [ca.certPem]);
    assert.equal((await exchange(t, 'GET /a HTTP/1.1\r\nHost: s3.amazonaws.com\r\n\r\n')).status, 200);
    assert.equal(await closesWithin(t as unknown as net.Socket, 15_000), true);
  });

  it('closes a request whose body stops arriving', async () => {
    const t = await tunnel(proxy.port, 's3.amazonaws.com', [ca.certPem]);
    t.write('PUT /part HTTP/1.1\r\nHost: s3.amazonaws.com\r\nContent-Length: 100000\r\n\r\n');
    t.write(Buffer.alloc(1000, 1));
    assert.equal(await closesWithin(t as unknown as net.Socket, 15_000), true);
  });

  it('closes an idle blind tunnel', async () => {
    const { socket, status } = await rawConnect(proxy.port, `127.0.0.1:${echoPort}`);
    assert.equal(status, 200);
    socket.write('ping');
    assert.equal(await closesWithin(socket, 15_000), true);
  });

  it('never cuts a request whose answer takes longer than every idle limit', async () => {
    const t = await tunnel(proxy.port, 's3.amazonaws.com', [ca.certPem]);
    const res = await exchange(t, 'GET /slow HTTP/1.1\r\nHost: s3.amazonaws.com\r\n\r\n');
    t.destroy();
    assert.equal(res.status, 200);
    assert.equal(res.body, 'ok GET /slow');
  });

  it('never cuts an upload that keeps sending, however long it takes', async () => {
    const t = await tunnel(proxy.port, 's3.amazonaws.com', [ca.certPem]);
    const chunks = 20;
    const size = 1000;
    const answer = exchange(
      t,
      `PUT /steady HTTP/1.1\r\nHost: s3.amazonaws.com\r\nContent-Length: ${chunks * size}\r\n\r\n`,
    );
    for (let i = 0; i < chunks; i++) {
      await sleep(100);
      t.write(Buffer.alloc(size, i));
    }
    const res = await answer;
    t.destroy();
    assert.equal(res.status, 200);
    assert.equal(server.seen.at(-1)?.bytes, chunks * size);
  });

  it('never cuts a blind tunnel that carries traffic', async () => {
    const { socket, status } = await rawConnect(proxy.port, `127.0.0.1:${echoPort}`);
    assert.equal(status, 200);
    let echoed = '';
    socket.on('data', (c: Buffer) => {
      echoed += c.toString();
    });
    socket.resume();
    for (let i = 0; i < 12; i++) {
      socket.write('x');
      await sleep(150);
    }
    assert.equal(socket.destroyed, false);
    socket.destroy();
    assert.equal(echoed, 'x'.repeat(12));
  });
});

describe('the proxy at its connection limit', () => {
  let server: Awaited<ReturnType<typeof startOrigin>>;
  let proxy: ProxyServer;
  const logs: string[] = [];

  before(async () => {
    server = await startOrigin(origin, (req, res) => res.end(`ok ${req.method} ${req.url}`));
    proxy = await startProxy({
      host: '127.0.0.1',
      port: 0,
      leafs: new LeafIssuer(ca.certPem, ca.keyPem),
      upstream: { kind: 'url', url: new URL(`https://127.0.0.1:${server.port}`) },
      upstreamCa: [origin.cert],
      bodyLimit: 1024,
      onCall: () => {},
      log: (l) => logs.push(l),
      limits: { maxConnections: 3 },
    });
  });
  after(async () => {
    await proxy.close(100);
    server.close();
  });

  it('answers 503 past the limit, counts it, and serves again once a connection closes', async () => {
    const held = await Promise.all([1, 2, 3].map(() => tunnel(proxy.port, 's3.amazonaws.com', [ca.certPem])));
    const refused = await sendRaw(
      proxy.port,
      'CONNECT s3.amazonaws.com:443 HTTP/1.1\r\nHost: s3.amazonaws.com\r\n\r\n',
    );
    assert.match(refused, /^HTTP\/1\.1 503 /);
    assert.match(refused, /x-leastpriv-error: .*connection limit/i);
    assert.equal(proxy.stats().refused, 1);
    assert.ok(
      logs.some((l) => /connection limit/.test(l)),
      logs.join('\n'),
    );
    (held[0] as tls.TLSSocket).destroy();
    await settlesTo(() => proxy.stats().connections, 2, 10_000);
    const t = await tunnel(proxy.port, 's3.amazonaws.com', [ca.certPem]);
    assert.equal((await exchange(t, 'GET /again HTTP/1.1\r\nHost: s3.amazonaws.com\r\n\r\n')).status, 200);
    t.destroy();
    for (const h of held) h.destroy();
  });
});

describe('a TLS server socket over a raw CONNECT (sanity of the helpers)', () => {
  it('speaks TLS through a tunnel opened with rawConnect', async () => {
    const server = await startOrigin(origin, (_req, res) => res.end('ok'));
    const proxy = await startProxy({
      host: '127.0.0.1',
      port: 0,
      leafs: new LeafIssuer(ca.certPem, ca.keyPem),
      upstream: { kind: 'url', url: new URL(`https://127.0.0.1:${server.port}`) },
      upstreamCa: [origin.cert],
      bodyLimit: 1024,
      onCall: () => {},
    });
    try {
      const { socket, status } = await rawConnect(proxy.port, 'sts.amazonaws.com:443');
      assert.equal(status, 200);
      const t = await tlsOver(socket, 'sts.amazonaws.com');
      assert.equal((await exchange(t, 'GET / HTTP/1.1\r\nHost: sts.amazonaws.com\r\n\r\n')).status, 200);
      t.destroy();
    } finally {
      await proxy.close(100);
      server.close();
    }
  });
});

describe('the proxy when the upstream answers with a status no client can be given', () => {
  it('answers 502, records the call and keeps serving', async () => {
    // a TLS origin that writes a raw answer with a two-digit status
    const odd = tls.createServer({ cert: origin.cert, key: origin.key }, (s) => {
      s.once('data', () => s.end('HTTP/1.1 042 Odd\r\ncontent-length: 0\r\n\r\n'));
    });
    await new Promise<void>((r) => odd.listen(0, '127.0.0.1', r));
    const calls: ObservedCall[] = [];
    const issuer = new LeafIssuer(ca.certPem, ca.keyPem);
    const proxy = await startProxy({
      host: '127.0.0.1',
      port: 0,
      leafs: issuer,
      upstream: { kind: 'url', url: new URL(`https://127.0.0.1:${(odd.address() as net.AddressInfo).port}`) },
      upstreamCa: [origin.cert],
      bodyLimit: 1024,
      onCall: (c) => calls.push(c),
      log: () => {},
    });
    try {
      for (let i = 0; i < 2; i++) {
        const t = await tunnel(proxy.port, 's3.amazonaws.com', [ca.certPem]);
        const res = await exchange(t, 'GET /odd HTTP/1.1\r\nHost: s3.amazonaws.com\r\n\r\n');
        t.destroy();
        assert.equal(res.status, 502);
        assert.match(res.headers, /x-leastpriv-error: the upstream answered with status 42/i);
      }
      await settlesTo(() => 2 - calls.length, 0, 10_000);
      assert.deepEqual(
        calls.map((c) => c.response?.status),
        [502, 502],
      );
    } finally {
      await proxy.close(100);
      odd.close();
    }
  });
});
