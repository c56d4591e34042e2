/**
 * Java through `leastpriv run`: a program that configures no proxy and no trust store (the
 * JDK's HttpClient and HttpsURLConnection) is captured, because every JVM the command starts
 * reads the proxy and leastpriv's trust store from JAVA_TOOL_OPTIONS. The JDK's own keytool
 * reads the trust store; a program that insists on another trust store is stopped with advice.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ACCOUNT,
  assertOk,
  explain,
  FIXTURES,
  leastprivRun,
  type Moto,
  requireTools,
  startMoto,
  tempDir,
  testEnv,
} from './support.js';

const CLIENT = join(FIXTURES, 'JavaClient.java');

describe('Java programs through leastpriv run', { timeout: 120_000 }, () => {
  let moto: Moto;

  before(async () => {
    requireTools('moto_server', 'java', 'keytool');
    moto = await startMoto();
  });

  after(async () => {
    await moto?.stop();
  });

  it('captures the calls of a Java program that configures no proxy and no trust store', async () => {
    const home = tempDir('java-home');
    const r = await leastprivRun(['java', CLIENT], {
      env: testEnv(home, { JAVA_TOOL_OPTIONS: '-Xmx256m' }),
      timeoutMs: 90_000,
      options: ['--upstream', moto.url],
    });
    assertOk(r, 'the Java program');
    assert.match(r.stdout, /^dynamodb 200 \{"TableNames": \[\]\}$/m, explain(r));
    assert.match(r.stdout, new RegExp(`^sts 200 .*<Account>${ACCOUNT}</Account>`, 'm'), explain(r));
    // The user's own options are kept, leastpriv's come after them.
    assert.match(r.stderr, /Picked up JAVA_TOOL_OPTIONS: -Xmx256m -Dhttps\.proxyHost=127\.0\.0\.1 /);
    assert.deepEqual(
      r.calls.map((c) => ({
        service: c.service,
        operation: c.operation,
        region: c.region,
        account: c.account,
        actions: c.actions,
        resources: c.resources,
        unresolved: c.unresolved,
      })),
      [
        {
          service: 'dynamodb',
          operation: 'ListTables',
          region: 'us-east-1',
          account: ACCOUNT,
          actions: ['dynamodb:ListTables'],
          resources: ['*'],
          unresolved: null,
        },
        {
          service: 'sts',
          operation: 'GetCallerIdentity',
          region: 'us-east-1',
          account: ACCOUNT,
          actions: [],
          resources: [],
          unresolved: null,
        },
      ],
    );
    assert.deepEqual(r.policy, {
      Version: '2012-10-17',
      Statement: [{ Sid: 'DynamoDBRead', Effect: 'Allow', Action: 'dynamodb:ListTables', Resource: '*' }],
    });

    // The trust store is a PKCS #12 file the JDK reads without a password: our CA and the roots.
    const list = spawnSync(
      'keytool',
      ['-list', '-keystore', join(home, 'ca-truststore.p12'), '-storetype', 'PKCS12'],
      {
        encoding: 'utf8',
        input: '\n',
      },
    );
    assert.equal(list.status, 0, list.stderr + list.stdout);
    assert.match(list.stdout, /^leastpriv-ca, .*, trustedCertEntry, *$/m, list.stdout);
    const entries = Number(/Your keystore contains (\d+) entries/.exec(list.stdout)?.[1]);
    assert.ok(entries > 10, `the system roots are in the trust store too: ${entries} entries`);
  });

  it('stops a Java program that sets its own trust store, and names the setting and the file', async () => {
    const home = tempDir('java-reject-home');
    const javaHome = spawnSync('java', ['-XshowSettings:properties', '-version'], { encoding: 'utf8' });
    const jdk = /java\.home = (.+)/.exec(javaHome.stderr)?.[1]?.trim();
    assert.ok(jdk, javaHome.stderr);
    // Options on the command line override JAVA_TOOL_OPTIONS: the JDK's own roots only.
    const r = await leastprivRun(
      ['java', `-Djavax.net.ssl.trustStore=${join(jdk, 'lib/security/cacerts')}`, CLIENT],
      {
        env: testEnv(home),
        timeoutMs: 90_000,
        options: ['--upstream', moto.url],
      },
    );
    assert.equal(r.code, 3, explain(r));
    assert.match(
      r.stderr,
      /rejected leastpriv's certificate for dynamodb\.us-east-1\.amazonaws\.com/,
      explain(r),
    );
    assert.ok(
      r.stderr.includes(`javax.net.ssl.trustStore at ${join(home, 'ca-truststore.p12')}`),
      `the advice names the Java trust store: ${explain(r)}`,
    );
    assert.deepEqual(r.calls, []);
  });
});
