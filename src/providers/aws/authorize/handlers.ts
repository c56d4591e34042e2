/**
 * Strategies for operations whose permissions depend on the request in ways a rule table
 * cannot express: PartiQL statements, API Gateway's HTTP-verb actions, EC2 tags on create,
 * Bedrock models called through inference profiles.
 */
import { apiService } from '../../../catalog/api-index.js';
import type { ActionSpec } from '../../../catalog/rules.js';
import {
  compileArnFormat,
  resourceTypeOfArn,
  sarAction,
  sarResourceType,
  sarRestPaths,
} from '../../../catalog/sar.js';
import type { Operation, Requirement } from '../../../model/index.js';
import { parseArn } from './derive.js';
import { readPath, type Scope, strings } from './params.js';

export interface ScopedSpec {
  spec: ActionSpec;
  scope: Scope;
}

export interface HandlerOutput {
  /** Actions to resolve like rule actions. */
  specs: ScopedSpec[];
  /** Requirements whose resources the handler computed itself. */
  direct: Requirement[];
}

export type Handler = (op: Operation) => HandlerOutput;

const PARTIQL_VERB: Record<string, string> = {
  SELECT: 'dynamodb:PartiQLSelect',
  INSERT: 'dynamodb:PartiQLInsert',
  UPDATE: 'dynamodb:PartiQLUpdate',
  DELETE: 'dynamodb:PartiQLDelete',
  EXISTS: 'dynamodb:PartiQLSelect',
};

const IDENT = '(?:"((?:[^"]|"")+)"|([A-Za-z_][A-Za-z0-9_.-]*))';
const TARGET = new RegExp(
  String.raw`^\s*(SELECT\b[\s\S]*?\bFROM|INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+${IDENT}(?:\s*\.\s*${IDENT})?`,
  'i',
);

/** The action, table and index a PartiQL statement addresses. */
export function partiqlTarget(
  statement: string,
): { action: string; table: string; index: string | null } | null {
  const m = TARGET.exec(statement);
  if (!m) return null;
  const verb = (m[1] ?? '').trim().split(/\s+/)[0]?.toUpperCase() ?? '';
  const action = PARTIQL_VERB[verb];
  const table = (m[2] ?? m[3] ?? '').replace(/""/g, '"');
  const index = m[4] ?? m[5] ?? null;
  if (!action || !table) return null;
  return { action, table, index: index ? index.replace(/""/g, '"') : null };
}

function partiql(op: Operation): HandlerOutput {
  const statements: string[] = [];
  for (const path of ['Statement', 'Statements', 'TransactStatements']) {
    const v = readPath({ params: op.params }, path);
    if (typeof v === 'string') statements.push(v);
    else if (Array.isArray(v)) {
      for (const s of v) {
        if (s && typeof s === 'object' && typeof (s as { Statement?: unknown }).Statement === 'string') {
          statements.push((s as { Statement: string }).Statement);
        }
      }
    }
  }
  const specs: ScopedSpec[] = [];
  for (const statement of statements) {
    const t = partiqlTarget(statement);
    if (!t) continue;
    const element = { TableName: t.table, IndexName: t.index };
    specs.push({
      spec: {
        action: t.action,
        bind: { TableName: '@.TableName', IndexName: '@.IndexName' },
        resourceTypes: t.index ? ['index'] : ['table'],
      },
      scope: { params: {}, element },
    });
  }
  return { specs, direct: [] };
}

/** API Gateway management: the HTTP method on the resource path, as `apigateway:<METHOD>`. */
function apigateway(op: Operation): HandlerOutput {
  const variants = sarRestPaths('apigateway', op.operation);
  if (!variants.length) {
    // operations newer than the reference's list: the method and path of their own HTTP binding
    const binding = apiService(op.service)?.ops[op.operation]?.h;
    const m = binding ? /^([A-Z]+) ([^?]+)/.exec(binding) : null;
    if (m?.[1] && m[2]) return apigatewayPaths(op, [[m[1], m[2].replace(/\+\}/g, '}')]]);
  }
  return apigatewayPaths(op, variants);
}

