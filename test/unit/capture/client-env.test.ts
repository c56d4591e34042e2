import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadOrCreateCa } from '../../../src/capture/proxy/ca.js';
import {
  caSettingFor,
  clientEnv,
  javaOptions,
  jvmQuote,
  noProxyFor,
  writeTrustFiles,
} from '../../../src/capture/proxy/client-env.js';
import { readChildren, readElement } from '../../../src/capture/proxy/der.js';
import { isIntercepted } from '../../../src/capture/proxy/hosts.js';
import { pemCertificates } from '../../../src/capture/proxy/pkcs12.js';

describe('intercepted hosts', () => {
  it('are AWS API domains and nothing else', () => {
    for (const h of [
      's3.amazonaws.com',
      'my.dotted.bucket.s3.eu-west-1.amazonaws.com',
      'sts.cn-north-1.amazonaws.com.cn',
      'lambda.us-east-1.api.aws',
      'S3.AMAZONAWS.COM.',
    ]) {
      assert.equal(isIntercepted(h), true, h);
    }
    for (const h of [
      'amazonaws.com.evil.example',
      'notamazonaws.com',
      'registry.terraform.io',
      'github.com',
      'api.aws.example',
    ]) {
      assert.equal(isIntercepted(h), false, h);
    }
  });
});

