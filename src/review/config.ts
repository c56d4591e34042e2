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
 *       cloudtrail: logs/                       # CloudTrail logs (a folder or files)
 *       days: 90                                # optional: only calls of the last 90 days
 * ```
 */
import { parse as parseYaml } from 'yaml';
import type { Parsed } from '../input/calls-log.js';

export interface RoleConfig {
  name: string;
  arn: string | null;
  /** Relative to the configuration file's folder. */
  policy: string;
  /** The Terraform block label leastpriv owns. */
  block: string;
  includeOtherPolicies: boolean;
  usage: { calls: string[]; cloudtrail: string[]; days: number | null };
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
const USAGE_KEYS = new Set(['calls', 'cloudtrail', 'days']);

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
    return { ok: false, error: `${at}.usage must say where the calls are: calls (calls logs) or cloudtrail` };
  }
  const extraUsage = unknownKey(v.usage, USAGE_KEYS, `${at}.usage`);
  if (extraUsage) return { ok: false, error: extraUsage };
  const calls = paths(v.usage.calls, `${at}.usage.calls`);
  if (!calls.ok) return calls;
  const cloudtrail = paths(v.usage.cloudtrail, `${at}.usage.cloudtrail`);
  if (!cloudtrail.ok) return cloudtrail;
  if (calls.value.length + cloudtrail.value.length === 0) {
    return { ok: false, error: `${at}.usage names no calls log and no CloudTrail path` };
  }
  const days = v.usage.days ?? null;
  if (days !== null && !(typeof days === 'number' && Number.isInteger(days) && days >= 1)) {
    return { ok: false, error: `${at}.usage.days must be a whole number of days, 1 or more` };
  }
  return {
    ok: true,
    value: {
      name: v.name,
      arn,
      policy: v.policy,
      block,
      includeOtherPolicies: others,
      usage: { calls: calls.value, cloudtrail: cloudtrail.value, days },
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
