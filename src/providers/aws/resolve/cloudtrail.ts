/**
 * CloudTrail records -> Operations. A CloudTrail record already names its operation: the
 * service comes from `eventSource` (matched to the API index by endpoint prefix, signing name
 * or id), the operation from `eventName` (CloudTrail's own names where they differ), the
 * parameters from `requestParameters` (camelCase there, model member names here) and the
 * ARNs of `resources[]`. Pure: the API index comes from `catalog/`.
 */
import { type ApiService, apiIndex } from '../../../catalog/api-index.js';
import type { Operation } from '../../../model/index.js';
import { pruneDeep } from './params.js';
import { partitionOf } from './partition.js';

/** The fields of a CloudTrail record this mapping reads (validated by the reader). */
export interface TrailCall {
  eventSource: string;
  eventName: string;
  awsRegion: string;
  /** The account the call acted in. */
  recipientAccountId?: string | undefined;
  /** The account of the identity, when the recipient is not recorded. */
  identityAccountId?: string | undefined;
  apiVersion?: string | undefined;
  requestParameters?: Record<string, unknown> | null | undefined;
  resources?: readonly { ARN?: string | undefined }[] | undefined;
}

export type TrailResolution =
  | { kind: 'resolved'; operation: Operation }
  | {
      kind: 'unresolved';
      reason: 'unknown-service' | 'unknown-operation';
      service: string | null;
      operation: string;
      region: string;
    };

/**
 * The parameter that carries the ARNs of a record's `resources[]`. The authorizer takes every
 * top-level ARN as a resource the call named explicitly; the name cannot collide with a model
 * member (members have no dot).
 */
export const RESOURCES_PARAM = 'CloudTrail.resources';

/**
 * S3 event names that differ from the API operation names: CloudTrail logs the bucket-level
 * public access block and object lock operations with `Bucket` in the name. Source:
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/cloudtrail-logging-s3-info.html
 */
const S3_EVENT_NAMES: Record<string, string> = {
  GetBucketPublicAccessBlock: 'GetPublicAccessBlock',
  PutBucketPublicAccessBlock: 'PutPublicAccessBlock',
  DeleteBucketPublicAccessBlock: 'DeletePublicAccessBlock',
  GetBucketObjectLockConfiguration: 'GetObjectLockConfiguration',
  PutBucketObjectLockConfiguration: 'PutObjectLockConfiguration',
  GetBucketRequestPay: 'GetBucketRequestPayment',
  PutBucketRequestPay: 'PutBucketRequestPayment',
};

/** S3 data events name the bucket and key `bucketName` and `key`. */
const S3_PARAMS: Record<string, string> = { bucketName: 'Bucket', key: 'Key' };

/**
 * Lambda's management events carry the API version in the name (`CreateFunction20150331`,
 * `UpdateFunctionCode20150331v2`); CloudFront's some too (`CreateDistribution2020_05_31`).
 */
const VERSION_SUFFIX = /(?:\d{8}(?:v\d+)?|\d{4}_\d{2}_\d{2})$/;

interface Target {
  service: ApiService;
  operation: string;
}

const targets = new Map<
  string,
  Target | { missing: 'unknown-service' | 'unknown-operation'; service: string | null }
>();
let bySdkId: Map<string, ApiService[]> | null = null;

const normalize = (s: string) => s.toLowerCase().replace(/[\s_-]+/g, '');

function sdkIdIndex(): Map<string, ApiService[]> {
  if (bySdkId) return bySdkId;
  bySdkId = new Map();
  for (const svc of apiIndex().services.values()) {
    const key = normalize(svc.sdkId);
    const list = bySdkId.get(key) ?? [];
    list.push(svc);
    bySdkId.set(key, list);
  }
  return bySdkId;
}

/** Services an event source or SDK service name may stand for, best first. */
export function serviceCandidates(name: string): ApiService[] {
  const index = apiIndex();
  const prefix = name.toLowerCase().replace(/\.amazonaws\.com(\.cn)?$/, '');
  const out: ApiService[] = [];
  const add = (list: readonly ApiService[] | undefined) => {
    for (const s of list ?? []) if (!out.includes(s)) out.push(s);
  };
  const own = index.services.get(prefix);
  if (own) add([own]);
  add(index.byHost.get(prefix));
  add(index.bySigning.get(prefix));
  add(sdkIdIndex().get(normalize(prefix)));
  return out;
}

function operationIn(service: ApiService, eventName: string): string | null {
  if (Object.hasOwn(service.ops, eventName)) return eventName;
  if (service.id === 's3' || service.id === 's3control') {
    const renamed = S3_EVENT_NAMES[eventName];
    if (renamed && Object.hasOwn(service.ops, renamed)) return renamed;
  }
  const bare = eventName.replace(VERSION_SUFFIX, '');
  if (bare !== eventName && Object.hasOwn(service.ops, bare)) return bare;
  return null;
}

