/**
 * A client that does not trust leastpriv's CA (it names its own CA file, overriding the bundle
 * leastpriv sets) rejects the certificate in the handshake. `leastpriv run` detects that, stops
 * the command within seconds instead of letting it retry for minutes, exits 3, and says which
 * CA setting the client ignored. A client that does not verify at all is not reported.
 */
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  assertOk,
  CLI,
  exec,
  explain,
  leastprivRun,
  type Moto,
  opView,
  requireTools,
  SYSTEM_BUNDLE,
  startMoto,
  tempDir,
  testEnv,
} from './support.js';

/** How long leastpriv may take to stop a rejecting client (the clients retry for ~20 s). */
const FAST_MS = 10_000;

describe('a client that rejects leastpriv’s certificate', { timeout: 90_000 }, () => {
  let moto: Moto;
  let env: NodeJS.ProcessEnv;
  let caPath: string;

  before(async () => {
    requireTools('moto_server', 'curl', 'python3', 'aws');
    moto = await startMoto();
    env = testEnv(tempDir('reject-home'));
    const r = await exec(process.execPath, [CLI, 'ca', '--path'], { env, timeoutMs: 20_000 });
    assertOk(r, 'leastpriv ca --path');
    caPath = r.stdout.trim();
  });

  after(async () => {
    await moto?.stop();
  });

  it('curl --cacert SYSTEM_BUNDLE (retrying) is stopped fast: exit 3, CURL_CA_BUNDLE named', async () => {
    const r = await leastprivRun(
      [
        'curl',
        '-sS',
        '--retry',
        '20',
        '--retry-all-errors',
        '--retry-delay',
        '1',
        '--cacert',
        SYSTEM_BUNDLE,
        'https://sts.amazonaws.com/',
      ],
      { env, timeoutMs: 40_000, options: ['--upstream', moto.url] },
    );
    assert.equal(r.code, 3, explain(r));
    assert.ok(r.ms < FAST_MS, `took ${r.ms} ms to stop the command: ${explain(r)}`);
    assert.match(r.stderr, /rejected leastpriv's certificate for sts\.amazonaws\.com/, explain(r));
    assert.match(r.stderr, /unknown ca/i, 'names the certificate problem');
    assert.match(r.stderr, /CURL_CA_BUNDLE/, 'names the CA setting curl ignored');
    const bundle = join(dirname(dirname(caPath)), 'ca-bundle.pem');
    assert.ok(r.stderr.includes(bundle), `names the bundle to use, ${bundle}: ${r.stderr}`);
    assert.deepEqual(r.calls, []);
  });

  it('Python ssl/urllib with an explicit system cafile (retrying) is stopped fast: exit 3', async () => {
    const script = [
      'import ssl, time, urllib.request',
      `ctx = ssl.create_default_context(cafile=${JSON.stringify(SYSTEM_BUNDLE)})`,
      'for attempt in range(20):',
      '    try:',
      '        urllib.request.urlopen("https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15", context=ctx, timeout=5)',
      '    except Exception as e:',
      '        print("attempt", attempt, e, flush=True)',
      '    time.sleep(1)',
    ].join('\n');
    const r = await leastprivRun(['python3', '-c', script], {
      env,
      timeoutMs: 40_000,
      options: ['--upstream', moto.url],
    });
    assert.equal(r.code, 3, explain(r));
    assert.ok(r.ms < FAST_MS, `took ${r.ms} ms to stop the command: ${explain(r)}`);
    // What the client itself printed is not asserted: leastpriv stops it right as its first
    // attempt fails, so its output may be cut anywhere.
    assert.match(r.stderr, /rejected leastpriv's certificate for sts\.us-east-1\.amazonaws\.com/, explain(r));
    assert.match(r.stderr, /unknown ca/i, 'names the certificate problem');
    assert.match(r.stderr, /SSL_CERT_FILE|REQUESTS_CA_BUNDLE/, 'names the CA settings Python reads');
    assert.deepEqual(r.calls, []);
  });

  it('--on-tls-reject warn reports the rejection and lets the command finish with its own code', async () => {
    const r = await leastprivRun(['curl', '-sS', '--cacert', SYSTEM_BUNDLE, 'https://sts.amazonaws.com/'], {
      env,
      timeoutMs: 30_000,
      options: ['--upstream', moto.url, '--on-tls-reject', 'warn'],
    });
    assert.equal(r.code, 60, `curl's own exit code for an untrusted certificate: ${explain(r)}`);
    assert.match(r.stderr, /rejected leastpriv's certificate for sts\.amazonaws\.com/, explain(r));
    assert.doesNotMatch(r.stderr, /stopping the command/);
  });

  it('aws --no-verify-ssl does not reject, so it is not reported', async () => {
    const r = await leastprivRun(['aws', '--no-verify-ssl', 'sts', 'get-caller-identity'], {
      env,
      timeoutMs: 30_000,
      options: ['--upstream', moto.url],
    });
    assertOk(r, 'aws --no-verify-ssl');
    assert.equal((JSON.parse(r.stdout) as { Account: string }).Account, '123456789012');
    assert.doesNotMatch(r.stderr, /rejected/);
    assert.deepEqual(r.calls.map(opView), [
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
  });
});
