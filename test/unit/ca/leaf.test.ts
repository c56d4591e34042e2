import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { loadOrCreateCa } from '../../../src/capture/proxy/ca.js';
import { buildLeafCertificate, LeafIssuer, readCa, toPem } from '../../../src/capture/proxy/x509.js';
import { requireTool, run, tempHome, writeFile } from './support.js';

const home = tempHome();
const ca = loadOrCreateCa(home);
const issuer = new LeafIssuer(ca.certPem, ca.keyPem);

async function verify(name: string, leafPem: string) {
  const path = writeFile(home, `${name}.pem`, leafPem);
  return run('openssl', ['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', ca.certPath, path]);
}

describe('leaf certificates', () => {
  const hosts = [
    's3.us-east-1.amazonaws.com',
    'my.dotted.bucket.s3.eu-west-1.amazonaws.com',
    'sts.cn-north-1.amazonaws.com.cn',
    'lambda.us-east-1.api.aws',
    // Longer than a CommonName may be: SAN only, empty subject.
    `${'b'.repeat(63)}.s3.dualstack.ap-southeast-2.amazonaws.com`,
  ];
  for (const host of hosts) {
    it(`verify with openssl -x509_strict for ${host}`, async () => {
      requireTool('openssl');
      const result = await verify(host, issuer.certificatePemFor(host));
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /: OK\n/);
    });
  }

  it('name the exact host in the SAN, never a wildcard', () => {
    const cert = new X509Certificate(
      issuer.certificatePemFor('My.Dotted.Bucket.s3.eu-west-1.amazonaws.com.'),
    );
    assert.equal(cert.subjectAltName, 'DNS:my.dotted.bucket.s3.eu-west-1.amazonaws.com');
    assert.equal(cert.subject, 'CN=my.dotted.bucket.s3.eu-west-1.amazonaws.com');
    assert.equal(cert.ca, false);
    assert.equal(cert.checkIssued(new X509Certificate(ca.certPem)), true);
    assert.equal(cert.checkHost('other.s3.eu-west-1.amazonaws.com'), undefined);
    const lifetimeDays = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 86_400_000;
    assert.ok(lifetimeDays <= 397 + 1 / 24 + 1e-9, `leaf valid for ${lifetimeDays} days`);
  });

  it('are cached per host and share one key pair', () => {
    const a = issuer.secureContextFor('dynamodb.us-east-1.amazonaws.com');
    assert.equal(issuer.secureContextFor('DynamoDB.us-east-1.amazonaws.com'), a);
    const keyOf = (host: string) =>
      new X509Certificate(issuer.certificatePemFor(host)).publicKey.export({ format: 'jwk' });
    assert.deepEqual(keyOf('sqs.us-east-1.amazonaws.com'), keyOf('sns.us-east-1.amazonaws.com'));
    assert.notEqual(
      issuer.certificatePemFor('sqs.us-east-1.amazonaws.com'),
      issuer.certificatePemFor('sns.us-east-1.amazonaws.com'),
    );
  });

  it('keep the cache bounded, dropping the least recently used host', () => {
    const small = new LeafIssuer(ca.certPem, ca.keyPem, { maxEntries: 2 });
    const a = small.secureContextFor('a.amazonaws.com');
    const b = small.secureContextFor('b.amazonaws.com');
    assert.equal(small.secureContextFor('a.amazonaws.com'), a); // a is now the most recent
    small.secureContextFor('c.amazonaws.com');
    assert.equal(small.size, 2);
    assert.equal(small.secureContextFor('a.amazonaws.com'), a);
    assert.notEqual(small.secureContextFor('b.amazonaws.com'), b);
  });

  it('are refused for hosts we do not intercept, IP addresses and wildcards', () => {
    for (const host of [
      'example.com',
      'amazonaws.com.evil.net',
      '127.0.0.1',
      '*.s3.amazonaws.com',
      'a b.amazonaws.com',
    ]) {
      assert.throws(() => issuer.secureContextFor(host), /cannot issue a certificate for/, host);
    }
    assert.throws(() => issuer.certificatePemFor('example.com'), /only signs for amazonaws\.com/);
  });

  it('forcibly signed for example.com, fail a real verifier on the name constraints', async () => {
    requireTool('openssl');
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const der = buildLeafCertificate(
      'example.com',
      readCa(ca.certPem, ca.keyPem),
      publicKey.export({ type: 'spki', format: 'der' }),
    );
    const result = await verify('example.com', toPem('CERTIFICATE', der));
    assert.notEqual(result.code, 0, 'openssl accepted a certificate outside the name constraints');
    assert.match(result.stdout + result.stderr, /permitted subtree violation/);
  });
});
