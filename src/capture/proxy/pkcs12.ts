/**
 * A Java trust store: a PKCS #12 file (RFC 7292) of trusted certificates, without a password
 * (certificates are public; there is nothing to protect and no MAC to check). Java reads a
 * certificate bag as a trusted entry when it carries Oracle's "trusted key usage" attribute,
 * which the JDK's own `keytool -importcert` writes too. Pure: certificates in, bytes out.
 */
import { X509Certificate } from 'node:crypto';
import { explicit, integer, octetString, oid, sequence, set, Tag, tlv } from './der.js';

const ID_DATA = '1.2.840.113549.1.7.1';
const CERT_BAG = '1.2.840.113549.1.12.10.1.3';
const X509_CERTIFICATE = '1.2.840.113549.1.9.22.1';
const FRIENDLY_NAME = '1.2.840.113549.1.9.20';
/** Oracle's attribute marking a certificate as trusted, for any extended key usage. */
const ORACLE_TRUSTED_KEY_USAGE = '2.16.840.1.113894.746875.1.1';
const ANY_EXTENDED_KEY_USAGE = '2.5.29.37.0';
const BMP_STRING = 0x1e;

/** A ContentInfo of type data holding `content`. */
function dataContent(content: Uint8Array): Buffer {
  return sequence(oid(ID_DATA), explicit(0, octetString(content)));
}

function bmpString(s: string): Buffer {
  const bytes = Buffer.alloc(s.length * 2);
  for (let i = 0; i < s.length; i++) bytes.writeUInt16BE(s.charCodeAt(i), i * 2);
  return tlv(BMP_STRING, bytes);
}

function certBag(der: Uint8Array, alias: string): Buffer {
  return sequence(
    oid(CERT_BAG),
    explicit(0, sequence(oid(X509_CERTIFICATE), explicit(0, octetString(der)))),
    set(
      sequence(oid(FRIENDLY_NAME), set(bmpString(alias))),
      sequence(oid(ORACLE_TRUSTED_KEY_USAGE), set(oid(ANY_EXTENDED_KEY_USAGE))),
    ),
  );
}

/** A trust store of these certificates (DER), each under its alias. */
export function trustStore(certs: readonly { alias: string; der: Uint8Array }[]): Buffer {
  const safeContents = sequence(...certs.map((c) => certBag(c.der, c.alias)));
  const authenticatedSafe = sequence(dataContent(safeContents));
  return sequence(integer(3), dataContent(authenticatedSafe));
}

/**
 * The certificates of a PEM bundle, as DER, each once. A block that is not a certificate is
 * left out: one bad entry would make Java refuse the whole trust store.
 */
export function pemCertificates(pem: string): Buffer[] {
  const out: Buffer[] = [];
  const seen = new Set<string>();
  for (const m of pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)) {
    const der = Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64');
    if (der.length === 0 || der[0] !== Tag.sequence) continue;
    const key = der.toString('base64');
    if (seen.has(key)) continue;
    try {
      new X509Certificate(der);
    } catch {
      continue;
    }
    seen.add(key);
    out.push(der);
  }
  return out;
}
