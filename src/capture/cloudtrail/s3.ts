/**
 * `s3://bucket/prefix` inputs, read with the AWS SDK v3 and the user's own credentials (the
 * SDK's default chain: environment, profile, SSO, instance role). The SDK is loaded only when
 * an S3 input is given, so leastpriv keeps no runtime dependency: `@aws-sdk/client-s3` must be
 * installed beside it to read from S3.
 */
import type { Readable } from 'node:stream';
import type { TrailInput } from './inputs.js';

const LOG_KEY = /\.(json|json\.gz|gz|jsonl|ndjson)$/i;
const NOT_LOGS = /\/CloudTrail-(Digest|Insight)\//;

type S3Module = typeof import('@aws-sdk/client-s3');
type S3Client = InstanceType<S3Module['S3Client']>;

let loaded: { sdk: S3Module; client: S3Client } | null = null;

export const S3_SDK_MISSING =
  'reading s3:// inputs needs the AWS SDK for S3: run `npm install @aws-sdk/client-s3` where leastpriv is installed, or download the logs and pass the folder';

async function client(): Promise<
  { ok: true; sdk: S3Module; client: S3Client } | { ok: false; message: string }
> {
  if (loaded) return { ok: true, ...loaded };
  let sdk: S3Module;
  try {
    // The SDK's notice about future Node.js support is for its developers, not our users.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    sdk = (await import('@aws-sdk/client-s3')) as S3Module;
  } catch {
    return { ok: false, message: S3_SDK_MISSING };
  }
  // The bucket's region is found by the SDK's redirect handling when it differs.
  loaded = { sdk, client: new sdk.S3Client({ followRegionRedirects: true }) };
  return { ok: true, ...loaded };
}

/** The log objects under a prefix, in key order; digests and Insights are counted as ignored. */
export async function listS3(
  bucket: string,
  prefix: string,
): Promise<{ ok: true; inputs: TrailInput[]; ignored: number } | { ok: false; message: string }> {
  const c = await client();
  if (!c.ok) return c;
  const inputs: TrailInput[] = [];
  let ignored = 0;
  let token: string | undefined;
  try {
    do {
      const page = await c.client.send(
        new c.sdk.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) {
        if (!o.Key) continue;
        if (!LOG_KEY.test(o.Key) || NOT_LOGS.test(`/${o.Key}`)) ignored++;
        else inputs.push({ kind: 's3', bucket, key: o.Key, size: o.Size ?? 0 });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  } catch (err) {
    return { ok: false, message: `cannot list s3://${bucket}/${prefix}: ${(err as Error).message}` };
  }
  return { ok: true, inputs, ignored };
}

/** A stream of one object's bytes. */
export async function openS3(
  bucket: string,
  key: string,
): Promise<{ ok: true; body: Readable } | { ok: false; message: string }> {
  const c = await client();
  if (!c.ok) return c;
  try {
    const res = await c.client.send(new c.sdk.GetObjectCommand({ Bucket: bucket, Key: key }));
    if (!res.Body) return { ok: false, message: 'empty object' };
    return { ok: true, body: res.Body as Readable };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
}
