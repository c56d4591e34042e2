/**
 * `leastpriv prune`'s pure part: per policy of a live role, the pruned document and what to do
 * with it; the rollback file's shape; the Markdown summary.
 */
import type { Parsed } from '../input/calls-log.js';
import { policyDocument } from '../input/policy-json.js';
import type { CallRecord, PolicyDocument } from '../model/index.js';
import { planSections, type UsageSummary, usageLine } from './markdown.js';
import { type PolicyPlan, planPolicy } from './plan.js';

/** One customer policy of a role, as IAM holds it. */
export interface RolePolicy {
  kind: 'inline' | 'managed';
  /** The inline policy's name, or the managed policy's name. */
  name: string;
  /** Managed: the policy ARN and its default version. */
  arn: string | null;
  versionId: string | null;
  document: PolicyDocument;
}

export type PruneStep = 'none' | 'new-version' | 'put-inline' | 'delete-inline' | 'skip';

export interface PolicyPrune {
  policy: RolePolicy;
  plan: PolicyPlan;
  step: PruneStep;
  /** Why a policy with unused entries is left as it is. */
  note: string | null;
}

export function planPrune(
  policies: readonly RolePolicy[],
  records: readonly CallRecord[],
  options: { passRole: boolean; keepAction?: (entry: string) => string | null },
): PolicyPrune[] {
  return policies.map((policy) => {
    const plan = planPolicy(policy.document, records, {
      prune: true,
      add: false,
      passRole: options.passRole,
      ...(options.keepAction ? { keepAction: options.keepAction } : {}),
    });
    if (!plan.changed) return { policy, plan, step: 'none', note: null };
    const empty = plan.document.Statement.length === 0;
    if (policy.kind === 'inline')
      return { policy, plan, step: empty ? 'delete-inline' : 'put-inline', note: null };
    if (empty) {
      return {
        policy,
        plan,
        step: 'skip',
        note: 'every statement went unused: a managed policy cannot be empty; detach it from the role instead',
      };
    }
    return { policy, plan, step: 'new-version', note: null };
  });
}

/** A document as IAM is given it: compact JSON, keys in the order leastpriv writes them. */
export function documentText(doc: PolicyDocument): string {
  return JSON.stringify(doc);
}

/** Whether two documents say the same thing, key order aside. */
export function sameDocument(a: PolicyDocument, b: PolicyDocument): boolean {
  return canonical(a) === canonical(b);
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

// ---------------------------------------------------------------------------------------------
// Rollback files: $LEASTPRIV_HOME/rollback/<role>/<timestamp>.json

export interface SavedPolicy {
  kind: 'inline' | 'managed';
  name: string;
  arn: string | null;
  versionId: string | null;
  document: PolicyDocument;
}

export interface RollbackFile {
  format: 'leastpriv-rollback/1';
  role: string;
  roleArn: string;
  savedAt: string;
  /** What was about to happen: `prune --apply`, `rollback 2`. */
  before: string;
  policies: SavedPolicy[];
}

/** The file name of a rollback point: the time, safe on every file system, sorting in order. */
export function rollbackName(now: Date): string {
  return `${now.toISOString().replace(/:/g, '-')}.json`;
}

export function parseRollback(text: string, name: string): Parsed<RollbackFile> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { ok: false, error: `${name}: not JSON; a rollback file is written by 'leastpriv prune --apply'` };
  }
  const o = v as Record<string, unknown>;
  if (!o || typeof o !== 'object' || o.format !== 'leastpriv-rollback/1' || !Array.isArray(o.policies)) {
    return { ok: false, error: `${name}: not a leastpriv rollback file` };
  }
  for (const f of ['role', 'roleArn', 'savedAt', 'before'] as const) {
    if (typeof o[f] !== 'string') return { ok: false, error: `${name}: ${f} must be a string` };
  }
  const policies: SavedPolicy[] = [];
  for (const [i, p] of (o.policies as unknown[]).entries()) {
    const q = p as Record<string, unknown>;
    const where = `${name}: policies[${i}]`;
    if (
      !q ||
      typeof q !== 'object' ||
      (q.kind !== 'inline' && q.kind !== 'managed') ||
      typeof q.name !== 'string'
    ) {
      return { ok: false, error: `${where} must have kind (inline or managed) and name` };
    }
    if (q.kind === 'managed' && typeof q.arn !== 'string')
      return { ok: false, error: `${where}: a managed policy needs its arn` };
    const doc = policyDocument(q.document, `${where}.document`);
    if (!doc.ok) return doc;
    policies.push({
      kind: q.kind,
      name: q.name,
      arn: typeof q.arn === 'string' ? q.arn : null,
      versionId: typeof q.versionId === 'string' ? q.versionId : null,
      document: doc.value,
    });
  }
  return {
    ok: true,
    value: {
      format: 'leastpriv-rollback/1',
      role: o.role as string,
      roleArn: o.roleArn as string,
      savedAt: o.savedAt as string,
      before: o.before as string,
      policies,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The summary

export interface PruneSummary {
  role: string;
  days: number;
  usage: UsageSummary;
  prunes: PolicyPrune[];
  /** AWS managed policies attached to the role: not leastpriv's to change. */
  awsManaged: string[];
  /** Whether the changes were written (`--apply`). */
  applied: boolean;
  /** The rollback file written before applying. */
  rollback: string | null;
  /** Access Advisor: used, or why not. */
  lastAccessed: string;
}

const STEP_TEXT: Record<PruneStep, string> = {
  none: 'nothing unused',
  'new-version': 'a new default version',
  'put-inline': 'the inline policy rewritten',
  'delete-inline': 'the inline policy deleted (every statement went unused)',
  skip: 'left as it is',
};

export function policyTitle(p: RolePolicy): string {
  return p.kind === 'inline' ? `inline policy ${p.name}` : `managed policy ${p.name} (${p.versionId ?? '?'})`;
}

export function renderPruneSummary(s: PruneSummary): string {
  const changing = s.prunes.filter((p) => p.step !== 'none' && p.step !== 'skip');
  const out = [
    `## leastpriv prune: role \`${s.role}\``,
    '',
    usageLine(s.usage),
    `Last-accessed data: ${s.lastAccessed}.`,
    '',
    changing.length === 0
      ? 'Nothing to prune.'
      : s.applied
        ? `Applied to ${changing.length} ${changing.length === 1 ? 'policy' : 'policies'}; the previous documents are saved in \`${s.rollback}\` (\`leastpriv prune ${s.role} --rollback\` lists the saved versions).`
        : `Proposed for ${changing.length} ${changing.length === 1 ? 'policy' : 'policies'}; nothing was changed: run again with \`--apply\` to write it.`,
  ];
  for (const p of s.prunes) {
    out.push(
      '',
      `### ${policyTitle(p.policy)}: ${s.applied || p.step === 'none' || p.step === 'skip' ? STEP_TEXT[p.step] : `proposed: ${STEP_TEXT[p.step]}`}`,
    );
    if (p.note) out.push('', p.note);
    out.push(...planSections(p.plan, { pruneHint: 'nothing to remove', level: '####' }));
    if (p.step !== 'none' && p.step !== 'skip' && p.step !== 'delete-inline') {
      out.push('', '```json', JSON.stringify(p.plan.document, null, 2), '```');
    }
  }
  if (s.awsManaged.length) {
    out.push(
      '',
      `AWS managed policies (not changed by leastpriv): ${s.awsManaged.map((a) => `\`${a}\``).join(', ')}.`,
    );
  }
  return `${out.join('\n')}\n`;
}
