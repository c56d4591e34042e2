/**
 * What a capture source saw. An ObservedCall is one HTTP exchange with a cloud API as the
 * proxy saw it; secrets are already removed (no request signature, no session token).
 */
export interface ObservedResponse {
  status: number;
  /** Error code from the response (JSON `__type` / `x-amzn-ErrorType`, XML `<Code>`), else null. */
  errorCode: string | null;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** A bounded prefix of the response body (decoded when the response was gzip/deflate encoded). */
  body: Uint8Array;
  bodyTruncated: boolean;
}

export interface ObservedCall {
  /** Sequence number within one capture session, from 1. */
  id: number;
  /** ISO 8601 time the request started. */
  time: string;
  source: 'proxy';
  scheme: 'https' | 'http';
  /** Host the client asked for, lower case, without port. */
  host: string;
  port: number;
  method: string;
  /** Raw path, without the query string. */
  path: string;
  /** Raw query string without the leading '?'; presigned signatures and tokens removed. */
  query: string;
  /**
   * Lower-case header names. `authorization` keeps the SigV4 credential scope and signed
   * header list but never the signature; `x-amz-security-token` is never present.
   */
  headers: Record<string, string>;
  /** A bounded prefix of the request body. */
  body: Uint8Array;
  bodyTruncated: boolean;
  /** Total request body bytes seen. */
  bodySize: number;
  /** Null when no response arrived (upstream failure, client gone). */
  response: ObservedResponse | null;
}
