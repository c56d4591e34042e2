/** The SigV4 credential scope of a request: who signed it, for which region and service. */
import type { ObservedCall } from '../../../model/index.js';

export interface CredentialScope {
  accessKeyId: string;
  /** null for SigV2 / S3 legacy signatures, which carry no scope. */
  region: string | null;
  service: string | null;
}

const HEADER_SCOPE = /Credential=([^/,\s]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/;
const SIGV4A_SCOPE = /^AWS4-ECDSA-P256-SHA256\s+Credential=([^/,\s]+)\/\d{8}\/([^/]+)\/aws4_request/;
const LEGACY_HEADER = /^AWS\s+([A-Z0-9]{16,128}):/;

/** The scope from the Authorization header, or from `X-Amz-Credential` on a presigned URL. */
export function credentialScope(call: ObservedCall, query: URLSearchParams): CredentialScope | null {
  const auth = call.headers.authorization;
  if (auth) {
    const m = HEADER_SCOPE.exec(auth);
    if (m) return { accessKeyId: m[1] as string, region: m[2] as string, service: m[3] as string };
    // SigV4a (multi-region access points) signs for a region set, not one region
    const a = SIGV4A_SCOPE.exec(auth);
    if (a) return { accessKeyId: a[1] as string, region: null, service: a[2] as string };
    const legacy = LEGACY_HEADER.exec(auth);
    if (legacy) return { accessKeyId: legacy[1] as string, region: null, service: null };
  }
  const credential = query.get('X-Amz-Credential');
  if (credential) {
    const parts = credential.split('/');
    if (parts.length === 5 && parts[4] === 'aws4_request')
      return { accessKeyId: parts[0] as string, region: parts[2] as string, service: parts[3] as string };
    if (parts.length === 4 && parts[3] === 'aws4_request')
      return { accessKeyId: parts[0] as string, region: null, service: parts[2] as string };
  }
  const legacyKey = query.get('AWSAccessKeyId');
  if (legacyKey) return { accessKeyId: legacyKey, region: null, service: null };
  return null;
}
