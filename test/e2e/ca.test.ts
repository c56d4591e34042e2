/**
 * `leastpriv ca` through the CLI: the path it prints, what openssl reads in the certificate
 * (critical Name Constraints limited to the intercepted domains), file and folder modes, and
 * `--regenerate`.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { dirname, join } from 'node:path';
import { before, describe, it } from 'node:test';
import { assertOk, CLI, exec, type Result, requireTools, tempDir, testEnv } from './support.js';

const mode = (path: string) => fs.statSync(path).mode & 0o777;

describe('leastpriv ca', { timeout: 60_000 }, () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  const ca = (...args: string[]): Promise<Result> =>
    exec(process.execPath, [CLI, 'ca', ...args], { env, timeoutMs: 20_000 });
  const openssl = async (...args: string[]): Promise<string> => {
    const r = await exec('openssl', args, { env: process.env, timeoutMs: 20_000 });
    assertOk(r, `openssl ${args.join(' ')}`);
    return r.stdout;
  };

  before(() => {
    requireTools('openssl');
    // A home that does not exist yet: leastpriv makes it, and makes it private.
    home = join(tempDir('ca'), 'nested', 'home');
    env = testEnv(home);
  });

  it('--path makes the CA on first use under $LEASTPRIV_HOME/ca and prints its path', async () => {
    const r = await ca('--path');
    assertOk(r, 'leastpriv ca --path');
    assert.equal(r.stdout, `${join(home, 'ca', 'leastpriv-ca.pem')}\n`);
    assert.ok(fs.existsSync(join(home, 'ca', 'leastpriv-ca.pem')));
    // Without an option it prints the same path; a second call keeps the same CA.
    const first = fs.readFileSync(join(home, 'ca', 'leastpriv-ca.pem'), 'utf8');
    const again = await ca();
    assertOk(again, 'leastpriv ca');
    assert.equal(again.stdout, r.stdout);
    assert.equal(fs.readFileSync(join(home, 'ca', 'leastpriv-ca.pem'), 'utf8'), first);
  });

  it('is an ECDSA P-256 CA with critical Name Constraints for the AWS, Google Cloud and Azure API domains', async () => {
    const certPath = join(home, 'ca', 'leastpriv-ca.pem');
    const text = await openssl('x509', '-text', '-noout', '-in', certPath);
    const block = /X509v3 Name Constraints: critical\n\s+Permitted:\n((?:[ \t]+DNS:.*\n)+)/.exec(text);
    assert.ok(block, `no critical Name Constraints with permitted DNS names in:\n${text}`);
    assert.deepEqual((block[1] ?? '').trim().split(/\s+/), [
      'DNS:amazonaws.com',
      'DNS:amazonaws.com.cn',
      'DNS:api.aws',
      'DNS:googleapis.com',
      'DNS:management.azure.com',
      'DNS:login.microsoftonline.com',
      'DNS:core.windows.net',
      'DNS:vault.azure.net',
      'DNS:servicebus.windows.net',
      'DNS:documents.azure.com',
    ]);
    assert.match(text, /X509v3 Basic Constraints: critical\n\s+CA:TRUE/);
    assert.match(text, /Public Key Algorithm: id-ecPublicKey/);
    assert.match(text, /NIST CURVE: P-256/);
  });

  it('passes strict X.509 verification: the CA and a leaf per cloud (what newer az releases require)', async () => {
    const certPath = join(home, 'ca', 'leastpriv-ca.pem');
    const { LeafIssuer } = await import('../../src/capture/proxy/x509.js');
    const issuer = new LeafIssuer(
      fs.readFileSync(certPath, 'utf8'),
      fs.readFileSync(join(home, 'ca', 'leastpriv-ca-key.pem'), 'utf8'),
    );
    for (const host of [
      'sts.amazonaws.com',
      'storage.googleapis.com',
      'management.azure.com',
      'kv1.vault.azure.net',
    ]) {
      const leaf = join(home, `${host}.pem`);
      fs.writeFileSync(leaf, issuer.certificatePemFor(host));
      assert.equal(
        (await openssl('verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', certPath, leaf)).trim(),
        `${leaf}: OK`,
      );
      const text = await openssl('x509', '-in', leaf, '-noout', '-text');
      assert.match(text, /X509v3 Authority Key Identifier:/);
      assert.match(text, /X509v3 Basic Constraints: critical\n\s+CA:FALSE/);
    }
    assert.match(
      await openssl('x509', '-in', certPath, '-noout', '-text'),
      /X509v3 Authority Key Identifier:/,
    );
  });

  it('keeps the key 0600 next to the certificate, in 0700 folders, and the key matches', async () => {
    const certPath = join(home, 'ca', 'leastpriv-ca.pem');
    const keyPath = join(home, 'ca', 'leastpriv-ca-key.pem');
    assert.equal(mode(keyPath).toString(8), '600');
    assert.equal(mode(dirname(keyPath)).toString(8), '700');
    assert.equal(mode(home).toString(8), '700');
    const fromCert = await openssl('x509', '-pubkey', '-noout', '-in', certPath);
    const fromKey = await openssl('pkey', '-pubout', '-in', keyPath);
    assert.equal(fromKey, fromCert, 'the key file does not belong to the certificate');
  });

  it('--regenerate replaces the CA: same path, new certificate and key, same modes', async () => {
    const certPath = join(home, 'ca', 'leastpriv-ca.pem');
    const keyPath = join(home, 'ca', 'leastpriv-ca-key.pem');
    const fingerprint = () => openssl('x509', '-noout', '-fingerprint', '-sha256', '-in', certPath);
    const oldPrint = await fingerprint();
    const oldKey = fs.readFileSync(keyPath, 'utf8');
    const r = await ca('--regenerate');
    assertOk(r, 'leastpriv ca --regenerate');
    assert.notEqual(await fingerprint(), oldPrint, 'the certificate did not change');
    assert.notEqual(fs.readFileSync(keyPath, 'utf8'), oldKey, 'the key did not change');
    assert.equal(mode(keyPath).toString(8), '600');
    assert.equal(mode(dirname(keyPath)).toString(8), '700');
    const path = await ca('--path');
    assert.equal(path.stdout, `${certPath}\n`);
    const text = await openssl('x509', '-text', '-noout', '-in', certPath);
    assert.match(text, /X509v3 Name Constraints: critical/);
  });
});
