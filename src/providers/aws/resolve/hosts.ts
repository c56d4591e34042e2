/**
 * AWS endpoint host names: DNS suffix (partition), region, and the services a host can serve.
 * Covers regional, global, FIPS, dual-stack, `*.api.aws`, China, VPC endpoint,
 * account-based and host-prefixed endpoints. S3's many host forms live in `s3-hosts.ts`.
 */
import type { ApiIndex, ApiService } from '../../../catalog/api-index.js';
import { DNS_SUFFIXES, REGION } from './partition.js';

export interface HostInfo {
  /** The host is below an AWS API DNS suffix. */
  aws: boolean;
  partition: string | null;
  region: string | null;
  /** The labels before the region, without FIPS / dual-stack / VPC endpoint markers. */
  labels: string[];
}

export interface HostMatch {
  service: ApiService;
  /**
   * What precedes the service's host prefix: an operation's host prefix (`data-`), an account
   * (`123456789012.`) or an S3 bucket (`my.bucket.`). Empty when nothing does.
   */
  prefix: string;
}

/** Host prefixes that are not an SDK endpoint prefix, and the service they serve. */
const HOST_ALIASES: ReadonlyMap<string, string> = new Map([
  ['queue', 'sqs'],
  ['ddb', 'dynamodb'],
  ['iam.global', 'iam'],
  ['route53.global', 'route53'],
]);

const MARKERS = new Set(['dualstack', 'fips', 'global', 'vpce']);

/** Parsed hosts: a workload talks to few hosts, many times. Bounded; results are never mutated. */
const parsed = new Map<string, Readonly<HostInfo>>();
const PARSED_MAX = 4096;

/** Splits a host into partition, region and service labels. */
export function parseHost(host: string): HostInfo {
  let info = parsed.get(host);
  if (info === undefined) {
    info = Object.freeze(parseHostUncached(host));
    if (parsed.size >= PARSED_MAX) parsed.clear();
    parsed.set(host, info);
  }
  return info as HostInfo;
}

function parseHostUncached(host: string): HostInfo {
  const h = host.toLowerCase().replace(/\.$/, '');
  let rest: string | null = null;
  let partition: string | null = null;
  for (const [suffix, p] of DNS_SUFFIXES) {
    if (h.endsWith(`.${suffix}`)) {
      rest = h.slice(0, -(suffix.length + 1));
      partition = p;
      break;
    }
  }
  if (rest === null) return { aws: false, partition: null, region: null, labels: h.split('.') };
  let labels = rest.split('.');
  let region: string | null = null;
  for (let i = labels.length - 1; i >= 0; i--) {
    if (REGION.test(labels[i] as string)) {
      region = labels[i] as string;
      // `<region>.<service>` endpoints put the service after the region
      labels = [...labels.slice(0, i), ...labels.slice(i + 1)];
      break;
    }
  }
  const kept: string[] = [];
  let part = partition;
  for (const label of labels) {
    // GovCloud's global endpoints: iam.us-gov.amazonaws.com
    if (label === 'us-gov') {
      part = 'aws-us-gov';
      continue;
    }
    if (MARKERS.has(label)) continue;
    kept.push(label.endsWith('-fips') ? label.slice(0, -5) : label);
  }
  return { aws: true, partition: part, region, labels: kept };
}

/**
 * The services whose endpoint the host labels name, longest host prefix first. A literal
 * operation host prefix (`data-servicediscovery`) is split off the first label.
 */
export function servicesForHost(index: ApiIndex, labels: readonly string[]): HostMatch[] {
  for (let i = 0; i < labels.length; i++) {
    const head = labels.slice(0, i).join('.');
    const prefix = head ? `${head}.` : '';
    const found = lookup(index, labels.slice(i).join('.'));
    if (found.length) return found.map((service) => ({ service, prefix }));
    const first = labels[i] as string;
    const tail = labels.slice(i + 1).join('.');
    for (let j = first.indexOf('-'); j > 0; j = first.indexOf('-', j + 1)) {
      const key = tail ? `${first.slice(j + 1)}.${tail}` : first.slice(j + 1);
      const dashed = lookup(index, key);
      if (dashed.length)
        return dashed.map((service) => ({ service, prefix: `${prefix}${first.slice(0, j + 1)}` }));
    }
  }
  return [];
}

function lookup(index: ApiIndex, key: string): readonly ApiService[] {
  const direct = index.byHost.get(key);
  if (direct) return direct;
  const alias = HOST_ALIASES.get(key);
  const svc = alias ? index.services.get(alias) : undefined;
  return svc ? [svc] : [];
}
