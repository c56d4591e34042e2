/**
 * `leastpriv proxy`: the long-running proxy. It prints the export line a user pastes into
 * another terminal; SIGHUP writes the policy and calls log and keeps serving; SIGTERM writes
 * them and exits 0.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ACCOUNT,
  assertOk,
  type CallRecord,
  CLI,
  exec,
  type Moto,
  opView,
  type PolicyDocument,
  parseNdjson,
  policyActions,
  requireTools,
  startMoto,
  stopGroup,
  tempDir,
  testEnv,
} from './support.js';

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls until `check` returns a value (not undefined) or fails after `ms`. */
async function waitFor<T>(
  what: string,
  ms: number,
  check: () => T | undefined,
  detail: () => string,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out after ${ms} ms waiting for ${what}\n${detail()}`);
    await sleep(50);
  }
}

describe('leastpriv proxy', { timeout: 90_000 }, () => {
  let moto: Moto;
  let proxy: ChildProcess;
  let stderr = '';
  let exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  let out: string;
  let env: NodeJS.ProcessEnv;
  let exportLine: string;
  let proxyUrl: string;

  const policyPath = () => join(out, 'policy.json');
  const callsPath = () => join(out, 'calls.ndjson');
  const readCalls = (): CallRecord[] | undefined =>
    fs.existsSync(callsPath()) ? parseNdjson(fs.readFileSync(callsPath(), 'utf8')) : undefined;
  const readPolicy = (): PolicyDocument =>
    JSON.parse(fs.readFileSync(policyPath(), 'utf8')) as PolicyDocument;
  /** Runs a shell script in a fresh environment after pasting the printed export line. */
  const inWorkloadShell = (script: string) =>
    exec('sh', ['-c', `${exportLine}\n${script}`], { env, cwd: out, timeoutMs: 30_000 });

  before(async () => {
    requireTools('moto_server', 'aws');
    moto = await startMoto();
    out = tempDir('proxy');
    env = testEnv(tempDir('proxy-home'));
    proxy = spawn(
      process.execPath,
      [CLI, 'proxy', '--port', '0', '--upstream', moto.url, '-o', policyPath(), '--calls', callsPath()],
      { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    proxy.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    proxy.stdout?.resume();
    exit = new Promise((resolve) => proxy.once('exit', (code, signal) => resolve({ code, signal })));
    exportLine = await waitFor(
      'the export line on stderr',
      15_000,
      () => /^\s*(export .*)$/m.exec(stderr)?.[1],
      () => stderr,
    );
    proxyUrl = /listening on (http:\/\/\S+?),? /.exec(stderr)?.[1] ?? '';
  });

  after(async () => {
    if (proxy) await stopGroup(proxy, 'SIGKILL');
    await moto?.stop();
  });

  it('--port 0 listens on a real port and prints it in the URL and the export line', () => {
    assert.match(proxyUrl, /^http:\/\/127\.0\.0\.1:\d+$/, stderr);
    const port = Number(new URL(proxyUrl).port);
    assert.ok(port > 0 && port < 65536, `port ${port} in: ${stderr}`);
    assert.match(exportLine, new RegExp(`(^| )HTTPS_PROXY=${proxyUrl}( |$)`));
    assert.match(exportLine, /(^| )AWS_CA_BUNDLE=\S+/);
    assert.equal(fs.existsSync(policyPath()), false, 'the policy was written before any signal');
  });

  it('SIGHUP writes the policy and the calls log and keeps serving', async () => {
    const first = await inWorkloadShell('aws sts get-caller-identity');
    assertOk(first, 'aws sts get-caller-identity (first call)');
    assert.equal((JSON.parse(first.stdout) as { Account: string }).Account, ACCOUNT);

    proxy.kill('SIGHUP');
    const calls = await waitFor(
      'the calls log after SIGHUP',
      10_000,
      () => {
        const c = readCalls();
        return c && c.length >= 1 ? c : undefined;
      },
      () => stderr,
    );
    assert.deepEqual(calls.map(opView), [
      {
        host: 'sts.us-east-1.amazonaws.com',
        method: 'POST',
        status: 200,
        error: null,
        service: 'sts',
        operation: 'GetCallerIdentity',
        region: 'us-east-1',
        unresolved: null,
      },
    ]);
    await waitFor(
      'the policy after SIGHUP',
      5_000,
      () => (fs.existsSync(policyPath()) ? true : undefined),
      () => stderr,
    );
    assert.equal(readPolicy().Version, '2012-10-17');
    assert.equal(proxy.exitCode, null, `the proxy exited on SIGHUP: ${stderr}`);
    assert.equal(proxy.signalCode, null, `the proxy died on SIGHUP: ${stderr}`);

    const second = await inWorkloadShell('aws dynamodb list-tables');
    assertOk(second, 'aws dynamodb list-tables (after SIGHUP)');
    assert.deepEqual(JSON.parse(second.stdout), { TableNames: [] });
  });

  it('SIGTERM writes both calls and exits 0', async () => {
    proxy.kill('SIGTERM');
    const result = await Promise.race([
      exit,
      sleep(15_000).then(() => assert.fail(`the proxy did not exit within 15 s of SIGTERM:\n${stderr}`)),
    ]);
    assert.deepEqual(result, { code: 0, signal: null }, stderr);
    const calls = readCalls() ?? [];
    assert.deepEqual(
      calls.map((c) => [c.host, c.service, c.operation, c.status]),
      [
        ['sts.us-east-1.amazonaws.com', 'sts', 'GetCallerIdentity', 200],
        ['dynamodb.us-east-1.amazonaws.com', 'dynamodb', 'ListTables', 200],
      ],
    );
    const actions = policyActions(readPolicy());
    assert.ok(actions.includes('dynamodb:ListTables'), `policy actions: ${actions.join(', ')}`);
    assert.deepEqual(
      fs.readdirSync(out).sort(),
      ['calls.ndjson', 'policy.json'],
      'only the two output files, no temp files left behind',
    );
  });
});
