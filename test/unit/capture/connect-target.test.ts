import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactUri } from '../../../src/capture/proxy/sanitize.js';
import { parseConnectTarget } from '../../../src/capture/proxy/target.js';

describe('CONNECT targets are checked once, at the boundary', () => {
  const good: [string, string, number][] = [
    ['s3.amazonaws.com:443', 's3.amazonaws.com', 443],
    ['S3.US-East-1.AmazonAWS.com:443', 's3.us-east-1.amazonaws.com', 443],
    ['s3.amazonaws.com.:443', 's3.amazonaws.com', 443],
    ['my_bucket.s3.amazonaws.com:443', 'my_bucket.s3.amazonaws.com', 443],
    ['123456789012.ddb.us-east-1.amazonaws.com:443', '123456789012.ddb.us-east-1.amazonaws.com', 443],
    ['registry.terraform.io:443', 'registry.terraform.io', 443],
    ['127.0.0.1:8443', '127.0.0.1', 8443],
    ['[::1]:443', '::1', 443],
    ['[2001:db8::1]:443', '2001:db8::1', 443],
    [`${'a'.repeat(63)}.s3.amazonaws.com:443`, `${'a'.repeat(63)}.s3.amazonaws.com`, 443],
  ];
  for (const [target, host, port] of good) {
    it(`accepts ${target.slice(0, 50)}`, () => {
      assert.deepEqual(parseConnectTarget(target), { ok: true, host, port });
    });
  }
  const bad = [
    'a..amazonaws.com:443',
    `${'a'.repeat(64)}.s3.amazonaws.com:443`,
    '*.s3.amazonaws.com:443',
    'http://s3.amazonaws.com:443',
    's3.amazonaws.com',
    's3.amazonaws.com:',
    's3.amazonaws.com:0',
    's3.amazonaws.com:65536',
    's3.amazonaws.com:00443x',
    ':443',
    '[::1:443',
    '::1:443',
    '[nothex]:443',
    '-s3.amazonaws.com:443',
    's3-.amazonaws.com:443',
    `${'a.'.repeat(130)}amazonaws.com:443`,
    's3.amazonaws.com:443/x',
    'user@s3.amazonaws.com:443',
    's3.amazonaws.com :443',
    '',
    'x'.repeat(10_000),
  ];
  for (const target of bad) {
    it(`refuses ${JSON.stringify(target.slice(0, 50))} with a one-line reason`, () => {
      const r = parseConnectTarget(target);
      assert.equal(r.ok, false);
      if (r.ok) return;
      assert.match(r.reason, /^[^\r\n]{1,300}$/);
    });
  }
});

describe('an unparseable URI is logged without secrets', () => {
  it('drops userinfo, secret parameters and every query value', () => {
    const out = redactUri(
      'http://user:PASSWORD@s3.amazonaws.com:99999/key?X-Amz-Signature=SIG&X-Amz-Security-Token=TOK&X-Amz-Credential=AKID%2F20261121&x-id=GetObject',
    );
    assert.equal(out, 'http://s3.amazonaws.com:99999/key?X-Amz-Credential=…&x-id=…');
  });
  it('bounds the length and escapes control characters', () => {
    const out = redactUri(`http://s3.amazonaws.com/\u0007\u001b[2J${'a'.repeat(5000)}`);
    assert.ok(out.length <= 201, String(out.length));
    assert.ok(![...out].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f), out);
  });
  it('leaves nothing of a query it cannot split', () => {
    assert.equal(redactUri('/p?%%%X-Amz-Signature%3Dabc'), '/p?…');
  });
});
