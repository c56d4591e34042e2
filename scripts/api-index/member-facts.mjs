/**
 * Which input members of an operation carry what dependent permissions depend on: IAM roles
 * passed to the service (`iam:PassRole`), tags sent at creation (the service's tagging action),
 * and KMS keys (use of the key through the service). Read from the API models' member names
 * and shapes, two levels deep (`Targets[].RoleArn`, `pipeline.roleArn`).
 *
 * Output per operation, keys omitted when empty: `{ r: [paths], t: [paths], k: [paths] }`.
 * A path is dotted; `[]` marks the elements of a list (`Targets[].RoleArn`).
 */
import { v3Resolve } from './xml-shapes.mjs';

/** A role ARN member: `RoleArn`, `executionRole`, `serviceRoleOverride`, `IamRoles`... */
const ROLE = /(^|[a-z])(role|Role|ROLE)(Arn|ARN|s|Arns|Override)?$/;
/** Members that name a role without being one (`RoleSessionName` ends otherwise already). */
const NOT_ROLE = /(^|[a-z])(User|Principal|Target|Member|Db|DB)Role$/;
/** A tag set sent with the request. */
const TAGS = /^(tags|tagList|tagSpecifications|resourceTags)$/i;
/** A KMS key named by the request. */
const KMS = /(kms.*(key|keyid|keyarn|arn|keyidentifier)|encryptionkey(arn|id|override)?|kmskey)$/i;

function classify(name, kind, out, path, depth) {
  if (kind.type === 'string' || (kind.type === 'list' && kind.of?.type === 'string')) {
    if (ROLE.test(name) && !NOT_ROLE.test(name)) out.r.add(path);
    else if (KMS.test(name)) out.k.add(path);
    return;
  }
  if (TAGS.test(name) && (kind.type === 'list' || kind.type === 'map')) {
    // tags of the resource being created are top-level; nested ones tag something else
    // (the ECS tasks an EventBridge target starts)
    if (depth === 0) out.t.add(path);
    return;
  }
  if (depth >= 2) return;
  if (kind.type === 'structure') {
    for (const [n, k] of kind.members()) classify(n, k, out, `${path}.${n}`, depth + 1);
  } else if (kind.type === 'list' && kind.of?.type === 'structure') {
    for (const [n, k] of kind.of.members()) classify(n, k, out, `${path}[].${n}`, depth + 1);
  }
}

function facts(members) {
  const out = { r: new Set(), t: new Set(), k: new Set() };
  for (const [name, kind] of members) classify(name, kind, out, name, 0);
  const result = {};
  for (const key of ['r', 't', 'k']) if (out[key].size) result[key] = [...out[key]].sort();
  return Object.keys(result).length ? result : undefined;
}

// ---------------------------------------------------------------- v2 models

function v2Kind(model, ref, seen = 0) {
  let s = ref;
  for (let i = 0; i < 20 && s?.shape; i++) s = { ...model.shapes[s.shape], ...s, shape: undefined };
  s ??= {};
  if (seen > 4) return { type: 'other' };
  // minified models omit the default type: a member without one is a string
  switch (s.type ?? 'string') {
    case 'string':
      return { type: 'string' };
    case 'list':
      return { type: 'list', of: v2Kind(model, s.member, seen + 1) };
    case 'map':
      return { type: 'map' };
    case 'structure':
      return {
        type: 'structure',
        members: () => Object.entries(s.members ?? {}).map(([n, r]) => [n, v2Kind(model, r, seen + 1)]),
      };
    default:
      return { type: 'other' };
  }
}

/** Member facts of a v2 operation. */
export function v2MemberFacts(model, op) {
  const input = v2Kind(model, op.input);
  return input.type === 'structure' ? facts(input.members()) : undefined;
}

// ---------------------------------------------------------------- v3 schemas

function v3Kind(ref, seen = 0) {
  const [x] = v3Resolve(ref);
  if (seen > 4) return { type: 'other' };
  if (x === 0) return { type: 'string' };
  if (typeof x === 'number') {
    if (x === 64) return { type: 'list', of: { type: 'string' } };
    if (x > 64 && x < 128) return { type: 'list', of: { type: 'other' } };
    if (x >= 128 && x < 256) return { type: 'map' };
    return { type: 'other' };
  }
  if (!Array.isArray(x)) return { type: 'other' };
  if (x[0] === 1) return { type: 'list', of: v3Kind(x[4], seen + 1) };
  if (x[0] === 2) return { type: 'map' };
  if (x[0] === 3) {
    const names = x[4] ?? [];
    const schemas = x[5] ?? [];
    return { type: 'structure', members: () => names.map((n, i) => [n, v3Kind(schemas[i], seen + 1)]) };
  }
  return { type: 'other' };
}

/** Member facts of a v3 operation schema. */
export function v3MemberFacts(opSchema) {
  const input = v3Kind(opSchema[4]);
  return input.type === 'structure' ? facts(input.members()) : undefined;
}