function apigatewayPaths(op: Operation, variants: readonly (readonly [string, string])[]): HandlerOutput {
  const scope: Scope = { params: op.params };
  let best: { method: string; path: string; missing: number } | null = null;
  for (const [method, template] of variants) {
    let missing = 0;
    const path = template.replace(/^\/v2(?=\/)/, '').replace(/\{([^}]+)\}/g, (_, name: string) => {
      const v = strings(readPath(scope, name))[0];
      if (v === undefined) missing++;
      return v === undefined ? '*' : encodePathPart(v);
    });
    if (!best || missing < best.missing) best = { method, path, missing };
  }
  if (!best) return { specs: [], direct: [] };
  // Older resources have no account field (`::/restapis/...`), newer ones do (`:123:/portals/...`):
  // the reference's formats for the verb say which. A path none of them fits is `*`.
  const arn = apigatewayArn(op, best.method, best.path);
  const requirement: Requirement = {
    action: `apigateway:${best.method}`,
    resources: [arn],
    conditions: null,
    why: `${op.service}:${op.operation}`,
  };
  if (arn === '*')
    requirement.approximate = `apigateway:${best.method}: no resource type fits ${best.path}, used *`;
  else if (best.missing)
    requirement.approximate = `apigateway:${best.method}: path parameters unknown, used *`;
  return { specs: [], direct: [requirement] };
}

/** The ARN of an API Gateway path for an HTTP-verb action, as the reference's formats write it. */
function apigatewayArn(op: Operation, method: string, path: string): string {
  const verb = sarAction('apigateway', method);
  if (!verb) return '*';
  // a path parameter that is itself the resource's ARN (`/domainnameaccessassociations/{arn}`)
  for (const v of Object.values(op.params)) {
    if (
      typeof v === 'string' &&
      v.startsWith('arn:') &&
      resourceTypeOfArn(verb, v) &&
      path.includes(encodePathPart(v))
    )
      return v;
  }
  const bare = `arn:${op.partition}:apigateway:${op.region}::${path}`;
  const owned = `arn:${op.partition}:apigateway:${op.region}:${op.account ?? '*'}:${path}`;
  for (const ref of verb.resourceTypes) {
    for (const format of sarResourceType('apigateway', ref.name)?.arns ?? []) {
      const withAccount = compileArnFormat(format).variables.includes('Account');
      const candidate = withAccount ? owned : bare;
      if (compileArnFormat(format).regex.test(candidate)) return candidate;
    }
  }
  return '*';
}

