/** The result of resolving an observed request: the API operation it called, or why not. */

export const UNRESOLVED_REASONS = {
  'not-aws-host': 'the host is not an AWS API endpoint',
  'unknown-service': 'no known service matches the host and signature',
  'unknown-operation': 'no operation of the service matches the request',
  ambiguous: 'several operations match the request equally well',
  'unparseable-body': 'the request body could not be parsed',
  'no-mapping': 'the operation has no known IAM action',
  'no-response': 'the request got no response',
  'internal-error': 'leastpriv failed on this request (a bug: please report it with the summary line)',
} as const;

export type UnresolvedReason = keyof typeof UNRESOLVED_REASONS;

/** A Google Cloud or Azure request with no operation: the reason code and what the request was. */
export interface CloudUnresolved {
  kind: 'unresolved';
  reason: UnresolvedReason;
  /** The request and why it has no operation. */
  detail: string;
  service: string | null;
  operation: string | null;
}

export interface Operation {
  provider: 'aws';
  /** The API's service id as the SDKs name it, lower case (`s3`, `dynamodb`, `monitoring`...). */
  service: string;
  /** The operation name as in the API model (`ListObjectsV2`). */
  operation: string;
  region: string;
  partition: string;
  /** Account id the call acted in, or null when it could not be known. */
  account: string | null;
  /** Parameters by model member name. Values are strings, numbers, booleans, lists and maps. */
  params: Record<string, unknown>;
  /** Wire protocol of the request (`json`, `query`, `ec2`, `rest-json`, `rest-xml`, `rpcv2-cbor`). */
  protocol?: string;
  /** SigV4 signing name of the request when it differs from the service's own (`s3express`). */
  signingName?: string;
  /** Why some parameters are missing (a truncated or unparseable body). */
  warnings?: string[];
}

export interface Resolved {
  kind: 'resolved';
  operation: Operation;
}

export interface Unresolved {
  kind: 'unresolved';
  reason: UnresolvedReason;
  /** One line of detail for the summary. */
  detail: string;
  /** What is known so far (a service without an operation, say). */
  service: string | null;
  operation: string | null;
  region: string | null;
}

export type Resolution = Resolved | Unresolved;
