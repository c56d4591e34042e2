/**
 * `leastpriv.yaml`: the roles `leastpriv refine` keeps in shape. Checked once here, at the
 * boundary; every problem names the role and the key. Pure (the caller reads the file).
 *
 * ```yaml
 * roles:
 *   - name: ci                                  # the IAM role name (the branch is leastpriv/refine-ci)
 *     arn: arn:aws:iam::123456789012:role/ci    # optional: picks its calls out of CloudTrail
 *     policy: infra/ci.tf                       # policy JSON or a Terraform file, in the repository
 *     block: leastpriv                          # Terraform: the leastpriv-owned aws_iam_policy_document
 *     include_other_policies: false             # Terraform: other policies of the file grant too
 *     usage:
 *       calls: [calls/ci.ndjson]                # calls logs, and/or
 *       cloudtrail: logs/                       # CloudTrail logs (a folder or files), and/or
 *       athena:                                 # the trail's table in Amazon Athena, and/or
 *         database: security                    # optional: default, workgroup primary,
 *         table: cloudtrail_logs                #   table cloudtrail_logs, catalog AwsDataCatalog,
 *         output_location: s3://results/lp/     #   results where the workgroup puts them
 *       access_analyzer:                        # IAM Access Analyzer policy generation (needs arn)
 *         trail_arn: arn:aws:cloudtrail:us-east-1:123456789012:trail/main
 *         access_role: arn:aws:iam::123456789012:role/service-role/AccessAnalyzerMonitorServiceRole
 *         regions: [us-east-1]                  # optional: default all regions of the trail
 *       days: 90                                # optional: only calls of the last 90 days
 * ```
 */
import { parse as parseYaml } from 'yaml';
import type { Parsed } from '../input/calls-log.js';
import { ACCESS_ANALYZER_MAX_DAYS, type AccessAnalyzerSpec, TRAIL_ARN } from './access-analyzer.js';

export interface RoleConfig {
  name: string;
  arn: string | null;
  /** Relative to the configuration file's folder. */
  policy: string;
  /** The Terraform block label leastpriv owns. */
  block: string;
  includeOtherPolicies: boolean;
  usage: {
    calls: string[];
    cloudtrail: string[];
    athena: AthenaSpec | null;
    accessAnalyzer: AccessAnalyzerSpec | null;
    days: number | null;
  };
}

/** Where the trail's Athena table is (see `leastpriv trail --athena`). */
export interface AthenaSpec {
  workgroup: string;
  database: string;
  catalog: string;
  table: string;
  outputLocation: string | null;
  /** The table has no account/region/timestamp partitions (not made by --create-table). */
  plainTable: boolean;
}