function encodePathPart(v: string): string {
  return v.replace(/[^A-Za-z0-9._~!$&'()*+,;=:@-]/g, (c) => encodeURIComponent(c));
}

/** EC2 resource type names in TagSpecifications that differ from the reference's type names. */
const EC2_TAG_TYPES: Record<string, string> = {
  'vpc-endpoint': 'vpc-endpoint',
  'elastic-ip': 'elastic-ip',
  image: 'image',
};

/** ec2:CreateTags for each resource type tagged at creation, with `ec2:CreateAction`. */
function ec2Tags(op: Operation): HandlerOutput {
  const specs =
    readPath({ params: op.params }, 'TagSpecifications') ??
    readPath({ params: op.params }, 'TagSpecification');
  if (!Array.isArray(specs)) return { specs: [], direct: [] };
  const out: ScopedSpec[] = [];
  const types = new Set<string>();
  for (const s of specs) {
    const t = s && typeof s === 'object' ? (s as { ResourceType?: unknown }).ResourceType : undefined;
    if (typeof t === 'string') types.add(EC2_TAG_TYPES[t] ?? t);
  }
  for (const t of [...types].sort()) {
    out.push({
      spec: {
        action: 'ec2:CreateTags',
        resourceTypes: [t],
        conditions: { StringEquals: { 'ec2:CreateAction': [op.operation] } },
        why: `tags sent with ${op.operation}`,
      },
      scope: { params: {} },
    });
  }
  return { specs: out, direct: [] };
}

/** A cross-Region (system-defined) inference profile id: a geography or `global`, then the model id. */
const INFERENCE_PROFILE = /^(?:us|eu|apac|us-gov|jp|au|ca|global)\.(.+)$/;

/**
 * bedrock:InvokeModel (or its streaming twin) on what `modelId` names. A cross-Region
 * inference profile needs the profile and its model in every Region the profile may route
 * to (the request does not say which: any Region, flagged as approximate). Source:
 * https://docs.aws.amazon.com/bedrock/latest/userguide/geographic-cross-region-inference.html
 */
function bedrockModel(op: Operation): HandlerOutput {
  const out = bedrockInvoke(op);
  const guardrail = bedrockGuardrail(op);
  if (guardrail) out.direct.push(guardrail);
  return out;
}

/**
 * A guardrail applied during inference needs bedrock:ApplyGuardrail on it. Source:
 * https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-permissions.html
 */
function bedrockGuardrail(op: Operation): Requirement | null {
  const scope = { params: op.params };
  const id =
    strings(readPath(scope, 'guardrailIdentifier'))[0] ??
    strings(readPath(scope, 'guardrailConfig.guardrailIdentifier'))[0];
  if (!id) return null;
  const arn = id.startsWith('arn:')
    ? id
    : `arn:${op.partition}:bedrock:${op.region}:${op.account ?? '*'}:guardrail/${id}`;
  return {
    action: 'bedrock:ApplyGuardrail',
    resources: [arn],
    conditions: null,
    why: `guardrail applied by ${op.service}:${op.operation}`,
  };
}

function bedrockInvoke(op: Operation): HandlerOutput {
  const action = /Stream$/.test(op.operation)
    ? 'bedrock:InvokeModelWithResponseStream'
    : 'bedrock:InvokeModel';
  const id = strings(readPath({ params: op.params }, 'modelId'))[0];
  const p = op.partition;
  const direct = (resources: string[], approximate?: string): HandlerOutput => ({
    specs: [],
    direct: [
      {
        action,
        resources,
        conditions: null,
        why: `${op.service}:${op.operation}`,
        ...(approximate ? { approximate: `${action}: ${approximate}` } : {}),
      },
    ],
  });
  const anyRegion = (model: string) => `arn:${p}:bedrock:*::foundation-model/${model}`;
  const routed = 'the Regions the inference profile routes to are not in the request, used *';
  if (!id) return direct([`arn:${p}:bedrock:${op.region}::foundation-model/*`], 'modelId unknown, used *');
  const arn = parseArn(id);
  if (arn) {
    const profile = /^inference-profile\/(.+)$/.exec(arn.resource)?.[1];
    const model = profile ? INFERENCE_PROFILE.exec(profile)?.[1] : undefined;
    if (model) return direct([id, anyRegion(model)], routed);
    if (arn.resource.startsWith('application-inference-profile/'))
      return direct(
        [id, anyRegion('*')],
        'the model behind an application inference profile is not in the request, used *',
      );
    return direct([id]);
  }
  const model = INFERENCE_PROFILE.exec(id)?.[1];
  if (model) {
    const account = op.account ?? '*';
    return direct(
      [`arn:${p}:bedrock:${op.region}:${account}:inference-profile/${id}`, anyRegion(model)],
      routed,
    );
  }
  return direct([`arn:${p}:bedrock:${op.region}::foundation-model/${id}`]);
}

/**
 * ELBv2 listeners and rules tagged at creation: elasticloadbalancing:AddTags on the new
 * listener (rule), whose id is only known once it exists, under the load balancer (listener)
 * the request names; `elasticloadbalancing:CreateAction` says it is part of the create. Source:
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/userguide/tagging-resources-during-creation.html
 */
function elbv2Tags(op: Operation): HandlerOutput {
  const tags = readPath({ params: op.params }, 'Tags');
  if (!Array.isArray(tags) || tags.length === 0) return { specs: [], direct: [] };
  const listener = op.operation === 'CreateListener';
  const parent =
    strings(readPath({ params: op.params }, listener ? 'LoadBalancerArn' : 'ListenerArn'))[0] ?? '';
  const under = listener
    ? /^(arn:[^:]+:elasticloadbalancing:[^:]*:[^:]*:)loadbalancer\/((?:app|net|gwy)\/[^/]+\/[^/]+)$/.exec(
        parent,
      )
    : /^(arn:[^:]+:elasticloadbalancing:[^:]*:[^:]*:)listener\/((?:app|net|gwy)\/[^/]+\/[^/]+\/[^/]+)$/.exec(
        parent,
      );
  const kind = listener ? 'listener' : 'listener-rule';
  const arn = under
    ? `${under[1]}${kind}/${under[2]}/*`
    : `arn:${op.partition}:elasticloadbalancing:${op.region}:${op.account ?? '*'}:${kind}/*`;
  return {
    specs: [],
    direct: [
      {
        action: 'elasticloadbalancing:AddTags',
        resources: [arn],
        conditions: { StringEquals: { 'elasticloadbalancing:CreateAction': [op.operation] } },
        why: `tags sent with ${op.operation}`,
        approximate: `elasticloadbalancing:AddTags: the new ${kind}'s id is not known before it exists, used *`,
      },
    ],
  };
}

export const HANDLERS: Record<string, Handler> = {
  'elbv2-tags': elbv2Tags,
  partiql,
  apigateway,
  'ec2-tags': ec2Tags,
  'bedrock-model': bedrockModel,
};
