import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as der from '../../../src/capture/proxy/der.js';

const hex = (b: Buffer) => b.toString('hex');

describe('DER encoder', () => {
  it('encodes lengths in short and minimal long form', () => {
    assert.equal(hex(der.encodeLength(0)), '00');
    assert.equal(hex(der.encodeLength(127)), '7f');
    assert.equal(hex(der.encodeLength(128)), '8180');
    assert.equal(hex(der.encodeLength(255)), '81ff');
    assert.equal(hex(der.encodeLength(256)), '820100');
    assert.equal(hex(der.encodeLength(70_000)), '83011170');
    assert.equal(hex(der.octetString(Buffer.alloc(300))).slice(0, 8), '0482012c');
  });

  it('encodes INTEGER in minimal two complement from numbers, bigints and buffers', () => {
    const cases: Array<[bigint | number, string]> = [
      [0, '020100'],
      [1, '020101'],
      [127, '02017f'],
      [128, '02020080'],
      [256, '02020100'],
      [-1, '0201ff'],
      [-128, '020180'],
      [-129, '0202ff7f'],
      [2n ** 64n, '0209010000000000000000'],
    ];
    for (const [value, expected] of cases) assert.equal(hex(der.integer(value)), expected, String(value));
    assert.equal(hex(der.integer(Buffer.from([0, 0, 0x7f]))), '02017f');
    assert.equal(hex(der.integer(Buffer.from([0xff, 0x01]))), '020300ff01');
    assert.equal(hex(der.integer(Buffer.from([0, 0]))), '020100');
    assert.equal(hex(der.integer(Buffer.alloc(0))), '020100');
  });

  it('encodes OIDs, including multi-byte arcs', () => {
    assert.equal(hex(der.oid('1.2.840.10045.4.3.2')), '06082a8648ce3d040302');
    assert.equal(hex(der.oid('2.5.29.30')), '0603551d1e');
    assert.equal(hex(der.oid('1.3.6.1.5.5.7.3.1')), '06082b06010505070301');
    assert.equal(hex(der.oid('2.999.3')), '0603883703');
    assert.throws(() => der.oid('1.40.1'));
    assert.throws(() => der.oid('1.2.03'));
    assert.throws(() => der.oid('abc'));
  });

  it('encodes strings and checks their character sets', () => {
    assert.equal(hex(der.utf8String('é')), '0c02c3a9');
    assert.equal(hex(der.printableString('Ab 1')), '130441622031');
    assert.equal(hex(der.ia5String('a.b')), '1603612e62');
    assert.throws(() => der.printableString('a@b'));
    assert.throws(() => der.ia5String('é'));
  });

  it('encodes BOOLEAN, NULL, OCTET STRING and BIT STRING', () => {
    assert.equal(hex(der.boolean(true)), '0101ff');
    assert.equal(hex(der.boolean(false)), '010100');
    assert.equal(hex(der.nullValue()), '0500');
    assert.equal(hex(der.octetString(Buffer.from([1, 2]))), '04020102');
    assert.equal(hex(der.bitString(Buffer.from([0xa0]), 5)), '030205a0');
    assert.throws(() => der.bitString(Buffer.from([0x01]), 1), /unused bits/);
  });

  it('encodes named-bit lists with trailing zero bits removed', () => {
    assert.equal(hex(der.namedBits([0])), '03020780'); // digitalSignature
    assert.equal(hex(der.namedBits([5, 6])), '03020106'); // keyCertSign, cRLSign
    assert.equal(hex(der.namedBits([0, 8])), '0303078080'); // spills into a second byte
    assert.equal(hex(der.namedBits([])), '030100');
  });

  it('uses UTCTime through 2049 and GeneralizedTime from 2050 (RFC 5280)', () => {
    const t2049 = new Date(Date.UTC(2049, 11, 31, 23, 59, 59, 999));
    const t2050 = new Date(Date.UTC(2050, 0, 1, 0, 0, 0));
    const t1999 = new Date(Date.UTC(1999, 0, 2, 3, 4, 5));
    assert.equal(der.time(t2049).toString('latin1', 2), '491231235959Z');
    assert.equal(der.time(t2049)[0], der.Tag.utcTime);
    assert.equal(der.time(t1999).toString('latin1', 2), '990102030405Z');
    assert.equal(der.time(t2050)[0], der.Tag.generalizedTime);
    assert.equal(der.time(t2050).toString('latin1', 2), '20500101000000Z');
    assert.throws(() => der.utcTime(t2050));
    assert.throws(() => der.time(new Date(Number.NaN)));
  });

  it('sorts SET OF elements and nests SEQUENCEs', () => {
    assert.equal(hex(der.set(der.integer(2), der.integer(1))), '3106020101020102');
    assert.equal(hex(der.sequence(der.integer(1), der.sequence())), '30050201013000');
  });

  it('tags context-specific values explicitly and implicitly', () => {
    assert.equal(hex(der.explicit(0, der.integer(2))), 'a003020102');
    assert.equal(hex(der.implicit(2, der.ia5String('a'))), '820161');
    assert.equal(hex(der.implicit(0, der.sequence(der.integer(1)))), 'a003020101');
    assert.throws(() => der.explicit(31, der.nullValue()));
  });

  it('reads back what it writes', () => {
    const encoded = der.sequence(der.integer(5), der.octetString(Buffer.alloc(200)));
    const top = der.readElement(encoded);
    assert.equal(top.tag, der.Tag.sequence);
    assert.equal(top.end, encoded.length);
    const [first, second] = der.readChildren(encoded, top);
    assert.equal(first?.tag, der.Tag.integer);
    assert.equal(second?.end, encoded.length);
    assert.equal(second && second.end - second.contentStart, 200);
    assert.throws(() => der.readElement(encoded.subarray(0, 10)), /past the end/);
  });
});
