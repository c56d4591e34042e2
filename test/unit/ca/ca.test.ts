import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { leastprivHome, loadOrCreateCa } from '../../../src/capture/proxy/ca.js';
import { INTERCEPTED_DOMAINS } from '../../../src/capture/proxy/hosts.js';
import { createCaCertificate } from '../../../src/capture/proxy/x509.js';
import { requireTool, run, tempHome } from './support.js';

const mode = (path: string) => fs.statSync(path).mode & 0o777;

describe('leastprivHome', () => {
  it('is LEASTPRIV_HOME when set, else ~/.leastpriv', () => {
    assert.equal(leastprivHome({ LEASTPRIV_HOME: '/tmp/x' }), '/tmp/x');
    assert.equal(leastprivHome({}), join(homedir(), '.leastpriv'));
    assert.equal(leastprivHome({ LEASTPRIV_HOME: '' }), join(homedir(), '.leastpriv'));
  });
});

describe('the CA on disk', () => {
  it('is name-constrained to the intercepted domains and excludes every IP address', async () => {
    requireTool('openssl');
    const ca = loadOrCreateCa(tempHome());
    const { code, stdout, stderr } = await run('openssl', ['x509', '-text', '-noout', '-in', ca.certPath]);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /X509v3 Basic Constraints: critical\n\s+CA:TRUE, pathlen:0\n/);
    assert.match(stdout, /X509v3 Key Usage: critical\n\s+Certificate Sign, CRL Sign\n/);
    assert.match(stdout, /X509v3 Subject Key Identifier:/);
    assert.match(stdout, /Signature Algorithm: ecdsa-with-SHA256/);
    assert.match(stdout, /Subject: O = leastpriv, CN = leastpriv local CA [0-9a-f]{8}\n/);
    const block =
      /X509v3 Name Constraints: critical\n\s+Permitted:\n((?:\s+DNS:.*\n)+)\s+Excluded:\n((?:\s+IP:.*\n)+)/.exec(
        stdout,
      );
    assert.ok(block, `no critical Name Constraints in:\n${stdout}`);
    const permitted = (block[1] ?? '').trim().split(/\s+/);
    assert.deepEqual(
      permitted,
      INTERCEPTED_DOMAINS.map((d) => `DNS:${d}`),
    );
    const excluded = (block[2] ?? '').trim().split(/\s+/);
    assert.deepEqual(excluded, ['IP:0.0.0.0/0.0.0.0', 'IP:0:0:0:0:0:0:0:0/0:0:0:0:0:0:0:0']);
  });

  it('keeps the key 0600 in 0700 folders, tightening folders that already existed', () => {
    const home = tempHome();
    fs.chmodSync(home, 0o755);
    fs.mkdirSync(join(home, 'ca'), { mode: 0o777 });
    fs.chmodSync(join(home, 'ca'), 0o777);
    const ca = loadOrCreateCa(home);
    assert.equal(ca.created, true);
    assert.equal(ca.certPath, join(home, 'ca', 'leastpriv-ca.pem'));
    assert.equal(ca.keyPath, join(home, 'ca', 'leastpriv-ca-key.pem'));
    assert.equal(mode(home), 0o700);
    assert.equal(mode(join(home, 'ca')), 0o700);
    assert.equal(mode(ca.keyPath), 0o600);
    assert.deepEqual(
      fs.readdirSync(join(home, 'ca')).sort(),
      ['leastpriv-ca-key.pem', 'leastpriv-ca.pem'],
      'no temp files left behind',
    );
  });

  it('loads the same CA again without creating one', () => {
    const home = tempHome();
    const first = loadOrCreateCa(home);
    const again = loadOrCreateCa(home);
    assert.equal(again.created, false);
    assert.equal(again.certPem, first.certPem);
    assert.equal(again.keyPem, first.keyPem);
  });

  it('differs between two machines', () => {
    const a = createCaCertificate();
    const b = createCaCertificate();
    assert.notEqual(a.certPem, b.certPem);
    assert.notEqual(a.keyPem, b.keyPem);
  });

  it('is replaced by regenerate', () => {
    const home = tempHome();
    const first = loadOrCreateCa(home);
    const second = loadOrCreateCa(home, { regenerate: true });
    assert.equal(second.created, true);
    assert.notEqual(second.certPem, first.certPem);
    assert.notEqual(second.keyPem, first.keyPem);
    assert.equal(fs.readFileSync(second.certPath, 'utf8'), second.certPem);
    assert.equal(mode(second.keyPath), 0o600);
    assert.equal(loadOrCreateCa(home).certPem, second.certPem);
  });

  it('reports a corrupt certificate, naming the file and the way out', () => {
    const home = tempHome();
    const ca = loadOrCreateCa(home);
    fs.writeFileSync(ca.certPath, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    assert.throws(
      () => loadOrCreateCa(home),
      (err: Error) => err.message.includes(ca.certPath) && err.message.includes('leastpriv ca --regenerate'),
    );
  });

  it('reports a corrupt key', () => {
    const home = tempHome();
    const ca = loadOrCreateCa(home);
    fs.writeFileSync(ca.keyPath, 'not a key');
    assert.throws(
      () => loadOrCreateCa(home),
      (err: Error) => err.message.includes(ca.keyPath) && err.message.includes('leastpriv ca --regenerate'),
    );
  });

  it('reports a key that does not belong to the certificate', () => {
    const home = tempHome();
    const ca = loadOrCreateCa(home);
    fs.writeFileSync(ca.keyPath, createCaCertificate().keyPem);
    assert.throws(
      () => loadOrCreateCa(home),
      (err: Error) =>
        err.message.includes(ca.keyPath) &&
        err.message.includes('does not belong') &&
        err.message.includes('leastpriv ca --regenerate'),
    );
  });

  it('reports a missing key next to an existing certificate', () => {
    const home = tempHome();
    const ca = loadOrCreateCa(home);
    fs.rmSync(ca.keyPath);
    assert.throws(
      () => loadOrCreateCa(home),
      (err: Error) => err.message.includes(ca.keyPath) && err.message.includes('leastpriv ca --regenerate'),
    );
    assert.equal(loadOrCreateCa(home, { regenerate: true }).created, true);
  });
});
