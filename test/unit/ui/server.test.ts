import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { Session } from '../../../src/index.js';
import type { CallRecord } from '../../../src/model/index.js';
import { startUiServer, type UiServer } from '../../../src/ui/server.js';
import type { UiSnapshot } from '../../../src/ui/view.js';

const TOKEN = 'test-token-0123456789abcdefghijklmnopqrstu';

const record = (operation: string, extra: Partial<CallRecord> = {}): CallRecord => ({
  time: '2026-11-21T18:00:00.000Z',
  source: 'proxy',
  provider: 'aws',
  service: 's3',
  operation,
  region: 'us-east-1',
  account: '123456789012',
  status: 200,
  error: null,
  actions: ['s3:ListBucket'],
  resources: ['arn:aws:s3:::secret-bucket-name'],
  unresolved: null,
  host: 'secret-bucket-name.s3.amazonaws.com',
  method: 'GET',
  path: '/',
  ...extra,
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request with full control of the headers (Host included), read to the end or for `ms`. */
function send(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  options: { method?: string; ms?: number } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: { host: `127.0.0.1:${port}`, ...headers },
        agent: false, // a socket of its own: `ms` ends it
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        let timer: NodeJS.Timeout | undefined;
        const done = () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        };
        res.on('end', done);
        if (options.ms !== undefined) {
          timer = setTimeout(() => {
            done();
            req.destroy();
          }, options.ms);
        }
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** The server-sent events in a stream's text. */
function events(text: string): { event: string; data: unknown }[] {
  return text
    .split('\n\n')
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      return event && data ? { event, data: JSON.parse(data) as unknown } : null;
    })
    .filter((e) => e !== null);
}

