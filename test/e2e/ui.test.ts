/**
 * The capture page (`--ui`), end to end: a real `leastpriv run --ui` of the AWS CLI against
 * moto, watched in a real (headless) Chromium driven by playwright-core.
 *
 * A denied call, from a real emulator: moto enforces IAM when started with
 * INITIAL_NO_AUTH_ACTION_COUNT=N (the first N requests go unchecked). The test spends those
 * three requests creating a user, its inline policy (s3:CreateBucket and s3:ListAllMyBuckets
 * only) and its access key, straight to moto; the workload then runs with that key through
 * leastpriv, and its ListObjectsV2 is answered 403 AccessDenied, as AWS would.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import {
  CLI,
  exec,
  type Moto,
  parseNdjson,
  requireTools,
  startMoto,
  stopGroup,
  tempDir,
  testEnv,
} from './support.js';

const CHROMIUM = '/usr/bin/chromium';

async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    assert.fail(
      `this test needs Chromium at ${CHROMIUM}: apt-get update && apt-get install -y chromium (CI does it in .ci/run)`,
    );
  }
  let playwright: typeof import('playwright-core');
  try {
    playwright = await import('playwright-core');
  } catch (err) {
    assert.fail(
      `this test needs playwright-core: npm install (it is a devDependency) (${(err as Error).message})`,
    );
  }
  return playwright.chromium.launch({ executablePath: CHROMIUM, headless: true });
}

/** A started leastpriv whose stderr is read as it comes. */
interface Started {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

function startLeastpriv(args: string[], env: NodeJS.ProcessEnv): Started {
  const child = spawn(process.execPath, [CLI, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  child.stdout?.resume();
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  process.once('exit', () => {
    if (child.exitCode === null && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  });
  return { child, stderr: () => err, exited };
}

/** The page's URL once leastpriv has printed it. */
async function pageUrl(p: Started, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const m = /watch this capture at (http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+)\n/.exec(p.stderr());
    if (m?.[1]) return m[1];
    if (p.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`leastpriv printed no page URL; its stderr:\n${p.stderr()}`);
}

/** A raw request (any Host, Origin, cookie), read for at most `ms`. */
function send(
  url: URL,
  path: string,
  headers: Record<string, string>,
  method = 'GET',
  ms = 1000,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path,
        method,
        headers: { host: url.host, ...headers },
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => {
          body += d;
        });
        const done = () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        };
        const timer = setTimeout(() => {
          done();
          req.destroy();
        }, ms);
        res.on('end', done);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Retries an assertion until it holds (the page renders on the next animation frame). */
async function eventually(check: () => Promise<void>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function waitForFile(path: string, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (fs.existsSync(path)) return fs.readFileSync(path, 'utf8');
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`${path} was not written`);
}

describe('ui: watching a capture in a browser', { timeout: 120_000 }, () => {
  let moto: Moto;
  let browser: Browser;

  before(async () => {
    requireTools('aws', 'moto_server');
    browser = await launchChromium();
    // moto checks IAM after the first 3 requests (see the top of this file).
    process.env.INITIAL_NO_AUTH_ACTION_COUNT = '3';
    try {
      moto = await startMoto();
    } finally {
      delete process.env.INITIAL_NO_AUTH_ACTION_COUNT;
    }
  });
  after(async () => {
    await browser?.close();
    await moto?.stop();
  });

  it('shows calls as they happen, the missing permission of a denied call, the calls behind a statement; copies the exact policy; writes the files now', async (t) => {
    const home = tempDir('ui');
    const admin = testEnv(home);
    const iam = (...args: string[]) =>
      exec('aws', ['--endpoint-url', moto.url, 'iam', ...args, '--output', 'json'], { env: admin });
    let r = await iam('create-user', '--user-name', 'ci');
    assert.equal(r.code, 0, r.stderr);
    const allowed = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['s3:CreateBucket', 's3:ListAllMyBuckets'], Resource: '*' }],
    };
    r = await iam(
      'put-user-policy',
      '--user-name',
      'ci',
      '--policy-name',
      'ci',
      '--policy-document',
      JSON.stringify(allowed),
    );
    assert.equal(r.code, 0, r.stderr);
    r = await iam('create-access-key', '--user-name', 'ci');
    assert.equal(r.code, 0, r.stderr);
    const key = (JSON.parse(r.stdout) as { AccessKey: { AccessKeyId: string; SecretAccessKey: string } })
      .AccessKey;

    // The workload waits for the page before its first call, and for the test before it exits.
    const go = join(home, 'go');
    const done = join(home, 'done');
    const script = [
      'while [ ! -e "$UI_GO" ]; do sleep 0.1; done',
      'aws s3api create-bucket --bucket ui-demo >/dev/null',
      'aws s3api list-buckets >/dev/null',
      'aws s3api list-objects-v2 --bucket ui-demo >/dev/null 2>&1 && exit 9',
      'while [ ! -e "$UI_DONE" ]; do sleep 0.1; done',
    ].join('\n');
    const policyPath = join(home, 'policy.json');
    const callsPath = join(home, 'calls.ndjson');
    const env = testEnv(home, {
      AWS_ACCESS_KEY_ID: key.AccessKeyId,
      AWS_SECRET_ACCESS_KEY: key.SecretAccessKey,
      UI_GO: go,
      UI_DONE: done,
    });
    const lp = startLeastpriv(
      [
        'run',
        '--ui',
        '--upstream',
        moto.url,
        '-o',
        policyPath,
        '--calls',
        callsPath,
        '--',
        'sh',
        '-c',
        script,
      ],
      env,
    );
    try {
      const url = new URL(await pageUrl(lp));
      assert.equal(
        lp.stderr().split(url.searchParams.get('token') ?? '?').length - 1,
        1,
        'the token is printed once',
      );

      // Only the token's holder gets anything; another origin gets nothing even with it.
      const noToken = await send(url, '/', {});
      assert.equal(noToken.status, 403);
      const foreign = await send(url, `/events?token=${url.searchParams.get('token')}`, {
        origin: 'http://evil.example',
      });
      assert.equal(foreign.status, 403);
      assert.equal(foreign.headers['access-control-allow-origin'], undefined);
      assert.equal(foreign.headers['set-cookie'], undefined);
      assert.doesNotMatch(foreign.body, /event:|ui-demo/);

      const context = await browser.newContext({
        viewport: { width: 1400, height: 860 },
        permissions: ['clipboard-read', 'clipboard-write'],
      });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(e.message));
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      await page.goto(url.href);
      assert.equal(page.url(), `${url.origin}/`, 'the token leaves the address bar');
      await page.locator('#conn', { hasText: 'live' }).waitFor({ timeout: 10_000 });
      assert.equal(await page.locator('#n-calls').textContent(), '0');

      // Calls appear while the command runs.
      fs.writeFileSync(go, '');
      const rows = page.locator('.rows .row:not(.hidden)');
      await page.locator('#n-calls', { hasText: '3' }).waitFor({ timeout: 30_000 });
      const operations = async () => rows.locator('.op').allTextContents();
      await eventually(async () =>
        assert.deepEqual((await operations()).sort(), ['CreateBucket', 'ListBuckets', 'ListObjectsV2']),
      );

      // The denied call names the permission it lacked.
      const denied = page.locator('.rows .row.denied');
      assert.equal(await denied.count(), 1);
      assert.equal(await denied.locator('.op').textContent(), 'ListObjectsV2');
      assert.equal(await denied.locator('.status').textContent(), '403');
      assert.equal(await denied.locator('.act').textContent(), 'missing: s3:ListBucket');
      assert.equal(await page.locator('#n-denied').textContent(), '1');
      await page.locator('#f-denied').check();
      await eventually(async () => assert.deepEqual(await operations(), ['ListObjectsV2']));
      await page.locator('#f-denied').uncheck();
      await eventually(async () => assert.equal(await rows.count(), 3));

      // A statement opens on the calls behind it.
      const statement = page.locator('details.st', { hasText: 's3:CreateBucket' });
      await statement.locator('summary').click();
      await eventually(async () =>
        assert.deepEqual(await statement.locator('ul.explain li').allTextContents(), [
          'CreateBucket → s3:CreateBucket (PUT ui-demo.s3.amazonaws.com/)',
        ]),
      );
      await statement.locator('button.show-calls').click();
      await eventually(async () => assert.deepEqual(await operations(), ['CreateBucket']));
      await page.locator('#statement-filter-clear').click();
      await eventually(async () => assert.equal(await rows.count(), 3));

      // Copy puts the exact JSON of the policy on the clipboard (once the page has the policy
      // with the denied call's permission: the policy is sent at most once a second).
      await eventually(async () =>
        assert.match((await page.locator('#policy-text').textContent()) ?? '', /"s3:ListBucket"/),
      );
      await page.locator('#copy-policy').click();
      await page.locator('#copy-policy', { hasText: 'Copied' }).waitFor({ timeout: 5000 });
      const copied = String(await page.evaluate('navigator.clipboard.readText()'));
      assert.equal(copied, await page.locator('#policy-text').textContent());
      assert.match(copied, /"s3:ListBucket"/);

      // "Write files now" writes the policy and the calls log while the command still runs.
      await page.locator('#write').click();
      await page.locator('#write-status', { hasText: 'wrote' }).waitFor({ timeout: 10_000 });
      assert.equal(await waitForFile(policyPath), copied);
      assert.equal(parseNdjson(await waitForFile(callsPath)).length, 3);
      assert.equal(lp.child.exitCode, null, 'the command is still running');

      const shot = join(tmpdir(), `leastpriv-ui-e2e-${process.pid}.png`);
      await statement.locator('summary').scrollIntoViewIfNeeded();
      await page.locator('.rows .row.denied').click();
      await page.screenshot({ path: shot });
      t.diagnostic(`screenshot: ${shot}`);
      console.log(`# ui e2e screenshot: ${shot}`);

      fs.writeFileSync(done, '');
      const code = await lp.exited;
      assert.equal(code, 0, lp.stderr());
      assert.equal(
        fs.readFileSync(policyPath, 'utf8'),
        copied,
        'the copied JSON is the policy written at exit',
      );
      const calls = parseNdjson(fs.readFileSync(callsPath, 'utf8'));
      const deniedCall = calls.find((c) => c.operation === 'ListObjectsV2');
      assert.equal(deniedCall?.error, 'AccessDenied');
      assert.deepEqual(problems, [], 'the page logged errors');
      await context.close();
    } finally {
      fs.writeFileSync(done, '');
      await stopGroup(lp.child);
    }
  });
});

