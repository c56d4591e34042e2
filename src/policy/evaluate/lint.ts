/**
 * Lint: the mistakes a reviewer would catch in an identity policy. Unknown actions, resources
 * that fit none of an action's resource types, "*" where the action supports resource-level
 * permissions, NotAction/NotResource pitfalls, bad Sids and operators, and size over the limits.
 */
import {
  type SarAction,
  sarActionByQualifiedName,
  sarPrefixExists,
  sarResourceType,
  sarService,
} from '../../catalog/sar.js';
import type { PolicyDocument, Statement } from '../../model/index.js';
import { MANAGED_POLICY_LIMIT, policySize } from '../index.js';
import { parseOperator } from './conditions.js';
import { statementLabel } from './diff.js';
import { actionMatches, asList, asStatements } from './index.js';
import { arnFields } from './wildcard.js';

export const LINT_RULES = {
  'unknown-action': 'the action is not in the Service Authorization Reference',
  'resource-type-mismatch': "the resource fits none of the action's resource types",
  'no-resource-level': 'the action supports no resource-level permissions: only "*" grants it',
  'star-resource': '"*" where the action supports resource-level permissions',
  'star-action': 'an action wildcard on every resource',
  'star-account': '"*" in the account field of a resource ARN: the resource in every account',
  'not-action': 'Allow with NotAction grants every other action, including future ones',
  'not-resource': 'NotResource grants or denies every other resource',
  'unknown-operator': 'the condition operator does not exist',
  'bad-sid': 'Sids hold only letters and digits and are unique',
  'old-version': 'without Version 2012-10-17, policy variables are plain text',
  size: 'the policy is over the managed policy size limit',
} as const;
export type LintRule = keyof typeof LINT_RULES;

export interface LintFinding {
  rule: LintRule;
  severity: 'error' | 'warning';
  /** Document and statement label (`#1`, `S3Read`), or the document for size. */
  where: string;
  message: string;
}

/** The actions of the reference an entry names (one for an exact action). */
function expand(entry: string): SarAction[] {
  const i = entry.indexOf(':');
  if (i <= 0) return [];
  const service = sarService(entry.slice(0, i).toLowerCase());
  if (!service) return [];
  if (!/[*?]/.test(entry)) {
    const a = sarActionByQualifiedName(entry.toLowerCase().slice(0, i) + entry.slice(i));
    return a ? [a] : [];
  }
  return [...service.actions.values()].filter((a) => actionMatches(entry, `${a.prefix}:${a.name}`));
}

/** A policy ARN with its `${...}` variables read as `*`. */
const withoutVariables = (arn: string) => arn.replace(/\$\{[^}]*\}/g, '*');

/** Stands for a name that cannot hold `/` in an ARN format. */
const NAME = '\u0001';
/** Format variables whose values never hold `/` (S3 bucket names, table, queue, topic, function names). */
const NO_SLASH = new Set(['BucketName', 'TableName', 'QueueName', 'TopicName', 'FunctionName']);

/** An ARN format as a pattern: variables become `*`, or NAME for names without `/`. */
const formatPattern = (format: string) =>
  format.replace(/\$\{([^}]*)\}/g, (_m, v: string) => (NO_SLASH.has(v) ? NAME : '*'));

/**
 * Whether two wildcard patterns (`*` any text, `?` one character) can match a common string:
 * `log-group:app:*` and the log-stream format `log-group:*:log-stream:*` can.
 */
export function patternsOverlap(a: string, b: string): boolean {
  const seen = new Set<number>();
  const stack: [number, number][] = [[0, 0]];
  while (stack.length) {
    const [i, j] = stack.pop() as [number, number];
    const key = i * (b.length + 1) + j;
    if (seen.has(key)) continue;
    seen.add(key);
    if (i === a.length && j === b.length) return true;
    const x = a[i];
    const y = b[j];
    if (x === '*') {
      stack.push([i + 1, j]);
      if (j < b.length) stack.push([i, j + 1]);
    }
    if (y === '*' || y === NAME) {
      stack.push([i, j + 1]);
      if (i < a.length && (y === '*' || a[i] !== '/')) stack.push([i + 1, j]);
    }
    const wild = (c: string) => c === '*' || c === NAME;
    if (x !== undefined && y !== undefined && !wild(x) && !wild(y) && (x === y || x === '?' || y === '?')) {
      stack.push([i + 1, j + 1]);
    }
  }
  return false;
}