describe('ui/server: the page is for its owner only', () => {
  const session = new Session({ accountId: null, wildcardResources: false });
  session.addRecord(record('ListObjectsV2'));
  session.addRecord(
    record('PutObject', {
      status: 403,
      error: 'AccessDenied',
      actions: ['s3:PutObject'],
      resources: ['arn:aws:s3:::secret-bucket-name/k'],
    }),
  );
  let ui: UiServer;
  let cookie = '';
  const writes: number[] = [];

  before(async () => {
    ui = await startUiServer({
      session,
      token: TOKEN,
      intervalMs: 50,
      policyIntervalMs: 0,
      onWrite: () => {
        writes.push(Date.now());
        return 'wrote policy.json; still serving';
      },
    });
    cookie = `leastpriv_ui_${ui.port}=${TOKEN}`;
  });
  after(() => ui.close());

  it('listens on 127.0.0.1 and prints a URL with the token', () => {
    assert.equal(ui.url, `http://127.0.0.1:${ui.port}/?token=${TOKEN}`);
  });

  it('refuses a request without the token, or with another one', async () => {
    const wrong: Record<string, string>[] = [
      {},
      { cookie: `leastpriv_ui_${ui.port}=nope` },
      { 'x-leastpriv-token': 'x' },
      { cookie: `leastpriv_ui_${ui.port + 1}=${TOKEN}` },
    ];
    for (const headers of wrong) {
      const r = await send(ui.port, '/', headers);
      assert.equal(r.status, 403);
      assert.doesNotMatch(r.body, /secret-bucket-name|<html/);
    }
    assert.equal((await send(ui.port, '/events')).status, 403);
    assert.equal((await send(ui.port, '/?token=wrong')).status, 403);
  });

  it('trades the token in the URL for an HttpOnly SameSite=Strict cookie', async () => {
    const r = await send(ui.port, `/?token=${TOKEN}`);
    assert.equal(r.status, 303);
    assert.equal(r.headers.location, '/');
    assert.deepEqual(r.headers['set-cookie'], [`${cookie}; Path=/; HttpOnly; SameSite=Strict`]);
  });

  it('serves the page with the cookie (or the header), with a strict CSP and no CORS', async () => {
    const right: Record<string, string>[] = [{ cookie }, { 'x-leastpriv-token': TOKEN }];
    for (const headers of right) {
      const r = await send(ui.port, '/', headers);
      assert.equal(r.status, 200);
      assert.match(r.body, /^<!doctype html>/);
      const csp = String(r.headers['content-security-policy']);
      assert.match(csp, /^default-src 'none'; script-src 'sha256-[^']+'; style-src 'sha256-[^']+';/);
      assert.match(csp, /connect-src 'self'/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.equal(r.headers['x-frame-options'], 'DENY');
      assert.deepEqual(
        Object.keys(r.headers).filter((h) => h.startsWith('access-control-')),
        [],
      );
    }
  });

  it('refuses another Host (DNS rebinding), another Origin, and cross-site fetches, even with the token', async () => {
    const attacks: Record<string, string>[] = [
      { host: `evil.example:${ui.port}` },
      { host: `127.0.0.1:${ui.port + 1}` },
      { origin: 'http://evil.example' },
      { origin: `http://127.0.0.1:${ui.port + 1}` },
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
    ];
    for (const attack of attacks) {
      for (const path of ['/', '/events', `/?token=${TOKEN}`]) {
        const r = await send(ui.port, path, { cookie, ...attack }, { ms: 300 });
        assert.equal(r.status, 403, `${JSON.stringify(attack)} ${path}`);
        assert.doesNotMatch(r.body, /secret-bucket-name|<html|event:/);
        assert.equal(r.headers['set-cookie'], undefined);
        assert.equal(r.headers['access-control-allow-origin'], undefined);
      }
    }
    // Its own origin is fine.
    const ok = await send(ui.port, '/', { cookie, origin: `http://127.0.0.1:${ui.port}` });
    assert.equal(ok.status, 200);
  });

  it('streams a snapshot, then each new call and the policy that changed', async () => {
    const stream = send(ui.port, '/events', { cookie }, { ms: 600 });
    setTimeout(
      () =>
        session.addRecord(
          record('GetObject', { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::b/k'] }),
        ),
      200,
    );
    const r = await stream;
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'text/event-stream; charset=utf-8');
    const got = events(r.body);
    assert.deepEqual(
      got.map((e) => e.event),
      ['snapshot', 'calls', 'policy'],
      r.body,
    );
    const snap = got[0]?.data as UiSnapshot;
    assert.deepEqual(
      snap.calls.map((c) => [c.id, c.operation, c.denied, c.actions]),
      [
        [1, 'ListObjectsV2', false, ['s3:ListBucket']],
        [2, 'PutObject', true, ['s3:PutObject']],
      ],
    );
    assert.deepEqual(
      (got[1]?.data as UiSnapshot['calls'] | undefined)?.map((c) => [c.id, c.operation]),
      [[3, 'GetObject']],
    );
    const policy = got[2]?.data as UiSnapshot['policy'];
    assert.ok(policy.json.includes('"s3:GetObject"'), policy.json);
  });

  it('sends thousands of new calls as one event per tick', async () => {
    const stream = send(ui.port, '/events', { cookie }, { ms: 700 });
    setTimeout(() => {
      for (let i = 0; i < 3000; i++) {
        session.addRecord(
          record('GetObject', { actions: ['s3:GetObject'], resources: [`arn:aws:s3:::b/${i}`] }),
        );
      }
    }, 150);
    const got = events((await stream).body);
    const calls = got.filter((e) => e.event === 'calls').flatMap((e) => e.data as UiSnapshot['calls']);
    assert.equal(calls.length, 3000);
    assert.ok(got.filter((e) => e.event === 'calls').length <= 3, got.map((e) => e.event).join());
    assert.deepEqual(
      calls.map((c) => c.id),
      Array.from({ length: 3000 }, (_, i) => i + 4),
    );
  });

  it('writes the files on a POST from the page only', async () => {
    const before = writes.length;
    assert.equal((await send(ui.port, '/api/write', { cookie }, { method: 'POST' })).status, 403);
    assert.equal(
      (
        await send(
          ui.port,
          '/api/write',
          { cookie, 'x-leastpriv': 'write', origin: 'http://evil.example' },
          { method: 'POST' },
        )
      ).status,
      403,
    );
    assert.equal(writes.length, before);
    const r = await send(
      ui.port,
      '/api/write',
      { cookie, 'x-leastpriv': 'write', origin: `http://127.0.0.1:${ui.port}` },
      { method: 'POST' },
    );
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body), { ok: true, message: 'wrote policy.json; still serving' });
    assert.equal(writes.length, before + 1);
  });
});
