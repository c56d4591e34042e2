/**
 * Minimal success answers for `--upstream stub`: for each protocol, the smallest response the
 * AWS SDKs' parsers accept for the resolved operation, plus plausible values for the few
 * operations whose callers cannot go on without them (who am I, role credentials, queue URLs,
 * multipart upload ids). Pure: the request id derives from the call's sequence number.
 */
import { createHash } from 'node:crypto';
import type { ObservedCall, Resolution } from '../model/index.js';
import { apiService } from './api-index.js';

export interface StubResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
  /** Sent after the body (gRPC's `grpc-status`). */
  trailers?: Record<string, string>;
}

const STUB_ACCOUNT = '123456789012';
const EC2_XMLNS = 'http://ec2.amazonaws.com/doc/2016-11-15/';

const enc = new TextEncoder();

function requestId(call: ObservedCall): string {
  return `00000000-0000-4000-8000-${String(call.id % 1e12).padStart(12, '0')}`;
}

function xmlEscape(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function answer(status: number, headers: Record<string, string>, body: string | Uint8Array): StubResponse {
  return { status, headers, body: typeof body === 'string' ? enc.encode(body) : body };
}

/** Values that let a caller go on, by `service:Operation`, as output member → text. */
function plausible(
  service: string,
  operation: string,
  account: string,
  region: string,
  params: Record<string, unknown>,
) {
  const partition = region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  const credentials = {
    Credentials: {
      AccessKeyId: 'ASIAEXAMPLESTUBKEYID',
      SecretAccessKey: 'leastpriv-stub-secret',
      SessionToken: 'leastpriv-stub-session-token',
      Expiration: '2099-01-01T00:00:00Z',
    },
  };
  switch (`${service}:${operation}`) {
    case 'sts:GetCallerIdentity':
      return {
        UserId: 'AIDAEXAMPLESTUBUSER',
        Account: account,
        Arn: `arn:${partition}:iam::${account}:user/leastpriv-stub`,
      };
    case 'sts:AssumeRole':
    case 'sts:AssumeRoleWithWebIdentity':
    case 'sts:AssumeRoleWithSAML':
    case 'sts:GetSessionToken':
    case 'sts:GetFederationToken':
      return credentials;
    case 'sqs:CreateQueue':
    case 'sqs:GetQueueUrl': {
      const name = typeof params.QueueName === 'string' ? params.QueueName : 'queue';
      return { QueueUrl: `https://sqs.${region}.amazonaws.com/${account}/${name}` };
    }
    case 'sqs:SendMessage':
      // SDKs check the body digest of a sent message.
      return { MessageId: 'leastpriv-stub-message', MD5OfMessageBody: md5(params.MessageBody) };
    case 'sqs:SendMessageBatch': {
      const entries = Array.isArray(params.Entries) ? (params.Entries as Record<string, unknown>[]) : [];
      return {
        Successful: entries.map((e, i) => ({
          Id: String(e.Id ?? i),
          MessageId: `leastpriv-stub-message-${i}`,
          MD5OfMessageBody: md5(e.MessageBody),
        })),
        Failed: [],
      };
    }
    default:
      return null;
  }
}

function md5(value: unknown): string {
  return createHash('md5')
    .update(typeof value === 'string' ? value : '')
    .digest('hex');
}

function xmlFields(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .map(([k, v]) =>
      typeof v === 'object' && v !== null
        ? `<${k}>${xmlFields(v as Record<string, unknown>)}</${k}>`
        : `<${k}>${xmlEscape(String(v))}</${k}>`,
    )
    .join('');
}

/** S3 operations whose SDK parsers reject an empty body (an empty 200 is retried as an error). */
function s3Body(operation: string, params: Record<string, unknown>): string | null {
  const ns = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';
  const bucket = xmlEscape(String(params.Bucket ?? ''));
  const key = xmlEscape(String(params.Key ?? ''));
  switch (operation) {
    case 'CreateMultipartUpload':
      return `<InitiateMultipartUploadResult ${ns}><Bucket>${bucket}</Bucket><Key>${key}</Key><UploadId>leastpriv-stub-upload</UploadId></InitiateMultipartUploadResult>`;
    case 'CompleteMultipartUpload':
      return `<CompleteMultipartUploadResult ${ns}><Bucket>${bucket}</Bucket><Key>${key}</Key><ETag>"d41d8cd98f00b204e9800998ecf8427e"</ETag></CompleteMultipartUploadResult>`;
    case 'CopyObject':
      return `<CopyObjectResult ${ns}><ETag>"d41d8cd98f00b204e9800998ecf8427e"</ETag></CopyObjectResult>`;
    case 'UploadPartCopy':
      return `<CopyPartResult ${ns}><ETag>"d41d8cd98f00b204e9800998ecf8427e"</ETag></CopyPartResult>`;
    default:
      return null;
  }
}

/**
 * A success response for the operation the request resolved to. Unresolved requests get an
 * answer shaped by the request alone (its X-Amz-Target, RPCv2 header or Action).
 */
export function stubResponse(resolution: Resolution, call: ObservedCall): StubResponse {
  const id = requestId(call);
  const common: Record<string, string> = { 'x-amzn-requestid': id, 'x-amz-request-id': id, 'x-amz-id-2': id };
  if (resolution.kind !== 'resolved') return byRequest(call, common);
  const op = resolution.operation;
  const svc = apiService(op.service);
  const protocol = op.protocol ?? svc?.protocols[0] ?? 'rest-json';
  const account = op.account ?? STUB_ACCOUNT;
  const extra = plausible(op.service, op.operation, account, op.region, op.params);
  switch (protocol) {
    case 'json': {
      const version = svc?.jsonVersion ?? '1.0';
      const type = call.headers['content-type']?.startsWith('application/x-amz-json')
        ? call.headers['content-type']
        : `application/x-amz-json-${version}`;
      return answer(200, { ...common, 'content-type': type }, JSON.stringify(extra ?? {}));
    }
    case 'rpcv2-cbor':
      return answer(
        200,
        { ...common, 'content-type': 'application/cbor', 'smithy-protocol': 'rpc-v2-cbor' },
        Uint8Array.of(0xa0),
      );
    case 'query': {
      const ns = svc?.xmlns ? ` xmlns="${xmlEscape(svc.xmlns)}"` : '';
      const wrapper = svc?.ops[op.operation]?.w ?? `${op.operation}Result`;
      const result = extra ? `<${wrapper}>${xmlFields(extra)}</${wrapper}>` : `<${wrapper}/>`;
      const xml = `<${op.operation}Response${ns}>${result}<ResponseMetadata><RequestId>${id}</RequestId></ResponseMetadata></${op.operation}Response>`;
      return answer(200, { ...common, 'content-type': 'text/xml' }, xml);
    }
    case 'ec2': {
      const xml = `<${op.operation}Response xmlns="${EC2_XMLNS}"><requestId>${id}</requestId></${op.operation}Response>`;
      return answer(200, { ...common, 'content-type': 'text/xml;charset=UTF-8' }, xml);
    }
    case 'rest-xml': {
      const headers = { ...common };
      if (op.service === 's3') headers.etag = '"d41d8cd98f00b204e9800998ecf8427e"';
      const body = op.service === 's3' ? s3Body(op.operation, op.params) : null;
      if (body) return answer(200, { ...headers, 'content-type': 'application/xml' }, body);
      return answer(200, headers, new Uint8Array(0));
    }
    default:
      return answer(200, { ...common, 'content-type': 'application/json' }, JSON.stringify(extra ?? {}));
  }
}

function byRequest(call: ObservedCall, common: Record<string, string>): StubResponse {
  const id = common['x-amzn-requestid'] as string;
  if (call.headers['x-amz-target'] !== undefined) {
    const type = call.headers['content-type'] ?? 'application/x-amz-json-1.0';
    return answer(200, { ...common, 'content-type': type }, '{}');
  }
  if (call.headers['smithy-protocol'] === 'rpc-v2-cbor')
    return answer(
      200,
      { ...common, 'content-type': 'application/cbor', 'smithy-protocol': 'rpc-v2-cbor' },
      Uint8Array.of(0xa0),
    );
  const form = (call.headers['content-type'] ?? '').includes('x-www-form-urlencoded')
    ? new URLSearchParams(Buffer.from(call.body).toString('utf8'))
    : new URLSearchParams(call.query);
  const action = form.get('Action');
  if (action && /^[A-Za-z0-9]+$/.test(action)) {
    const xml = `<${action}Response><${action}Result/><ResponseMetadata><RequestId>${id}</RequestId></ResponseMetadata></${action}Response>`;
    return answer(200, { ...common, 'content-type': 'text/xml' }, xml);
  }
  return answer(200, common, new Uint8Array(0));
}
