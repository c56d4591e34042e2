import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { caSettingFor, clientEnv, noProxyFor, writeCaBundle } from '../../../src/capture/proxy/client-env.js';
import { isIntercepted } from '../../../src/capture/proxy/hosts.js';

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
    bundlePath: '/h/ca-bundle.pem',
  };

  it('sets every proxy and CA variable, overriding preset ones', () => {
    const env = clientEnv(
      {
        AWS_CA_BUNDLE: '/etc/ssl/certs/ca-certificates.crt',
        SSL_CERT_FILE: '/x',
        PATH: '/bin',
        NODE_OPTIONS: '--max-old-space-size=4096',
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
    assert.equal(env.LEASTPRIV_DOMAINS, 'amazonaws.com,amazonaws.com.cn,api.aws');
    assert.match(env.NODE_OPTIONS ?? '', /^--max-old-space-size=4096 --require ".*preload\.cjs"$/);
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
    const path = writeCaBundle(join(dir, 'home'), ours, {
      AWS_CA_BUNDLE: corp,
      SSL_CERT_FILE: join(dir, 'missing.pem'),
    });
    const text = readFileSync(path, 'utf8');
    assert.ok(text.startsWith('-----BEGIN CERTIFICATE-----\nCORP\n'));
    assert.ok(text.endsWith(ours));
    assert.equal(text.split('CORP').length, 2, 'each bundle once');
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
