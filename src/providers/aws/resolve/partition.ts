/** Partitions, regions and accounts. */

/** DNS suffixes of AWS API endpoints, longest first, with the partition they belong to. */
export const DNS_SUFFIXES: readonly (readonly [suffix: string, partition: string])[] = [
  ['api.amazonwebservices.com.cn', 'aws-cn'],
  ['api.amazonwebservices.eu', 'aws-eusc'],
  ['api.cloud-aws.adc-e.uk', 'aws-iso-e'],
  ['api.aws.hci.ic.gov', 'aws-iso-f'],
  ['api.aws.ic.gov', 'aws-iso'],
  ['api.aws.scloud', 'aws-iso-b'],
  ['amazonaws.com.cn', 'aws-cn'],
  ['csp.hci.ic.gov', 'aws-iso-f'],
  ['sc2s.sgov.gov', 'aws-iso-b'],
  ['cloud.adc-e.uk', 'aws-iso-e'],
  ['c2s.ic.gov', 'aws-iso'],
  ['amazonaws.eu', 'aws-eusc'],
  ['amazonaws.com', 'aws'],
  ['api.aws', 'aws'],
];

const REGION_PREFIXES: readonly (readonly [prefix: string, partition: string])[] = [
  ['cn-', 'aws-cn'],
  ['us-gov-', 'aws-us-gov'],
  ['us-isob-', 'aws-iso-b'],
  ['us-isof-', 'aws-iso-f'],
  ['eu-isoe-', 'aws-iso-e'],
  ['us-iso-', 'aws-iso'],
  ['eusc-', 'aws-eusc'],
];

/** The partition a region belongs to (`aws` unless the region says otherwise). */
export function partitionOf(region: string): string {
  for (const [prefix, partition] of REGION_PREFIXES) if (region.startsWith(prefix)) return partition;
  return 'aws';
}

/** Where a partition's global endpoints (IAM, Route 53, legacy STS) sign. */
export function globalRegion(partition: string): string {
  switch (partition) {
    case 'aws-cn':
      return 'cn-north-1';
    case 'aws-us-gov':
      return 'us-gov-west-1';
    case 'aws-iso':
      return 'us-iso-east-1';
    case 'aws-iso-b':
      return 'us-isob-east-1';
    case 'aws-iso-e':
      return 'eu-isoe-west-1';
    case 'aws-iso-f':
      return 'us-isof-south-1';
    case 'aws-eusc':
      return 'eusc-de-east-1';
    default:
      return 'us-east-1';
  }
}

/** A region name: `us-east-1`, `us-gov-west-1`, `cn-northwest-1`, `eu-isoe-west-1`. */
export const REGION = /^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$/;

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * The account an access key id belongs to. Keys issued since 2019 (`AKIA`/`ASIA` followed by
 * base32) carry the account in bits 1..40 of their first 6 decoded bytes. Returns null for
 * other key kinds. Older keys decode to noise: an account learned from the session wins.
 */
export function accountFromAccessKey(accessKeyId: string): string | null {
  if (!/^(AKIA|ASIA)[A-Z2-7]{16}$/.test(accessKeyId)) return null;
  // documentation keys (AKIAIOSFODNN7EXAMPLE) predate the format and decode to noise
  if (accessKeyId.endsWith('EXAMPLE')) return null;
  let bits = 0n;
  let count = 0;
  for (const ch of accessKeyId.slice(4, 14)) {
    bits = (bits << 5n) | BigInt(BASE32.indexOf(ch));
    count += 5;
  }
  // first 48 bits of the decoded key
  const first48 = bits >> BigInt(count - 48);
  const account = (first48 & 0x7fffffffff80n) >> 7n;
  return account.toString().padStart(12, '0');
}