/** Whether a policy ARN can name a resource of one of the action's resource types. */
function fitsAction(action: SarAction, arn: string): boolean {
  const fields = arnFields(arn);
  if (!fields) return false;
  return action.resourceTypes.some((ref) =>
    (sarResourceType(action.prefix, ref.name)?.arns ?? []).some((f) => {
      // Field by field, as ARNs are matched: a wildcard never spans the header's colons.
      const format = arnFields(formatPattern(f));
      return !!format && format.every((part, i) => patternsOverlap(fields[i] ?? '', part));
    }),
  );
}

function lintActions(st: Statement, where: string, out: LintFinding[]): void {
  const known: [string, SarAction[]][] = [];
  for (const entry of [...asList(st.Action), ...asList(st.NotAction)]) {
    if (entry === '*') continue;
    const i = entry.indexOf(':');
    if (i <= 0 || !sarPrefixExists(entry.slice(0, i).toLowerCase())) {
      out.push({
        rule: 'unknown-action',
        severity: 'error',
        where,
        message: `${entry}: no such service prefix`,
      });
      continue;
    }
    const actions = expand(entry);
    if (actions.length === 0) {
      out.push({ rule: 'unknown-action', severity: 'error', where, message: `${entry} matches no action` });
    } else if (st.Action !== undefined) known.push([entry, actions]);
  }
  const resources = asList(st.Resource);
  if (st.Resource === undefined || resources.includes('*') || known.length === 0) return;
  const arns = resources.filter((r) => r.startsWith('arn:')).map((r) => [r, withoutVariables(r)] as const);
  if (arns.length === 0) return;
  const fit = (actions: SarAction[], arn: string) => actions.some((a) => fitsAction(a, arn));
  // Each action must be granted on at least one resource of its own types...
  for (const [entry, actions] of known) {
    if (arns.some(([, arn]) => fit(actions, arn))) continue;
    const shown = arns.map(([r]) => r).join(', ');
    if (actions.every((a) => a.resourceTypes.length === 0)) {
      out.push({
        rule: 'no-resource-level',
        severity: 'error',
        where,
        message: `${entry} supports no resource-level permissions: ${shown} never grants it; use "*"`,
      });
    } else {
      const types = [...new Set(actions.flatMap((a) => a.resourceTypes.map((t) => t.name)))].slice(0, 6);
      out.push({
        rule: 'resource-type-mismatch',
        severity: 'error',
        where,
        message: `${entry} needs a resource of type ${types.join(' or ')}, and ${shown} is not one`,
      });
    }
  }
  // ...and each resource must be of use to at least one action.
  if (known.length < 2) return;
  for (const [r, arn] of arns) {
    if (known.some(([, actions]) => fit(actions, arn))) continue;
    out.push({
      rule: 'resource-type-mismatch',
      severity: 'error',
      where,
      message: `${r} fits the resource types of none of the statement's actions`,
    });
  }
}

function lintStar(st: Statement, where: string, out: LintFinding[]): void {
  if (st.Effect !== 'Allow' || !asList(st.Resource).includes('*')) return;
  const exact: string[] = [];
  for (const entry of asList(st.Action)) {
    if (/[*?]/.test(entry)) {
      out.push({
        rule: 'star-action',
        severity: 'warning',
        where,
        message: `${entry} on every resource ("*")`,
      });
      continue;
    }
    const a = sarActionByQualifiedName(entry);
    if (a && a.resourceTypes.length > 0)
      exact.push(`${entry} (${a.resourceTypes.map((t) => t.name).join(', ')})`);
  }
  if (exact.length) {
    out.push({
      rule: 'star-resource',
      severity: 'warning',
      where,
      message: `"*" for actions that can be limited to resources: ${exact.join(', ')}`,
    });
  }
}

