/**
 * Dependent permissions that follow from what a request sends, driven by the API model's
 * members (see `MemberFacts`) with per-service facts on top:
 * - a role ARN sent to the service needs `iam:PassRole` on that role (with `iam:PassedToService`
 *   where AWS names the principal);
 * - tags sent with a create call need the service's tagging action, where AWS documents it;
 * - an ARN of another service sent to an operation AWS lists that service's actions for needs
 *   them on that resource (WAF AssociateWebACL on a load balancer);
 * - a KMS key sent to the service may need KMS permissions that depend on the key's policy and the
 *   service: noted, never guessed.
 *
 * Where AWS's own operation table covers the service it decides, per operation, whether PassRole
 * and tagging apply; elsewhere the curated service facts do.
 */

import type { MemberFacts } from '../../../catalog/api-index.js';
import type { ActionSpec, ServiceRule } from '../../../catalog/rules.js';
import { resourceTypeOfArn, type SarAction, sarActionByQualifiedName } from '../../../catalog/sar.js';
import { type AuthorizedAction, serviceReferenceCovers } from '../../../catalog/service-reference.js';
import type { Operation } from '../../../model/index.js';
import { present, readPath, type Scope, strings } from './params.js';

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\//;
/**
 * Operations that read or let go of a role rather than hand one over. Checked against AWS's
 * table where it exists: a role ARN sent to any other operation needs PassRole in 103 of 112
 * cases, and `Delete`/`Remove` calls that send one (RDS RemoveRoleFromDBInstance, CloudFormation
 * DeleteStack with a service role) need it too.
 */
const RELEASES = /^(Disassociate|Detach|Deregister|Describe|Get|List|Untag|Cancel|Stop|Revoke|Reject)/;

export interface DependentInput {
  op: Operation;
  prefix: string;
  facts: MemberFacts | null;
  /** AWS's table for this operation, or null when it does not list it. */
  table: readonly AuthorizedAction[] | null;
  service: ServiceRule | null;
  /** The actions the call needs so far (curated and primary). */
  have: ReadonlySet<string>;
  /** The primary action (its access level decides whether tags mean tag-on-create). */
  primary: SarAction | null;
}

export interface Dependent {
  specs: { spec: ActionSpec; scope: Scope }[];
  /** What the call may also need that the request does not show. */
  notes: string[];
}

/** Splits `Targets[].RoleArn` into an `each` list path and the element path. */
function scopesOf(op: Operation, path: string): { scope: Scope; at: string }[] {
  const i = path.indexOf('[].');
  const root: Scope = { params: op.params };
  if (i < 0) return [{ scope: root, at: path }];
  const list = readPath(root, path.slice(0, i));
  if (!Array.isArray(list)) return [];
  return list.map((element) => ({ scope: { params: op.params, element }, at: `@.${path.slice(i + 3)}` }));
}

function passRole(input: DependentInput, out: Dependent): void {
  if (input.have.has('iam:PassRole')) return;
  const covered = serviceReferenceCovers(input.prefix);
  const listed = input.table?.find((a) => a.action === 'iam:PassRole');
  if (covered && input.table && !listed) return;
  if (!covered && RELEASES.test(input.op.operation)) return;
  const paths = [...(input.facts?.r ?? [])];
  // IAM's own operations name the role by name (AddRoleToInstanceProfile)
  if (listed && input.prefix === 'iam') paths.push('RoleName');
  for (const path of paths) {
    for (const { scope, at } of scopesOf(input.op, path)) {
      const values = strings(readPath(scope, at));
      const roles = at === 'RoleName' ? values : values.filter((v) => ROLE_ARN.test(v));
      if (!roles.length) continue;
      const member = path.split(/\.|\[\]\./).pop() ?? path;
      const principals =
        listed?.context?.['iam:PassedToService'] ??
        input.service?.passedToService?.[member] ??
        input.service?.passedToService?.['*'];
      const spec: ActionSpec = {
        action: 'iam:PassRole',
        bind: { RoleNameWithPath: at },
        why: `role in ${path.replace('[]', '')} passed to the service`,
      };
      if (at !== 'RoleName') spec.arn = at;
      if (principals?.length) spec.conditions = { StringEquals: { 'iam:PassedToService': [...principals] } };
      out.specs.push({ spec, scope });
    }
  }
}

function isTagging(action: string): boolean {
  const a = sarActionByQualifiedName(action);
  return a?.access === 'Tagging' && !/^(Untag|Remove|Delete|List|Get)/.test(a.name);
}

function tagOnCreate(input: DependentInput, out: Dependent): void {
  if (!input.facts?.t || input.primary?.access === 'Tagging') return;
  const covered = serviceReferenceCovers(input.prefix);
  const actions = covered
    ? (input.table ?? []).filter((a) => a.action.startsWith(`${input.prefix}:`) && isTagging(a.action))
    : input.service?.tagOnCreate
      ? [{ action: input.service.tagOnCreate }]
      : [];
  if (!actions.length) return;
  const sent = input.facts.t.some((path) =>
    scopesOf(input.op, path).some(({ scope, at }) => present(readPath(scope, at))),
  );
  if (!sent) return;
  for (const { action } of actions) {
    if (input.have.has(action)) continue;
    out.specs.push({
      spec: { action, why: 'tags sent with the request' },
      scope: { params: input.op.params },
    });
  }
}

/**
 * Actions of another service that AWS's table lists for the operation, needed on the resource of
 * that service the request names: associating a WAF web ACL with a load balancer needs
 * `elasticloadbalancing:SetWebAcl` on it. Added only for a service whose ARN the request sends.
 */
function otherServices(input: DependentInput, out: Dependent): void {
  for (const { action } of input.table ?? []) {
    const service = action.slice(0, action.indexOf(':'));
    if (service === input.prefix || service === 'iam' || service === 'kms' || input.have.has(action))
      continue;
    // an action that takes resources only on an ARN of a type it has; one with none, on `*`
    const sar = sarActionByQualifiedName(action);
    if (!sar) continue;
    const fits = (arn: string) => sar.resourceTypes.length === 0 || resourceTypeOfArn(sar, arn) !== null;
    for (const [member, value] of Object.entries(input.op.params)) {
      const arns = strings(value).filter((v) => v.startsWith('arn:') && v.split(':')[2] === service);
      if (!arns.some(fits)) continue;
      out.specs.push({
        spec: { action, arn: member, why: `${member} is a ${service} resource` },
        scope: { params: input.op.params },
      });
    }
  }
}

function kmsNote(input: DependentInput, out: Dependent): void {
  if (input.prefix === 'kms' || [...input.have].some((a) => a.startsWith('kms:'))) return;
  for (const path of input.facts?.k ?? []) {
    for (const { scope, at } of scopesOf(input.op, path)) {
      const keys = strings(readPath(scope, at));
      if (!keys.length) continue;
      out.notes.push(
        `may also need KMS permissions (such as kms:GenerateDataKey, kms:Decrypt or kms:CreateGrant) on ${keys.join(', ')} through ${input.prefix}: the service's documentation says which`,
      );
    }
  }
}

/** The dependent permissions and notes for one call. */
export function dependents(input: DependentInput): Dependent {
  const out: Dependent = { specs: [], notes: [] };
  passRole(input, out);
  tagOnCreate(input, out);
  otherServices(input, out);
  kmsNote(input, out);
  return out;
}
