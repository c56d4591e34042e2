import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorCodeOf } from '../../../src/capture/proxy/error-code.js';
import { PrefixBuffer } from '../../../src/capture/proxy/prefix.js';
import {
  sanitizeAuthorization,
  sanitizeHeaders,
  sanitizeQuery,
} from '../../../src/capture/proxy/sanitize.js';

describe('capture never keeps secrets', () => {
  it('keeps the SigV4 credential scope and signed headers, not the signature', () => {
    const header =
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261121/eu-west-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024';
    assert.equal(
      sanitizeAuthorization(header),
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261121/eu-west-1/s3/aws4_request, SignedHeaders=host;x-amz-date',
    );
  });

  it('drops the SigV2 signature and unknown schemes entirely', () => {
    assert.equal(
      sanitizeAuthorization('AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg='),
      'AWS AKIAIOSFODNN7EXAMPLE',
    );
    assert.equal(sanitizeAuthorization('Bearer abc.def.ghi'), 'Bearer');
  });

  it('drops session tokens, cookies and customer encryption keys from headers', () => {
    const headers = sanitizeHeaders([
      'Host',
      's3.amazonaws.com',
      'X-Amz-Security-Token',
      'FwoGZXIvYXdzEJr//////////',
      'Cookie',
      'a=b',
      'x-amz-server-side-encryption-customer-key',
      'c2VjcmV0',
      'X-Amz-Target',
      'DynamoDB_20120810.ListTables',
    ]);
    assert.deepEqual(headers, { host: 's3.amazonaws.com', 'x-amz-target': 'DynamoDB_20120810.ListTables' });
  });

  it('drops presigned signatures and tokens from the query, keeping the rest in order', () => {
    assert.equal(
      sanitizeQuery(
        'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F20261121%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Security-Token=tok&X-Amz-Signature=abc&versionId=3',
      ),
      'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F20261121%2Fus-east-1%2Fs3%2Faws4_request&versionId=3',
    );
    assert.equal(
      sanitizeQuery('Action=ListUsers&Signature=xyz&SignatureVersion=2'),
      'Action=ListUsers&SignatureVersion=2',
    );
    assert.equal(sanitizeQuery('list-type=2&prefix=logs%2F'), 'list-type=2&prefix=logs%2F');
  });
});

describe('error codes from responses', () => {
  const body = (s: string) => Buffer.from(s);
  it('reads x-amzn-ErrorType first', () => {
    assert.equal(
      errorCodeOf(400, { 'x-amzn-errortype': 'AccessDeniedException:http://internal.amazon.com/' }, body('')),
      'AccessDeniedException',
    );
  });
  it('reads JSON __type with a namespace', () => {
    assert.equal(
      errorCodeOf(400, {}, body('{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"}')),
      'ResourceNotFoundException',
    );
  });
  it('reads an XML <Code>', () => {
    assert.equal(
      errorCodeOf(
        403,
        {},
        body('<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>no</Message></Error>'),
      ),
      'AccessDenied',
    );
    assert.equal(
      errorCodeOf(
        403,
        {},
        body('<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code></Error></ErrorResponse>'),
      ),
      'AccessDenied',
    );
  });
  it('is null for success and for bodies without a code', () => {
    assert.equal(errorCodeOf(200, {}, body('<Code>X</Code>')), null);
    assert.equal(errorCodeOf(500, {}, body('upstream broke')), null);
  });
});

describe('PrefixBuffer', () => {
  it('keeps the first bytes and counts them all', () => {
    const p = new PrefixBuffer(5);
    p.push(Buffer.from('abc'));
    p.push(Buffer.from('defgh'));
    p.push(Buffer.from('ij'));
    assert.equal(Buffer.from(p.bytes()).toString(), 'abcde');
    assert.equal(p.total, 10);
    assert.equal(p.truncated, true);
  });
  it('copies what it keeps', () => {
    const p = new PrefixBuffer(10);
    const chunk = Buffer.from('abc');
    p.push(chunk);
    chunk.write('xyz');
    assert.equal(Buffer.from(p.bytes()).toString(), 'abc');
    assert.equal(p.truncated, false);
  });
});
