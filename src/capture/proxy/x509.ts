/**
 * The proxy's certificates: a name-constrained local CA and the per-host leaf certificates it
 * signs, built with our DER encoder and signed with node:crypto (ECDSA P-256, SHA-256).
 */
import type { KeyObject } from 'node:crypto';
import {
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  X509Certificate,
} from 'node:crypto';
import type { SecureContext } from 'node:tls';
import { createSecureContext } from 'node:tls';
import * as der from './der.js';
import { INTERCEPTED_DOMAINS, isIntercepted } from './hosts.js';

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  nameConstraints: '2.5.29.30',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

/** KeyUsage bit numbers (RFC 5280 4.2.1.3). */
const KeyUsage = { digitalSignature: 0, keyCertSign: 5, cRLSign: 6 } as const;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const CA_LIFETIME_MS = 3652 * DAY_MS;
const LEAF_LIFETIME_MS = 397 * DAY_MS;
/** RFC 5280 ub-common-name: longer host names go in the SAN only. */
const MAX_COMMON_NAME = 64;

/** An X.509 certificate before signing. Names, key and extensions are complete DER encodings. */
export interface CertificateSpec {
  serial: bigint;
  issuer: Buffer;
  subject: Buffer;
  notBefore: Date;
  notAfter: Date;
  /** SubjectPublicKeyInfo, e.g. `key.export({ type: 'spki', format: 'der' })`. */
  spki: Buffer;
  extensions: Buffer[];
  /** The issuer's ECDSA P-256 private key. */
  signingKey: KeyObject;
}

/** A CA certificate and its private key, both PEM. */
export interface CaPem {
  certPem: string;
  keyPem: string;
}

/** What signing under a CA needs, read once from its PEM files. */
export interface CaMaterial {
  certPem: string;
  /** The CA's subject Name, byte for byte as in its certificate (the leaves' issuer). */
  subject: Buffer;
  /** The CA's subjectKeyIdentifier (the leaves' authorityKeyIdentifier). */
  keyIdentifier: Buffer;
  key: KeyObject;
  notAfter: Date;
}