export interface RefineConfig {
  roles: RoleConfig[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** IAM role names: up to 64 of letters, digits and `+=,.@_-`. */
export const ROLE_NAME = /^[A-Za-z0-9+=,.@_-]{1,64}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/(?:[\x21-\x7e]*\/)?([A-Za-z0-9+=,.@_-]{1,64})$/;
const BLOCK_LABEL = /^[A-Za-z_][A-Za-z0-9_-]*$/;

const ROLE_KEYS = new Set(['name', 'arn', 'policy', 'block', 'include_other_policies', 'usage']);
const USAGE_KEYS = new Set(['calls', 'cloudtrail', 'athena', 'access_analyzer', 'days']);
const ATHENA_KEYS = new Set(['workgroup', 'database', 'catalog', 'table', 'output_location', 'plain_table']);
const ATHENA_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
const ACCESS_ANALYZER_KEYS = new Set(['trail_arn', 'access_role', 'regions']);
const ANY_ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/(?:[\x21-\x7e]*\/)?[A-Za-z0-9+=,.@_-]{1,64}$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d$/;

function accessAnalyzer(v: unknown, where: string): Parsed<AccessAnalyzerSpec | null> {
  if (v === undefined || v === null) return { ok: true, value: null };
  if (!isObj(v)) return { ok: false, error: `${where} must be a mapping with trail_arn and access_role` };
  const extra = unknownKey(v, ACCESS_ANALYZER_KEYS, where);
  if (extra) return { ok: false, error: extra };
  if (typeof v.trail_arn !== 'string' || !TRAIL_ARN.test(v.trail_arn)) {
    return {
      ok: false,
      error: `${where}.trail_arn must be a CloudTrail trail ARN, arn:aws:cloudtrail:REGION:ACCOUNT:trail/NAME`,
    };
  }
  if (typeof v.access_role !== 'string' || !ANY_ROLE_ARN.test(v.access_role)) {
    return {
      ok: false,
      error: `${where}.access_role must be the ARN of the role Access Analyzer assumes to read the trail`,
    };
  }
  const regions = v.regions ?? [];
  const list = Array.isArray(regions) ? regions : [regions];
  if (!list.every((r) => typeof r === 'string' && REGION.test(r))) {
    return { ok: false, error: `${where}.regions must be a region or a list of regions such as us-east-1` };
  }
  return { ok: true, value: { trailArn: v.trail_arn, accessRole: v.access_role, regions: list as string[] } };
}

function athena(v: unknown, where: string): Parsed<AthenaSpec | null> {
  if (v === undefined || v === null || v === false) return { ok: true, value: null };
  if (v !== true && !isObj(v))
    return {
      ok: false,
      error: `${where} must be true or a mapping (workgroup, database, catalog, table, output_location)`,
    };
  const o: Obj = v === true ? {} : v;
  const extra = unknownKey(o, ATHENA_KEYS, where);
  if (extra) return { ok: false, error: extra };
  const names = {
    workgroup: 'primary',
    database: 'default',
    catalog: 'AwsDataCatalog',
    table: 'cloudtrail_logs',
  };
  for (const key of Object.keys(names) as (keyof typeof names)[]) {
    const value = o[key];
    if (value === undefined) continue;
    if (typeof value !== 'string' || !ATHENA_NAME.test(value))
      return { ok: false, error: `${where}.${key} must be a name (letters, digits, _.-)` };
    names[key] = value;
  }
  const location = o.output_location ?? null;
  if (location !== null && (typeof location !== 'string' || !/^s3:\/\/[^/]+/.test(location)))
    return { ok: false, error: `${where}.output_location must be an s3:// URL` };
  const plain = o.plain_table ?? false;
  if (typeof plain !== 'boolean') return { ok: false, error: `${where}.plain_table must be true or false` };
  return { ok: true, value: { ...names, outputLocation: location, plainTable: plain } };
}

function paths(v: unknown, where: string): Parsed<string[]> {
  if (v === undefined || v === null) return { ok: true, value: [] };
  const list = Array.isArray(v) ? v : [v];
  if (!list.every((p) => typeof p === 'string' && p.length > 0)) {
    return { ok: false, error: `${where} must be a path or a list of paths` };
  }
  return { ok: true, value: list as string[] };
}

function unknownKey(v: Obj, known: Set<string>, where: string): string | null {
  const extra = Object.keys(v).find((k) => !known.has(k));
  return extra === undefined ? null : `${where}: unknown key '${extra}' (known: ${[...known].join(', ')})`;
}

function role(v: unknown, where: string): Parsed<RoleConfig> {
  if (!isObj(v)) return { ok: false, error: `${where} must be a mapping with name, policy and usage` };
  const extra = unknownKey(v, ROLE_KEYS, where);
  if (extra) return { ok: false, error: extra };
  if (typeof v.name !== 'string' || !ROLE_NAME.test(v.name)) {
    return { ok: false, error: `${where}.name must be an IAM role name (letters, digits, +=,.@_-)` };
  }
  const at = `${where} (${v.name})`;
  let arn: string | null = null;
  if (v.arn !== undefined && v.arn !== null) {
    const m = typeof v.arn === 'string' ? ROLE_ARN.exec(v.arn) : null;
    if (!m) return { ok: false, error: `${at}.arn must be a role ARN, arn:aws:iam::ACCOUNT:role/NAME` };
    if (m[1] !== v.name) return { ok: false, error: `${at}.arn names the role ${m[1]}, not ${v.name}` };
    arn = v.arn as string;
  }
  if (typeof v.policy !== 'string' || v.policy === '') {
    return { ok: false, error: `${at}.policy must be the path of the role's policy file (JSON or .tf)` };
  }
  const block = v.block ?? 'leastpriv';
  if (typeof block !== 'string' || !BLOCK_LABEL.test(block)) {
    return { ok: false, error: `${at}.block must be a Terraform block label such as leastpriv` };
  }
  const others = v.include_other_policies ?? false;
  if (typeof others !== 'boolean')
    return { ok: false, error: `${at}.include_other_policies must be true or false` };
  if (!isObj(v.usage)) {
    return {
      ok: false,
      error: `${at}.usage must say where the calls are: calls (calls logs), cloudtrail, athena or access_analyzer`,
    };
  }
  const extraUsage = unknownKey(v.usage, USAGE_KEYS, `${at}.usage`);
  if (extraUsage) return { ok: false, error: extraUsage };
  const calls = paths(v.usage.calls, `${at}.usage.calls`);
  if (!calls.ok) return calls;
  const cloudtrail = paths(v.usage.cloudtrail, `${at}.usage.cloudtrail`);
  if (!cloudtrail.ok) return cloudtrail;
  const table = athena(v.usage.athena, `${at}.usage.athena`);
  if (!table.ok) return table;
  const analyzer = accessAnalyzer(v.usage.access_analyzer, `${at}.usage.access_analyzer`);
  if (!analyzer.ok) return analyzer;
  if (calls.value.length + cloudtrail.value.length === 0 && analyzer.value === null && table.value === null) {
    return {
      ok: false,
      error: `${at}.usage names no calls log, no CloudTrail path, no athena table and no access_analyzer`,
    };
  }
  if (analyzer.value && arn === null) {
    return {
      ok: false,
      error: `${at}.usage.access_analyzer needs the role's arn (arn: arn:aws:iam::ACCOUNT:role/${v.name})`,
    };
  }
  const days = v.usage.days ?? null;
  if (days !== null && !(typeof days === 'number' && Number.isInteger(days) && days >= 1)) {
    return { ok: false, error: `${at}.usage.days must be a whole number of days, 1 or more` };
  }
  if (analyzer.value && days !== null && days > ACCESS_ANALYZER_MAX_DAYS) {
    return {
      ok: false,
      error: `${at}.usage.days is ${days}: Access Analyzer policy generation reads at most ${ACCESS_ANALYZER_MAX_DAYS} days of CloudTrail`,
    };
  }
  return {
    ok: true,
    value: {
      name: v.name,
      arn,
      policy: v.policy,
      block,
      includeOtherPolicies: others,
      usage: {
        calls: calls.value,
        cloudtrail: cloudtrail.value,
        athena: table.value,
        accessAnalyzer: analyzer.value,
        days,
      },
    },
  };
}

export function parseRefineConfig(text: string, name: string): Parsed<RefineConfig> {
  let value: unknown;
  try {
    value = parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    return { ok: false, error: `${name}: not valid YAML (${(err as Error).message.split('\n')[0]})` };
  }
  if (!isObj(value) || !Array.isArray(value.roles) || value.roles.length === 0) {
    return { ok: false, error: `${name}: needs a list of roles (roles: - name: ... policy: ... usage: ...)` };
  }
  const extra = unknownKey(value, new Set(['version', 'roles']), name);
  if (extra) return { ok: false, error: extra };
  if (value.version !== undefined && value.version !== 1) {
    return { ok: false, error: `${name}: version ${String(value.version)} is not supported (use 1)` };
  }
  const roles: RoleConfig[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < value.roles.length; i++) {
    const r = role(value.roles[i], `${name}: roles[${i}]`);
    if (!r.ok) return r;
    if (seen.has(r.value.name.toLowerCase())) {
      return { ok: false, error: `${name}: the role ${r.value.name} is listed twice` };
    }
    seen.add(r.value.name.toLowerCase());
    roles.push(r.value);
  }
  return { ok: true, value: { roles } };
}

/** The branch a role's proposals go to. */
export function refineBranch(role: string): string {
  const safe = role
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^\.|\.$|\.lock$/g, '-');
  return `leastpriv/refine-${safe}`;
}
