/**
 * `leastpriv run` as a command wrapper, with no AWS call at all: the environment it gives the
 * command (proxy variables, one CA bundle overriding the machine's preset CA variables, a
 * NO_PROXY that does not exempt cloud hosts), stdin/stdout pass-through, the command's own
 * exit code, and signal forwarding with the output files still written.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  assertOk,
  CLI,
  exec,
  explain,
  leastprivRun,
  parseNdjson,
  requireTools,
  SYSTEM_BUNDLE,
  stopGroup,
  tempDir,
  testEnv,
} from './support.js';

const CA_VARS = [
  'AWS_CA_BUNDLE',
  'REQUESTS_CA_BUNDLE',
  'SSL_CERT_FILE',
  'CURL_CA_BUNDLE',
  'NODE_EXTRA_CA_CERTS',
];
const PROXY_VARS = ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy'];

/** The PEM certificates of a bundle, normalised. */
function pems(text: string): string[] {
  return (text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((p) =>
    p.replace(/\s+/g, ''),
  );
}

describe('leastpriv run as a wrapper', { timeout: 60_000 }, () => {
  it('overrides every preset CA variable with one bundle of the system roots plus the CA', async () => {
    requireTools('openssl');
    const home = tempDir('run-home');
    const env = testEnv(home, { NO_PROXY: 'example.org,.amazonaws.com,s3.amazonaws.com' });
    for (const name of CA_VARS) assert.equal(env[name], process.env[name] ?? SYSTEM_BUNDLE, `${name} preset`);
    const r = await leastprivRun([process.execPath, '-e', 'console.log(JSON.stringify(process.env))'], {
      env,
    });
    assertOk(r);
    const seen = JSON.parse(r.stdout) as Record<string, string>;

    const bundle = seen.AWS_CA_BUNDLE ?? '';
    for (const name of CA_VARS) assert.equal(seen[name], bundle, `${name} points at the one bundle`);
    assert.notEqual(bundle, SYSTEM_BUNDLE);
    const caPath = (
      await exec(process.execPath, [CLI, 'ca', '--path'], { env, timeoutMs: 20_000 })
    ).stdout.trim();
    const inBundle = pems(fs.readFileSync(bundle, 'utf8'));
    const ca = pems(fs.readFileSync(caPath, 'utf8'));
    assert.equal(ca.length, 1);
    assert.ok(inBundle.includes(ca[0] as string), 'the bundle holds leastpriv’s CA');
    const system = pems(fs.readFileSync(SYSTEM_BUNDLE, 'utf8'));
    assert.ok(system.length > 10, 'the system bundle has roots');
    const missing = system.filter((p) => !inBundle.includes(p));
    assert.equal(missing.length, 0, `${missing.length} system roots missing from the bundle`);

    const proxy = seen.HTTPS_PROXY ?? '';
    assert.match(proxy, /^http:\/\/127\.0\.0\.1:\d+$/);
    for (const name of PROXY_VARS) assert.equal(seen[name], proxy, name);
    for (const name of ['NO_PROXY', 'no_proxy']) {
      const entries = (seen[name] ?? '').split(',');
      assert.ok(entries.includes('example.org'), `${name} keeps the user's entries: ${seen[name]}`);
      assert.ok(entries.includes('localhost') && entries.includes('127.0.0.1'), `${name}: ${seen[name]}`);
      assert.ok(!entries.some((e) => /amazonaws\.com/.test(e)), `${name} must not exempt AWS: ${seen[name]}`);
    }
  });

  it('passes stdin and stdout through and exits with the command’s own code', async () => {
    const env = testEnv(tempDir('run-home'));
    const r = await leastprivRun(['sh', '-c', 'cat; echo to-stderr >&2; exit 7'], {
      env,
      input: 'line one\nline two\n',
    });
    assert.equal(r.code, 7, explain(r));
    assert.equal(r.stdout, 'line one\nline two\n');
    assert.match(r.stderr, /^to-stderr\n/);
    assert.deepEqual(r.calls, []);

    const missing = await leastprivRun(['leastpriv-e2e-no-such-command'], { env });
    assert.equal(missing.code, 127, explain(missing));
    assert.match(missing.stderr, /command not found: leastpriv-e2e-no-such-command/);
  });

  it('forwards SIGTERM to the command and still writes the policy and the calls log', async () => {
    const env = testEnv(tempDir('run-home'));
    const out = tempDir('run-out');
    const policy = join(out, 'policy.json');
    const calls = join(out, 'calls.ndjson');
    const child = spawn(
      process.execPath,
      [
        CLI,
        'run',
        '-o',
        policy,
        '--calls',
        calls,
        '--',
        'sh',
        '-c',
        'trap "echo got-term; exit 42" TERM; echo ready; while :; do sleep 0.1; done',
      ],
      { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (d.includes('ready')) child.kill('SIGTERM');
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => void stopGroup(child, 'SIGKILL'), 20_000);
    const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
    clearTimeout(timer);
    assert.equal(code, 42, `exit ${code}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
    assert.equal(stdout, 'ready\ngot-term\n');
    assert.deepEqual(parseNdjson(fs.readFileSync(calls, 'utf8')), []);
    assert.equal((JSON.parse(fs.readFileSync(policy, 'utf8')) as { Version: string }).Version, '2012-10-17');
  });
});