describe('the environment of a command under leastpriv run', () => {
  const input = {
    proxyUrl: 'http://127.0.0.1:4242',
    directHost: '127.0.0.1',
    directPort: 4343,
    trust: { bundle: '/h/ca-bundle.pem', javaTrustStore: '/h/ca-truststore.p12' },
  };

  it('sets every proxy and CA variable, overriding preset ones', () => {
    const env = clientEnv(
      {
        AWS_CA_BUNDLE: '/etc/ssl/certs/ca-certificates.crt',
        SSL_CERT_FILE: '/x',
        PATH: '/bin',
        NODE_OPTIONS: '--max-old-space-size=4096',
        JAVA_TOOL_OPTIONS: '-Xmx2g',
        NO_PROXY: 'internal.corp,.svc.local',
      },
      input,
    );
    for (const v of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy'])
      assert.equal(env[v], 'http://127.0.0.1:4242');
    for (const v of [
      'AWS_CA_BUNDLE',
      'REQUESTS_CA_BUNDLE',
      'SSL_CERT_FILE',
      'CURL_CA_BUNDLE',
      'NODE_EXTRA_CA_CERTS',
    ]) {
      assert.equal(env[v], '/h/ca-bundle.pem');
    }
    assert.equal(env.PATH, '/bin');
    assert.equal(env.LEASTPRIV_DIRECT, '127.0.0.1:4343');
    assert.equal(
      env.LEASTPRIV_DOMAINS,
      'amazonaws.com,amazonaws.com.cn,api.aws,googleapis.com,management.azure.com,login.microsoftonline.com,core.windows.net,vault.azure.net,servicebus.windows.net,documents.azure.com',
    );
    assert.match(env.NODE_OPTIONS ?? '', /^--max-old-space-size=4096 --require ".*preload\.cjs"$/);
    assert.equal(
      env.JAVA_TOOL_OPTIONS,
      '-Xmx2g -Dhttps.proxyHost=127.0.0.1 -Dhttps.proxyPort=4242 -Dhttp.proxyHost=127.0.0.1 -Dhttp.proxyPort=4242 ' +
        '-Dhttp.nonProxyHosts=localhost|127.*|[::1]|internal.corp|*.internal.corp|*.svc.local|*.localhost|127.0.0.1|169.254.169.254|169.254.170.2 ' +
        '-Djavax.net.ssl.trustStore=/h/ca-truststore.p12 -Djavax.net.ssl.trustStoreType=PKCS12',
    );
  });

  it('gives Java the proxy port even when it is the scheme default, and NO_PROXY hosts without ports', () => {
    const java = javaOptions(
      'http://127.0.0.1',
      'internal.corp:8443,10.0.0.5:8080,fe80::1,[::2]:9000,"bad',
      '/h/t.p12',
    );
    assert.ok(java.includes('-Dhttps.proxyPort=80 '), java);
    assert.ok(
      java.includes(
        '-Dhttp.nonProxyHosts=localhost|127.*|[::1]|internal.corp|*.internal.corp|10.0.0.5|[fe80::1]|[::2] ',
      ),
      java,
    );
  });

  it('quotes JAVA_TOOL_OPTIONS words with whichever quote they do not hold', () => {
    assert.equal(jvmQuote('-Dx=/a/b'), '-Dx=/a/b');
    assert.equal(jvmQuote('-Dx=/A B/c'), '"-Dx=/A B/c"');
    assert.equal(jvmQuote('-Dx=/A "B"/c'), `'-Dx=/A "B"/c'`);
    assert.equal(jvmQuote(`-Dx=/it's "q"`), `"-Dx=/it's "'"'"q"'"'`);
  });

  it('quotes a trust store path with spaces for the JVM, and leaves out CIDR ranges Java cannot match', () => {
    const java = javaOptions(
      'http://127.0.0.1:1',
      '10.0.0.0/8,::1',
      '/Users/A B/.leastpriv/ca-truststore.p12',
    );
    assert.ok(java.includes('-Dhttp.nonProxyHosts=localhost|127.*|[::1] '), java);
    assert.ok(
      java.endsWith(
        ' "-Djavax.net.ssl.trustStore=/Users/A B/.leastpriv/ca-truststore.p12" -Djavax.net.ssl.trustStoreType=PKCS12',
      ),
    );
  });

  it('never lets NO_PROXY exempt cloud hosts, and keeps local and metadata endpoints direct', () => {
    assert.equal(
      noProxyFor('.amazonaws.com,internal.corp,*.s3.amazonaws.com,amazonaws.com.cn,10.0.0.0/8'),
      'internal.corp,10.0.0.0/8,localhost,127.0.0.1,::1,169.254.169.254,169.254.170.2',
    );
    assert.equal(noProxyFor('*'), 'localhost,127.0.0.1,::1,169.254.169.254,169.254.170.2');
    assert.equal(noProxyFor(undefined), 'localhost,127.0.0.1,::1,169.254.169.254,169.254.170.2');
  });

  it('writes one bundle with the user-named bundles, the system roots and our CA', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lp-bundle-'));
    const corp = join(dir, 'corp.pem');
    writeFileSync(corp, '-----BEGIN CERTIFICATE-----\nCORP\n-----END CERTIFICATE-----\n');
    const ours = '-----BEGIN CERTIFICATE-----\nOURS\n-----END CERTIFICATE-----\n';
    const { bundle } = writeTrustFiles(join(dir, 'home'), ours, {
      AWS_CA_BUNDLE: corp,
      SSL_CERT_FILE: join(dir, 'missing.pem'),
    });
    const text = readFileSync(bundle, 'utf8');
    assert.ok(text.startsWith('-----BEGIN CERTIFICATE-----\nCORP\n'));
    assert.ok(text.endsWith(ours));
    assert.equal(text.split('CORP').length, 2, 'each bundle once');
  });

  it('writes the same certificates as a Java trust store, ours first', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lp-p12-'));
    const ours = loadOrCreateCa(join(dir, 'a')).certPem;
    const corp = loadOrCreateCa(join(dir, 'b')).certPem;
    const broken = '-----BEGIN CERTIFICATE-----\nMIIBroken0000\n-----END CERTIFICATE-----\n';
    writeFileSync(join(dir, 'corp.pem'), `${corp}${broken}${corp}`);
    const home = join(dir, 'home');
    const { bundle, javaTrustStore } = writeTrustFiles(home, ours, {
      AWS_CA_BUNDLE: join(dir, 'corp.pem'),
      SSL_CERT_FILE: join(dir, 'missing.pem'),
    });
    // A shell set up from `leastpriv proxy` points at our own bundle: it must not grow.
    const size = readFileSync(bundle).length;
    writeTrustFiles(home, ours, { AWS_CA_BUNDLE: join(dir, 'corp.pem'), REQUESTS_CA_BUNDLE: bundle });
    assert.equal(readFileSync(bundle).length, size);
    const p12 = readFileSync(javaTrustStore);
    // PFX { version 3, ContentInfo(data) { AuthenticatedSafe { ContentInfo(data) { SafeContents } } } }
    const pfx = readChildren(p12, readElement(p12));
    assert.deepEqual([...p12.subarray((pfx[0] as { contentStart: number }).contentStart, pfx[0]?.end)], [3]);
    const inner = (el: { contentStart: number; end: number }) => readElement(p12, el.contentStart);
    const octets = (info: ReturnType<typeof readElement>) =>
      inner(inner(readChildren(p12, info)[1] as ReturnType<typeof readElement>));
    const safe = readElement(p12, octets(pfx[1] as ReturnType<typeof readElement>).start);
    const contents = readChildren(p12, safe);
    assert.equal(contents.length, 1);
    const bags = readChildren(p12, octets(contents[0] as ReturnType<typeof readElement>));
    const pemDer = (pem: string) => Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    // Every certificate of the bundle once (the system roots too), ours first.
    assert.equal(bags.length, pemCertificates(readFileSync(bundle, 'utf8')).length);
    const certOf = (bag: ReturnType<typeof readElement>) => {
      const certBag = inner(readChildren(p12, bag)[1] as ReturnType<typeof readElement>);
      const value = inner(readChildren(p12, certBag)[1] as ReturnType<typeof readElement>);
      return p12.subarray(value.contentStart, value.end);
    };
    const certs = bags.map(certOf);
    // A block that is not a certificate stays out: Java would refuse the whole store.
    assert.equal(certs.filter((c) => c.length < 100).length, 0);
    assert.ok(certs[0]?.equals(pemDer(ours)));
    assert.equal(certs.filter((c) => c.equals(pemDer(corp))).length, 1, 'the corporate CA once');
  });

  it('names the CA setting of the client that rejected the certificate', () => {
    assert.match(caSettingFor('curl/7.88.1'), /^CURL_CA_BUNDLE/);
    assert.match(caSettingFor('aws-cli/1.45.11 Python/3.11.7 botocore/1.43.11'), /^AWS_CA_BUNDLE/);
    assert.match(caSettingFor('Go-http-client/1.1'), /^SSL_CERT_FILE/);
    assert.match(
      caSettingFor('APN/1.0 HashiCorp/1.0 Terraform/1.11.4 aws-sdk-go-v2/1.36.3'),
      /^AWS_CA_BUNDLE/,
    );
    assert.match(
      caSettingFor(null),
      /AWS_CA_BUNDLE, REQUESTS_CA_BUNDLE, SSL_CERT_FILE, CURL_CA_BUNDLE, NODE_EXTRA_CA_CERTS/,
    );
  });
});