describe('ui: leastpriv report', { timeout: 60_000 }, () => {
  let browser: Browser;
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  it('writes one offline page that stays quick with thousands of calls (only visible rows are drawn)', async (t) => {
    const dir = tempDir('ui-report');
    const callsPath = join(dir, 'calls.ndjson');
    const n = 5000;
    const lines: string[] = [];
    for (let i = 1; i <= n; i++) {
      const bucket = `bucket-${i % 5}`;
      const key = `data/${i}.json`;
      const denied = i % 97 === 0;
      lines.push(
        JSON.stringify({
          time: new Date(Date.UTC(2026, 10, 21, 18, 0, 0, i)).toISOString(),
          source: 'proxy',
          provider: 'aws',
          service: 's3',
          operation: 'GetObject',
          region: 'us-east-1',
          account: '123456789012',
          status: denied ? 403 : 200,
          error: denied ? 'AccessDenied' : null,
          actions: ['s3:GetObject'],
          resources: [`arn:aws:s3:::${bucket}/${key}`],
          unresolved: null,
          host: `${bucket}.s3.amazonaws.com`,
          method: 'GET',
          path: `/${key}`,
        }),
      );
    }
    fs.writeFileSync(callsPath, `${lines.join('\n')}\n`);
    const reportPath = join(dir, 'report.html');
    const r = await exec(process.execPath, [CLI, 'report', callsPath, '-o', reportPath], {
      env: testEnv(dir),
      timeoutMs: 30_000,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /report of 5000 calls/);

    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    const requests: string[] = [];
    page.on('request', (req) => requests.push(req.url()));
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    const started = Date.now();
    await page.goto(`file://${reportPath}`);
    await page.locator('#n-calls', { hasText: String(n) }).waitFor({ timeout: 20_000 });
    const loadMs = Date.now() - started;
    t.diagnostic(`report of ${n} calls shown in ${loadMs} ms`);
    assert.equal(await page.locator('#n-denied').textContent(), String(Math.floor(n / 97)));
    // Virtualised: a few dozen rows exist, not thousands.
    const drawn = await page.locator('.rows .row').count();
    assert.ok(drawn > 10 && drawn < 100, `${drawn} rows in the document`);
    // The last call is reachable by scrolling; the first ones are then gone from the document.
    await page.locator('#viewport').evaluate((el) => {
      el.scrollTop = el.scrollHeight;
    });
    await eventually(async () => {
      const ids = (await page
        .locator('.rows .row:not(.hidden)')
        .evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-id'))))) as number[];
      assert.ok(ids.includes(n), `last rows: ${ids.slice(-3)}`);
      assert.ok(!ids.includes(1));
    });
    await page.locator('#f-text').fill('data/4999.json');
    await eventually(async () =>
      assert.deepEqual(await page.locator('.rows .row:not(.hidden) .res').allTextContents(), [
        'arn:aws:s3:::bucket-4/data/4999.json',
      ]),
    );
    // Nothing but the file itself (and the data: icon) was requested.
    assert.deepEqual(
      requests.filter((u) => !u.startsWith('file://') && !u.startsWith('data:')),
      [],
    );
    assert.deepEqual(problems, []);
    await page.close();
  });
});

describe('ui: proxy --ui', { timeout: 60_000 }, () => {
  it('serves the page next to the proxy, to the token only, and writes the files on request', async () => {
    const home = tempDir('ui-proxy');
    const policyPath = join(home, 'policy.json');
    const lp = startLeastpriv(
      ['proxy', '--port', '0', '--ui-port', '0', '--upstream', 'stub', '-q', '-o', policyPath],
      testEnv(home),
    );
    try {
      const url = new URL(await pageUrl(lp));
      const token = url.searchParams.get('token') ?? '';
      assert.equal((await send(url, '/', {})).status, 403);
      assert.equal((await send(url, '/', { host: `evil.example:${url.port}` })).status, 403);
      const first = await send(url, `/?token=${token}`, {});
      assert.equal(first.status, 303);
      const cookie = String((first.headers['set-cookie'] as string[])[0]).split(';')[0] ?? '';
      const html = await send(url, '/', { cookie });
      assert.equal(html.status, 200);
      assert.match(String(html.headers['content-security-policy']), /^default-src 'none';/);
      const write = await send(
        url,
        '/api/write',
        { cookie, 'x-leastpriv': 'write', origin: url.origin },
        'POST',
      );
      assert.equal(write.status, 200, write.body);
      assert.match(write.body, /wrote .*policy\.json; still serving/);
      assert.ok(fs.existsSync(policyPath), 'the policy was written while the proxy serves');
    } finally {
      await stopGroup(lp.child);
    }
  });
});
