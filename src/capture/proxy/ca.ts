/**
 * The local CA on disk: `$LEASTPRIV_HOME/ca/leastpriv-ca.pem` and `leastpriv-ca-key.pem`.
 * Folders are 0700 and the key 0600 from the moment it exists; loading an existing CA does no
 * key generation, so the proxy starts in milliseconds.
 */
import type { KeyObject } from 'node:crypto';
import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { caCoversInterceptedDomains, createCaCertificate } from './x509.js';

export const CA_CERT_FILE = 'leastpriv-ca.pem';
export const CA_KEY_FILE = 'leastpriv-ca-key.pem';

export interface LoadedCa {
  certPem: string;
  keyPem: string;
  certPath: string;
  keyPath: string;
  /** True when this call generated the CA (first use or regenerate). */
  created: boolean;
}

/** The folder holding leastpriv's state: `LEASTPRIV_HOME`, else `~/.leastpriv`. */
export function leastprivHome(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.LEASTPRIV_HOME;
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : join(homedir(), '.leastpriv');
}

/** Creates `dir` if needed and makes it private (0700) even if it already existed. */
function privateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
}

/** Writes `data` to `path` through a temp file in the same folder, created with `mode`. */
function writeAtomic(path: string, data: string, mode: number): void {
  const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = fs.openSync(temp, 'wx', mode);
  try {
    fs.fchmodSync(fd, mode);
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(temp, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  try {
    fs.renameSync(temp, path);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw err;
  }
}

function unusable(file: string, why: string): Error {
  return new Error(
    `The leastpriv CA at ${file} is unusable (${why}); run \`leastpriv ca --regenerate\` to replace it.`,
  );
}

/** A file's text, or undefined when it does not exist. */
export function readIfExists(path: string): string | undefined {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Loads the CA from `${home}/ca`, creating it on first use (or when `regenerate` is set).
 * Throws, naming the file and the way out, when the files are partial, corrupt, mismatched,
 * expired, or constrained to a different list of domains than this version intercepts.
 */
export function loadOrCreateCa(home: string, opts: { regenerate?: boolean } = {}): LoadedCa {
  privateDir(home);
  const dir = join(home, 'ca');
  privateDir(dir);
  const certPath = join(dir, CA_CERT_FILE);
  const keyPath = join(dir, CA_KEY_FILE);

  if (!opts.regenerate) {
    const certPem = readIfExists(certPath);
    const keyPem = readIfExists(keyPath);
    if (certPem !== undefined || keyPem !== undefined) {
      if (certPem === undefined) throw unusable(certPath, 'the certificate file is missing');
      if (keyPem === undefined) throw unusable(keyPath, 'the key file is missing');
      validate(certPem, keyPem, certPath, keyPath);
      if ((fs.statSync(keyPath).mode & 0o077) !== 0) fs.chmodSync(keyPath, 0o600);
      return { certPem, keyPem, certPath, keyPath, created: false };
    }
  }

  const { certPem, keyPem } = createCaCertificate();
  // Key first: a crash in between leaves a key without a certificate, reported on next load.
  writeAtomic(keyPath, keyPem, 0o600);
  writeAtomic(certPath, certPem, 0o644);
  return { certPem, keyPem, certPath, keyPath, created: true };
}

function validate(certPem: string, keyPem: string, certPath: string, keyPath: string): void {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    throw unusable(certPath, 'the certificate does not parse');
  }
  if (!cert.ca) throw unusable(certPath, 'it is not a CA certificate');
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    throw unusable(keyPath, 'the private key does not parse');
  }
  if (!cert.checkPrivateKey(key)) throw unusable(keyPath, `the key does not belong to ${certPath}`);
  const notAfter = new Date(cert.validTo);
  if (notAfter.getTime() <= Date.now()) throw unusable(certPath, `it expired on ${notAfter.toISOString()}`);
  if (!caCoversInterceptedDomains(certPem)) {
    throw unusable(certPath, 'its name constraints differ from the domains this version intercepts');
  }
}