/**
 * The API index's service and operation for a service name (CloudTrail's `eventSource`, or
 * the service id an SDK reports) and an operation name, or why there is none.
 */
export function findOperation(
  name: string,
  operation: string,
  apiVersion?: string,
):
  | { service: ApiService; operation: string }
  | { missing: 'unknown-service' | 'unknown-operation'; service: string | null } {
  return target(name, operation, apiVersion);
}

function target(eventSource: string, eventName: string, apiVersion: string | undefined) {
  const key = `${eventSource}\u0000${eventName}\u0000${apiVersion ?? ''}`;
  let t = targets.get(key);
  if (t) return t;
  const candidates = serviceCandidates(eventSource);
  const found: Target[] = [];
  for (const service of candidates) {
    const operation = operationIn(service, eventName);
    if (operation) found.push({ service, operation });
  }
  // Services sharing an endpoint (ELB and ELBv2, SES and SESv2): the record's API version decides.
  const versioned = apiVersion ? found.find((f) => f.service.apiVersion === apiVersion) : undefined;
  t =
    versioned ??
    found[0] ??
    (candidates.length
      ? { missing: 'unknown-operation' as const, service: candidates[0]?.id ?? null }
      : { missing: 'unknown-service' as const, service: null });
  targets.set(key, t);
  return t;
}

/** Every member name the index knows for an operation, by lower-case name. */
const memberNames = new Map<string, Map<string, string>>();

function members(service: ApiService, operation: string): Map<string, string> {
  const key = `${service.id}:${operation}`;
  let m = memberNames.get(key);
  if (m) return m;
  m = new Map();
  const op = Object.hasOwn(service.ops, operation) ? service.ops[operation] : undefined;
  for (const name of Object.values(op?.l ?? {})) m.set(name.toLowerCase(), name);
  for (const [wire, name] of Object.entries(op?.b ?? {})) m.set(wire.toLowerCase(), name);
  for (const label of (op?.h ?? '').matchAll(/\{([A-Za-z0-9]+)\+?\}/g)) {
    if (label[1]) m.set(label[1].toLowerCase(), label[1]);
  }
  if (op?.P) m.set(op.P.toLowerCase(), op.P);
  memberNames.set(key, m);
  return m;
}

/** `requestParameters` by API member name: known members by the index, the rest capitalised. */
export function trailParams(
  service: ApiService,
  operation: string,
  requestParameters: Record<string, unknown> | null | undefined,
): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  if (!requestParameters || typeof requestParameters !== 'object') return params;
  // a record can nest anything as deep as it likes: what is deeper than a request can be is left out
  const input = (pruneDeep(requestParameters) ?? requestParameters) as Record<string, unknown>;
  const known = members(service, operation);
  const s3 = service.id === 's3';
  for (const [name, value] of Object.entries(input)) {
    if (name === '__proto__') continue;
    if (s3 && Object.hasOwn(S3_PARAMS, name)) {
      params[S3_PARAMS[name] as string] = value;
      continue;
    }
    if (service.id === 'ec2' && name === 'instancesSet') {
      const ids = ec2Items(value, 'instanceId');
      if (ids.length) params.InstanceIds = ids;
      continue;
    }
    const upper = name.charAt(0).toUpperCase() + name.slice(1);
    params[known.get(name.toLowerCase()) ?? upper] = value;
  }
  return params;
}

/** EC2 records list ids as `{items: [{instanceId}]}`. */
function ec2Items(value: unknown, field: string): string[] {
  const items = (value as { items?: unknown } | null)?.items;
  if (!Array.isArray(items)) return [];
  return items.flatMap((i) => {
    const v = (i as Record<string, unknown> | null)?.[field];
    return typeof v === 'string' ? [v] : [];
  });
}

/** The operation a CloudTrail record names, or why it names none the API index knows. */
export function trailOperation(call: TrailCall): TrailResolution {
  const t = target(call.eventSource, call.eventName, call.apiVersion);
  if ('missing' in t) {
    return {
      kind: 'unresolved',
      reason: t.missing,
      service: t.service,
      operation: call.eventName,
      region: call.awsRegion,
    };
  }
  const params = trailParams(t.service, t.operation, call.requestParameters);
  // S3 records name the bucket and key in full; their resources[] add the bucket to object calls.
  if (t.service.id !== 's3' && call.resources?.length) {
    const arns = call.resources.flatMap((r) =>
      typeof r?.ARN === 'string' && r.ARN.startsWith('arn:') ? [r.ARN] : [],
    );
    if (arns.length) params[RESOURCES_PARAM] = [...new Set(arns)].sort();
  }
  return {
    kind: 'resolved',
    operation: {
      provider: 'aws',
      service: t.service.id,
      operation: t.operation,
      region: call.awsRegion,
      partition: partitionOf(call.awsRegion),
      account: call.recipientAccountId ?? call.identityAccountId ?? null,
      params,
    },
  };
}
