/**
 * S3's host forms: path-style and virtual-hosted (bucket names with dots included), legacy
 * `s3-<region>` and `s3-external-1`, Transfer Acceleration, access points, Object Lambda,
 * Multi-Region Access Points, S3 Express One Zone (directory buckets) and S3 on Outposts.
 */
import { REGION } from './partition.js';

export interface S3Host {
  /** The bucket (or access point ARN) the host names; null for path-style hosts. */
  bucket: string | null;
  /** Region the host names when the generic parser could not see it (`s3-us-west-2`). */
  region: string | null;
  /** The S3 Express One Zone zonal or control endpoint. */
  express: boolean;
}

const LEGACY_REGIONAL = /^s3-(.+)$/;
const EXPRESS_ZONAL = /^s3express-([a-z0-9]+-az\d+)$/;
const ACCESS_POINT = /^(.+)-(\d{12})$/;

/**
 * Reads an S3 host's labels (region and DNS suffix already removed). Returns null when the
 * host is not an S3 data-plane endpoint.
 */
export function parseS3Host(
  labels: readonly string[],
  partition: string,
  region: string | null,
): S3Host | null {
  const marker = labels[labels.length - 1];
  if (marker === undefined) return null;
  const before = labels.slice(0, -1);
  const named = before.length ? before.join('.') : null;
  if (marker === 's3' || marker === 's3-accelerate') return { bucket: named, region: null, express: false };
  if (marker === 's3-external-1') return { bucket: named, region: 'us-east-1', express: false };
  if (marker === 's3express-control') return { bucket: null, region: null, express: true };
  if (EXPRESS_ZONAL.test(marker)) return { bucket: named, region: null, express: true };
  if (marker === 's3-accesspoint' || marker === 's3-object-lambda') {
    const m = named ? ACCESS_POINT.exec(named) : null;
    // <route>.s3-object-lambda: WriteGetObjectResponse's request route, not a bucket
    if (!m && marker === 's3-object-lambda') return { bucket: null, region: null, express: false };
    if (!m || !region) return { bucket: named, region: null, express: false };
    const service = marker === 's3-accesspoint' ? 's3' : 's3-object-lambda';
    return {
      bucket: `arn:${partition}:${service}:${region}:${m[2]}:accesspoint/${m[1]}`,
      region: null,
      express: false,
    };
  }
  if (marker === 's3-outposts' && before.length >= 2) {
    const m = ACCESS_POINT.exec(before[0] as string);
    const outpost = before[1] as string;
    if (!m || !region) return { bucket: named, region: null, express: false };
    return {
      bucket: `arn:${partition}:s3-outposts:${region}:${m[2]}:outpost/${outpost}/accesspoint/${m[1]}`,
      region: null,
      express: false,
    };
  }
  if (marker === 's3-global' && before.length >= 3 && before[before.length - 1] === 'accesspoint') {
    // <alias>.mrap.accesspoint.s3-global: the alias is what clients put in the ARN
    return { bucket: before.slice(0, -2).join('.'), region: null, express: false };
  }
  const legacy = LEGACY_REGIONAL.exec(marker);
  if (legacy && REGION.test(legacy[1] as string))
    return { bucket: named, region: legacy[1] as string, express: false };
  if (legacy && (legacy[1] as string).startsWith('fips-') && REGION.test((legacy[1] as string).slice(5)))
    return { bucket: named, region: (legacy[1] as string).slice(5), express: false };
  return null;
}
