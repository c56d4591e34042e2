/**
 * What the review loop writes for people: the commit message and merge-request text of a
 * `refine` proposal, and the summaries `refine` and `prune` print (and append to
 * `$GITHUB_STEP_SUMMARY`). Pure and deterministic: no clock, no paths of the machine.
 */
import { code } from '../output/markdown.js';
import type { Unused } from '../policy/evaluate/diff.js';
import { jobOfLabel } from './access-analyzer.js';
import type { Kept, PolicyPlan, Removal } from './plan.js';

const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;

/** Control characters shown as escapes: a recorded value never breaks the Markdown. */
const visible = (s: string) =>
  s.replace(/\p{Cc}/gu, (c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`);
const c = (s: string) => code(visible(s));

export interface UsageSummary {
  /** What was read: `calls/ci.ndjson`, `CloudTrail logs/ (role ci)`. */
  sources: string[];
  calls: number;
  first: string | null;
  last: string | null;
  /** `--days` / `usage.days`. */
  days: number | null;
  /** IAM Access Analyzer policy generation, when it was a source (it has no calls, only actions). */
  accessAnalyzer?: AccessAnalyzerSummary | null;
}

export interface AccessAnalyzerSummary {
  jobId: string;
  /** Distinct actions of the generated policies. */
  actions: number;
  trails: string[];
  start: string | null;
  end: string | null;
  /** `properties.isComplete`. */
  complete: boolean | null;
}

export function usageLine(u: UsageSummary): string {
  const range = u.first && u.last ? `, ${u.first} to ${u.last}` : '';
  const window = u.days ? ` (the last ${plural(u.days, 'day')})` : '';
  const a = u.accessAnalyzer;
  const lines: string[] = [];
  if (!a || u.sources.length > 0) {
    lines.push(`Usage: ${plural(u.calls, 'call')} from ${u.sources.map(c).join(', ')}${range}${window}.`);
  }
  if (a) {
    const trail = a.trails.length ? `, trail ${a.trails.map(c).join(', ')}` : '';
    const span = a.start && a.end ? `, ${a.start} to ${a.end}` : '';
    lines.push(
      `Usage: ${plural(a.actions, 'action')} from Access Analyzer policy generation, job ID ${c(a.jobId)}${trail}${span}${window}. Policy generation names actions, not calls: it carries no call details.`,
    );
    if (a.complete === false) {
      lines.push(
        'Access Analyzer marks the generated policy incomplete (`isComplete: false`): it may lack actions the role used.',
      );
    }
  }
  return lines.join('\n');
}

/** Who needed a permission: a call (`service:Operation`), or an Access Analyzer job. */
function neededBy(label: string): string {
  const job = jobOfLabel(label);
  return job === null ? c(label) : `Access Analyzer policy generation, job ID ${c(job)}`;
}

function unusedCell(u: Unused | Removal): string {
  if (u.kind === 'statement') {
    return u.actions?.length ? `the whole statement: ${u.actions.map(c).join(', ')}` : 'the whole statement';
  }
  return `${u.kind === 'action' ? 'Action' : 'Resource'} ${c(u.entry ?? '')}`;
}

/** The sections shared by `refine` and `prune`: added, removed, kept, unused candidates. */
export function planSections(plan: PolicyPlan, options: { pruneHint: string; level: string }): string[] {
  const h = options.level;
  const out: string[] = [];
  if (plan.added.length) {
    out.push(
      '',
      `${h} Added (${plan.added.length})`,
      '',
      '| Action | Resources | Needed by |',
      '| --- | --- | --- |',
    );
    for (const a of plan.added) {
      out.push(
        `| ${c(a.action)} | ${a.resources.map(c).join('<br>')} | ${a.calls.map(neededBy).join(', ')} |`,
      );
    }
  }
  if (plan.removed.length) {
    out.push('', `${h} Removed (${plan.removed.length})`, '', '| Statement | Unused |', '| --- | --- |');
    for (const r of plan.removed) out.push(`| ${c(r.statement)} | ${unusedCell(r)} |`);
  }
  if (plan.kept.length) {
    out.push(
      '',
      `${h} Kept (${plan.kept.length})`,
      '',
      '| Statement | Unused | Why it stays |',
      '| --- | --- | --- |',
    );
    for (const k of plan.kept) out.push(`| ${c(k.statement)} | ${keptCell(k)} | ${visible(k.reason)} |`);
  }
  const candidates = plan.removed.length || plan.kept.length ? [] : plan.unused;
  if (candidates.length) {
    out.push(
      '',
      `${h} Unused candidates (${candidates.length})`,
      '',
      `Granted and used by no recorded call. Nothing is removed: ${options.pruneHint}.`,
      '',
      '| Statement | Unused |',
      '| --- | --- |',
    );
    for (const u of candidates) out.push(`| ${c(u.statement)} | ${unusedCell(u)} |`);
  }
  if (plan.notes.length) {
    out.push('', `${h} Notes`, '');
    for (const n of plan.notes) out.push(`- ${visible(n)}`);
  }
  return out;
}

function keptCell(k: Kept): string {
  return k.kind === 'statement'
    ? 'the whole statement'
    : `${k.kind === 'action' ? 'Action' : 'Resource'} ${c(k.entry ?? '')}`;
}

export interface RefineTarget {
  role: string;
  /** The policy file, relative to the repository root. */
  path: string;
  /** The Terraform block leastpriv owns, or null for a JSON policy file. */
  block: string | null;
  usage: UsageSummary;
}

/** The first line of the commit and the merge request's title. */
export function refineTitle(t: RefineTarget, plan: PolicyPlan): string {
  const parts: string[] = [];
  if (plan.added.length) parts.push(`add ${plural(plan.added.length, 'permission')}`);
  if (plan.removed.length)
    parts.push(`remove ${plural(plan.removed.length, 'unused entry').replace('entrys', 'entries')}`);
  return `leastpriv: refine ${t.role}: ${parts.join(', ') || 'no change'}`;
}

/** The Markdown body of the commit (and of the pull request). */
export function refineBody(t: RefineTarget, plan: PolicyPlan): string {
  const where = t.block ? `${c(t.path)}, block ${c(`data.aws_iam_policy_document.${t.block}`)}` : c(t.path);
  const out = [
    `## Role ${c(t.role)}`,
    '',
    `Policy: ${where}.`,
    usageLine(t.usage),
    `${plural(plan.checked, 'permission')} checked: ${plan.added.length} missing, ${plan.unused.length} unused.`,
    ...planSections(plan, { pruneHint: 'run `leastpriv refine --prune` to remove them', level: '###' }),
  ];
  out.push('', 'Written by `leastpriv refine`: review the changes before merging.');
  return `${out.join('\n')}\n`;
}

export function commitMessage(t: RefineTarget, plan: PolicyPlan): string {
  return `${refineTitle(t, plan)}\n\n${refineBody(t, plan)}`;
}

/**
 * The merge request's description as a push option: one line (git refuses a push option with a
 * line feed); the full Markdown is the commit message.
 */
export function oneLineDescription(t: RefineTarget, plan: PolicyPlan): string {
  const parts = [
    `${plural(plan.added.length, 'permission')} added`,
    `${plural(plan.removed.length, 'unused entry')} removed`.replace('entrys', 'entries'),
    `${plural(plan.unused.length, 'unused candidate')}`,
  ];
  return visible(
    `leastpriv refine for role ${t.role} on ${t.path}: ${parts.join(', ')} (${plan.calls} calls checked). The commit message lists each permission with the calls behind it.`,
  ).replace(/\n/g, ' ');
}
