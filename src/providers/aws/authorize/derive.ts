/**
 * ARN variables that a service's parameters carry in another shape: a queue URL, an S3 copy
 * source, a Lambda partial ARN, an IAM path. A variable set to null does not apply to this call
 * (the bucket of a call addressed to an access point, say).
 */
import type { Operation } from '../../../model/index.js';
import { strings, topLevel } from './params.js';

export type Derived = Record<string, string[] | null>;

const ARN = /^arn:([^:]+):([^:]+):([^:]*):([^:]*):(.+)$/;

export interface ParsedArn {
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
}

export function parseArn(arn: string): ParsedArn | null {
  const m = ARN.exec(arn);
  if (!m) return null;
  return {
    partition: m[1] ?? '',
    service: m[2] ?? '',
    region: m[3] ?? '',
    account: m[4] ?? '',
    resource: m[5] ?? '',
  };
}

function str(params: Record<string, unknown>, name: string): string | undefined {
  const v = topLevel(params, name);
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function s3(op: Operation): Derived {
  const out: Derived = {};
  const bucket = str(op.params, 'Bucket');
  const ap = bucket ? parseArn(bucket) : null;
  if (ap && /^accesspoint\//.test(ap.resource)) {
    out.AccessPointName = [ap.resource.slice('accesspoint/'.length)];
    out.Region = [ap.region];
    out.Account = [ap.account];
    out.BucketName = null;
  } else if (bucket) {
    out.BucketName = [bucket];
    out.AccessPointName = null;
  }
  const key = str(op.params, 'Key');
  if (key !== undefined) out.ObjectName = [key];
  const copy = str(op.params, 'CopySource');
  if (copy) {
    const [path = '', query = ''] = copy.split('?');
    const decoded = safeDecode(path.replace(/^\//, ''));
    const slash = decoded.indexOf('/');
    if (slash > 0) {
      out.SourceBucket = [decoded.slice(0, slash)];
      out.SourceKey = [decoded.slice(slash + 1)];
    }
    const version = new URLSearchParams(query).get('versionId');
    if (version) out.SourceVersionId = [version];
  }
  return out;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function sqs(op: Operation): Derived {
  const url = str(op.params, 'QueueUrl');
  if (!url) {
    const name = str(op.params, 'QueueName');
    return name ? { QueueName: [name] } : {};
  }
  const m = /^https?:\/\/([^/]+)\/(\d{12})\/([^/?]+)/.exec(url);
  if (!m) return {};
  const out: Derived = { Account: [m[2] ?? ''], QueueName: [m[3] ?? ''] };
  const host =
    /^sqs\.([a-z0-9-]+)\.amazonaws\.com/.exec(m[1] ?? '') ??
    /^([a-z0-9-]+)\.queue\.amazonaws\.com/.exec(m[1] ?? '');
  if (host?.[1]) out.Region = [host[1]];
  else if (m[1] === 'queue.amazonaws.com') out.Region = ['us-east-1'];
  return out;
}

function lambda(op: Operation): Derived {
  const fn = str(op.params, 'FunctionName');
  if (!fn) return {};
  const out: Derived = {};
  let name = fn;
  let qualifier = str(op.params, 'Qualifier');
  const full = parseArn(fn);
  let rest: string | null = null;
  if (full) {
    out.Region = [full.region];
    out.Account = [full.account];
    rest = full.resource;
  } else {
    const partial = /^(\d{12}):(function:.+)$/.exec(fn);
    if (partial) {
      out.Account = [partial[1] ?? ''];
      rest = partial[2] ?? '';
    }
  }
  if (rest !== null) name = rest.replace(/^function:/, '');
  const colon = name.indexOf(':');
  if (colon > 0) {
    qualifier ??= name.slice(colon + 1);
    name = name.slice(0, colon);
  }
  out.FunctionName = [qualifier ? `${name}:${qualifier}` : name];
  return out;
}

function withPath(params: Record<string, unknown>, name: string, variable: string, out: Derived): void {
  const values = strings(topLevel(params, name));
  if (values.length === 0) return;
  const path = (str(params, 'Path') ?? '/').replace(/^\//, '');
  out[variable] = values.map((v) => `${path}${v}`);
}

function iam(op: Operation): Derived {
  const out: Derived = {};
  withPath(op.params, 'RoleName', 'RoleNameWithPath', out);
  withPath(op.params, 'UserName', 'UserNameWithPath', out);
  withPath(op.params, 'GroupName', 'GroupNameWithPath', out);
  withPath(op.params, 'InstanceProfileName', 'InstanceProfileNameWithPath', out);
  withPath(op.params, 'PolicyName', 'PolicyNameWithPath', out);
  const policyArn = str(op.params, 'PolicyArn');
  if (policyArn && out.PolicyNameWithPath) out.PolicyNameWithPath = null;
  return out;
}

function route53(op: Operation): Derived {
  const out: Derived = {};
  const id = str(op.params, 'Id') ?? str(op.params, 'HostedZoneId');
  if (id) out.Id = [id.replace(/^\/(hostedzone|change|delegationset)\//, '')];
  return out;
}

function secretsmanager(op: Operation): Derived {
  const id = str(op.params, 'SecretId') ?? str(op.params, 'Name');
  if (!id || id.startsWith('arn:')) return {};
  // Secret ARNs end in a hyphen and six random characters.
  return { SecretId: [`${id}-??????`] };
}

function ssm(op: Operation): Derived {
  const names = strings(topLevel(op.params, 'Name')).concat(strings(topLevel(op.params, 'Names')));
  const path = str(op.params, 'Path');
  if (path) names.push(path.replace(/(.)\/$/, '$1'));
  return names.length ? { ParameterNameWithoutLeadingSlash: names.map((n) => n.replace(/^\//, '')) } : {};
}

function kms(op: Operation): Derived {
  const id = str(op.params, 'KeyId') ?? str(op.params, 'TargetKeyId');
  const out: Derived = {};
  const alias = str(op.params, 'AliasName');
  if (alias) out.Alias = [alias.replace(/^alias\//, '')];
  if (!id) return out;
  const arn = parseArn(id);
  const resource = arn ? arn.resource : id;
  if (arn) {
    out.Region = [arn.region];
    out.Account = [arn.account];
  }
  if (resource.startsWith('alias/')) out.Alias = [resource.slice('alias/'.length)];
  else out.KeyId = [resource.replace(/^key\//, '')];
  return out;
}

function ecs(op: Operation): Derived {
  const cluster = str(op.params, 'cluster') ?? str(op.params, 'clusterName');
  const name = cluster ? (parseArn(cluster)?.resource.replace(/^cluster\//, '') ?? cluster) : 'default';
  // Calls without a cluster act on the cluster named `default`.
  const out: Derived = { ClusterName: [name] };
  const services = strings(topLevel(op.params, 'service')).concat(strings(topLevel(op.params, 'services')));
  if (services.length) out.ServiceName = services.map((s) => s.replace(/^arn:.*:service\/(?:[^/]+\/)?/, ''));
  const td = str(op.params, 'taskDefinition');
  if (td) {
    const m = /^(?:arn:[^:]+:ecs:[^:]*:[^:]*:task-definition\/)?([^:/]+)(?::(\d+))?$/.exec(td);
    if (m) {
      out.TaskDefinitionFamilyName = [m[1] ?? ''];
      if (m[2]) out.TaskDefinitionRevisionNumber = [m[2]];
    }
  }
  return out;
}

const DERIVERS: Record<string, (op: Operation) => Derived> = {
  s3,
  sqs,
  lambda,
  iam,
  route53,
  secretsmanager,
  ssm,
  kms,
  ecs,
};

export function derive(prefix: string, op: Operation): Derived {
  return DERIVERS[prefix]?.(op) ?? {};
}