export function toPem(label: string, body: Uint8Array): string {
  const lines =
    Buffer.from(body)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** A Name with one attribute per RDN, in the given order. Values are UTF8String. */
export function distinguishedName(attributes: ReadonlyArray<readonly [oid: string, value: string]>): Buffer {
  return der.sequence(
    ...attributes.map(([type, value]) => der.set(der.sequence(der.oid(type), der.utf8String(value)))),
  );
}

function extension(type: string, critical: boolean, value: Buffer): Buffer {
  // DER omits a BOOLEAN that equals its DEFAULT (FALSE).
  return der.sequence(der.oid(type), ...(critical ? [der.boolean(true)] : []), der.octetString(value));
}

/** A random positive 128-bit serial number. */
export function randomSerial(): bigint {
  for (;;) {
    const serial = BigInt(`0x${randomBytes(16).toString('hex')}`);
    if (serial !== 0n) return serial;
  }
}

/** RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING's value. */
export function keyIdentifier(spki: Buffer): Buffer {
  const [, bits] = der.readChildren(spki, der.readElement(spki));
  if (!bits || bits.tag !== der.Tag.bitString) throw new Error('SubjectPublicKeyInfo without a public key');
  return createHash('sha1')
    .update(spki.subarray(bits.contentStart + 1, bits.end))
    .digest();
}

/**
 * The CA's Name Constraints: DNS names only under `domains`, and no IP address at all
 * (excluded 0.0.0.0/0 and ::/0: address and mask, all zero bytes).
 */
export function nameConstraintsExtension(domains: readonly string[]): Buffer {
  const subtree = (generalName: Buffer) => der.sequence(generalName);
  const permitted = domains.map((d) => subtree(der.implicit(2, der.ia5String(d))));
  const excluded = [Buffer.alloc(8), Buffer.alloc(32)].map((ip) =>
    subtree(der.implicit(7, der.octetString(ip))),
  );
  const value = der.sequence(
    der.implicit(0, der.sequence(...permitted)),
    der.implicit(1, der.sequence(...excluded)),
  );
  return extension(OID.nameConstraints, true, value);
}

/** Encodes and signs a certificate (ecdsa-with-SHA256); returns its DER. */
export function signCertificate(spec: CertificateSpec): Buffer {
  const details = spec.signingKey.asymmetricKeyDetails;
  if (spec.signingKey.asymmetricKeyType !== 'ec' || details?.namedCurve !== 'prime256v1') {
    throw new Error('certificates are signed with an ECDSA P-256 key');
  }
  const algorithm = der.sequence(der.oid(OID.ecdsaWithSha256));
  const tbs = der.sequence(
    der.explicit(0, der.integer(2)),
    der.integer(spec.serial),
    algorithm,
    spec.issuer,
    der.sequence(der.time(spec.notBefore), der.time(spec.notAfter)),
    spec.subject,
    spec.spki,
    der.explicit(3, der.sequence(...spec.extensions)),
  );
  const signature = sign('sha256', tbs, { key: spec.signingKey, dsaEncoding: 'der' });
  return der.sequence(tbs, algorithm, der.bitString(signature));
}

/** A new CA: self-signed, valid for ten years, name-constrained to INTERCEPTED_DOMAINS. */
export function createCaCertificate(now = new Date()): CaPem {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const ski = keyIdentifier(spki);
  const name = distinguishedName([
    [OID.organization, 'leastpriv'],
    [OID.commonName, `leastpriv local CA ${randomBytes(4).toString('hex')}`],
  ]);
  const certDer = signCertificate({
    serial: randomSerial(),
    issuer: name,
    subject: name,
    notBefore: new Date(now.getTime() - HOUR_MS),
    notAfter: new Date(now.getTime() + CA_LIFETIME_MS),
    spki,
    extensions: [
      extension(OID.basicConstraints, true, der.sequence(der.boolean(true), der.integer(0))),
      extension(OID.keyUsage, true, der.namedBits([KeyUsage.keyCertSign, KeyUsage.cRLSign])),
      extension(OID.subjectKeyIdentifier, false, der.octetString(ski)),
      extension(OID.authorityKeyIdentifier, false, der.sequence(der.implicit(0, der.octetString(ski)))),
      nameConstraintsExtension(INTERCEPTED_DOMAINS),
    ],
    signingKey: privateKey,
  });
  return {
    certPem: toPem('CERTIFICATE', certDer),
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/**
 * Reads a CA for signing. Throws when either PEM does not parse, the key does not belong to
 * the certificate, or the certificate is not a CA.
 */
export function readCa(certPem: string, keyPem: string): CaMaterial {
  const cert = new X509Certificate(certPem);
  const key = createPrivateKey(keyPem);
  if (!cert.ca) throw new Error('the certificate is not a CA certificate');
  if (!cert.checkPrivateKey(key)) throw new Error('the private key does not belong to the CA certificate');
  const raw = cert.raw;
  const [tbs] = der.readChildren(raw, der.readElement(raw));
  const fields = tbs ? der.readChildren(raw, tbs) : [];
  const versioned = fields[0]?.tag === 0xa0 ? 1 : 0;
  const subject = fields[versioned + 4];
  if (!subject) throw new Error('the CA certificate has no subject');
  return {
    certPem: cert.toString(),
    subject: Buffer.from(raw.subarray(subject.start, subject.end)),
    keyIdentifier: keyIdentifier(cert.publicKey.export({ type: 'spki', format: 'der' })),
    key,
    notAfter: new Date(cert.validTo),
  };
}

/** True when the CA's Name Constraints are exactly those built from INTERCEPTED_DOMAINS today. */
export function caCoversInterceptedDomains(certPem: string): boolean {
  return new X509Certificate(certPem).raw.includes(nameConstraintsExtension(INTERCEPTED_DOMAINS));
}

/**
 * Builds a leaf certificate for `host` under `ca` without checking that the host is one we
 * intercept (use LeafIssuer for that). SAN is the exact host, never a wildcard.
 */
export function buildLeafCertificate(
  host: string,
  ca: CaMaterial,
  leafSpki: Buffer,
  now = new Date(),
): Buffer {
  const fitsCommonName = host.length <= MAX_COMMON_NAME;
  const notAfter = Math.min(now.getTime() + LEAF_LIFETIME_MS, ca.notAfter.getTime());
  return signCertificate({
    serial: randomSerial(),
    issuer: ca.subject,
    subject: fitsCommonName ? distinguishedName([[OID.commonName, host]]) : der.sequence(),
    notBefore: new Date(now.getTime() - HOUR_MS),
    notAfter: new Date(notAfter),
    spki: leafSpki,
    extensions: [
      extension(OID.basicConstraints, true, der.sequence()),
      extension(OID.keyUsage, true, der.namedBits([KeyUsage.digitalSignature])),
      extension(OID.extKeyUsage, false, der.sequence(der.oid(OID.serverAuth))),
      extension(OID.subjectKeyIdentifier, false, der.octetString(keyIdentifier(leafSpki))),
      extension(
        OID.authorityKeyIdentifier,
        false,
        der.sequence(der.implicit(0, der.octetString(ca.keyIdentifier))),
      ),
      // With an empty subject the SAN must be critical (RFC 5280 4.2.1.6).
      extension(OID.subjectAltName, !fitsCommonName, der.sequence(der.implicit(2, der.ia5String(host)))),
    ],
    signingKey: ca.key,
  });
}

const HOST_NAME =
  /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/** The host in canonical form (lower case, no trailing dot); throws unless it is one of ours. */
function interceptedHost(host: string): string {
  const h = host.toLowerCase().replace(/\.$/, '');
  if (!HOST_NAME.test(h)) throw new Error(`cannot issue a certificate for "${host}": not a valid host name`);
  if (!isIntercepted(h)) {
    throw new Error(
      `cannot issue a certificate for "${host}": the leastpriv CA only signs for ${INTERCEPTED_DOMAINS.join(', ')}`,
    );
  }
  return h;
}

interface Leaf {
  pem: string;
  context: SecureContext;
}

/**
 * Issues per-host leaf certificates under one CA. All leaves share one key pair (generated
 * once); certificates are signed on first use and cached, so later handshakes cost a Map lookup.
 */
export class LeafIssuer {
  readonly #ca: CaMaterial;
  readonly #keyPem: string;
  readonly #spki: Buffer;
  readonly #maxEntries: number;
  readonly #cache = new Map<string, Leaf>();

  constructor(caCertPem: string, caKeyPem: string, options: { maxEntries?: number } = {}) {
    this.#ca = readCa(caCertPem, caKeyPem);
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    this.#keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    this.#spki = publicKey.export({ type: 'spki', format: 'der' });
    this.#maxEntries = Math.max(1, options.maxEntries ?? 10_000);
  }

  /** The TLS context presenting `host`'s leaf certificate (for an SNICallback). */
  secureContextFor(host: string): SecureContext {
    return this.#leaf(host).context;
  }

  /** `host`'s leaf certificate, PEM. */
  certificatePemFor(host: string): string {
    return this.#leaf(host).pem;
  }

  /** Number of cached host certificates. */
  get size(): number {
    return this.#cache.size;
  }

  #leaf(host: string): Leaf {
    const key = interceptedHost(host);
    const cached = this.#cache.get(key);
    if (cached) {
      // Re-insert so Map order is least recently used first.
      this.#cache.delete(key);
      this.#cache.set(key, cached);
      return cached;
    }
    const pem = toPem('CERTIFICATE', buildLeafCertificate(key, this.#ca, this.#spki));
    // Leaf only: clients trust our CA directly, so there is no intermediate to send.
    const leaf = { pem, context: createSecureContext({ key: this.#keyPem, cert: pem }) };
    this.#cache.set(key, leaf);
    while (this.#cache.size > this.#maxEntries) {
      const oldest = this.#cache.keys().next();
      if (oldest.done) break;
      this.#cache.delete(oldest.value);
    }
    return leaf;
  }
}