/** A resource ARN with a wildcard for its account: usually an account that was not known. */
function lintAccount(st: Statement, where: string, out: LintFinding[]): void {
  if (st.Effect !== 'Allow') return;
  for (const r of asList(st.Resource)) {
    // Variables (`${aws:PrincipalAccount}`) hold colons and are not wildcards.
    const account = r.startsWith('arn:') ? r.replace(/\$\{[^}]*\}/g, 'V').split(':')[4] : undefined;
    if (account === undefined || !/[*?]/.test(account)) continue;
    out.push({
      rule: 'star-account',
      severity: 'warning',
      where,
      message: `${r} has "${account}" for the account: it matches that resource in every account; put the account id there (leastpriv generate --account-id ID)`,
    });
  }
}

function lintNot(st: Statement, where: string, out: LintFinding[]): void {
  if (st.NotAction !== undefined && st.Effect === 'Allow') {
    out.push({
      rule: 'not-action',
      severity: 'warning',
      where,
      message: `Allow with NotAction ${asList(st.NotAction).join(', ')} grants every other action of every service${
        asList(st.Resource).includes('*') ? ' on every resource' : ''
      }: list the actions instead`,
    });
  }
  if (st.NotResource !== undefined) {
    out.push({
      rule: 'not-resource',
      severity: 'warning',
      where,
      message:
        st.Effect === 'Allow'
          ? `Allow with NotResource grants the actions on every other resource, in every account: list the resources instead`
          : `Deny with NotResource also denies actions without resource-level permissions (their resource is "*")`,
    });
  }
}

function lintConditions(st: Statement, where: string, out: LintFinding[]): void {
  for (const op of Object.keys(st.Condition ?? {})) {
    if (!parseOperator(op)) {
      out.push({
        rule: 'unknown-operator',
        severity: 'error',
        where,
        message: `${op} is not a condition operator`,
      });
    }
  }
}

export function lintPolicy(
  documents: readonly PolicyDocument[],
  labels: readonly string[] = [],
): LintFinding[] {
  const out: LintFinding[] = [];
  documents.forEach((doc, d) => {
    const name = labels[d] ?? `document ${d + 1}`;
    const sids = new Set<string>();
    const variables = String(doc.Version) === '2012-10-17';
    asStatements(doc.Statement).forEach((st, s) => {
      const where = `${name} ${statementLabel(st, 0, s)}`;
      if (st.Sid !== undefined) {
        if (!/^[A-Za-z0-9]*$/.test(st.Sid)) {
          out.push({
            rule: 'bad-sid',
            severity: 'error',
            where,
            message: `Sid '${st.Sid}' has characters other than letters and digits`,
          });
        }
        if (sids.has(st.Sid))
          out.push({ rule: 'bad-sid', severity: 'error', where, message: `Sid '${st.Sid}' is used twice` });
        sids.add(st.Sid);
      }
      if (!variables && JSON.stringify(st).includes('${')) {
        out.push({
          rule: 'old-version',
          severity: 'warning',
          where,
          message: `the document's Version is not 2012-10-17: \${...} is matched literally`,
        });
      }
      lintActions(st, where, out);
      lintStar(st, where, out);
      lintAccount(st, where, out);
      lintNot(st, where, out);
      lintConditions(st, where, out);
    });
    const size = policySize(doc);
    if (size > MANAGED_POLICY_LIMIT) {
      out.push({
        rule: 'size',
        severity: 'error',
        where: name,
        message: `${size} characters without whitespace: over the ${MANAGED_POLICY_LIMIT} of a managed policy (split it, or use wildcards)`,
      });
    }
  });
  return out;
}
