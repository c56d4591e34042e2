/**
 * Curated authorization rules (`data/rules/*.json`): facts from AWS documentation that the
 * Service Authorization Reference does not state. Each rule names its source page.
 *
 * A file holds `{ "services": ServiceRule[], "rules": OperationRule[] }`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ConditionBlock } from '../model/index.js';

/** How an SDK service maps onto IAM: its prefix when it differs, and parameter aliases. */
export interface ServiceRule {
  /** SDK service id (lower case) as in `Operation.service`. */
  service: string;
  /** IAM prefix, when it differs from the service id. */
  prefix?: string;
  /** ARN variable -> parameter path, for parameters whose name differs from the variable. */
  aliases?: Record<string, string>;
  /** A strategy in code for every operation of the service that has no rule of its own. */
  handler?: string;
  /**
   * The tagging action a create call that sends tags also needs (`eks:TagResource`), where the
   * service documents it; null where it documents that none is needed.
   */
  tagOnCreate?: string | null;
  /** Role member (or `*` for any) -> the principals a passed role goes to (`iam:PassedToService`). */
  passedToService?: Record<string, string[]>;
  /** The service is discontinued (why): its calls cannot succeed, whatever the policy says. */
  retired?: string;
  source: string;
  /** Further pages, when the facts of one entry come from several. */
  sources?: string[];
}

/**
 * One IAM action an operation needs. Parameter paths are dotted (`Delete.Objects`); inside
 * `each`, `@` is the element, `@.Key` a field of it, and `@key` the key of a map entry.
 */
export interface ActionSpec {
  /** `prefix:Name`, or `prefix:{Param}` for actions named after a parameter's value. */
  action: string;
  /** Every path must hold a value. */
  if?: string[];
  /** No path may hold a value. */
  unless?: string[];
  /** Not when the path's value is one of these (`{"ACL": ["private"]}`). */
  except?: Record<string, string[]>;
  /** One requirement per element of this list (or entry of this map). */
  each?: string;
  /** ARN variable -> parameter path. */
  bind?: Record<string, string>;
  /** Restrict to these resource types (names as in the reference). */
  resourceTypes?: string[];
  /** A parameter path holding the resource ARN (or a value to resolve into one). */
  arn?: string;
  /**
   * Conditions that hold for the call. Values may use `${Region}`, `${Partition}`,
   * `${Account}`, `${Operation}`, or `${param path}`; a condition whose parameter is absent is
   * left out.
   */
  conditions?: ConditionBlock;
  /** Why the call needs this action, when not simply "the operation itself". */
  why?: string;
}

export interface OperationRule {
  service: string;
  /** Operation name, or `*` for a rule that adds dependent actions to every operation. */
  operation: string;
  source: string;
  /** The operation needs no IAM permission at all. */
  permissionless?: boolean;
  /** Replaces the default action (same name in the IAM prefix). */
  actions?: ActionSpec[];
  /** Added to the operation's actions (default or replaced). */
  also?: ActionSpec[];
  /** A strategy in code for what the data cannot say (`partiql`, `apigateway`, `ec2-tags`). */
  handler?: string;
  /** Why no action can be named (a retired service, an action the reference lacks). */
  unmapped?: string;
}

interface RuleFile {
  services?: ServiceRule[];
  rules?: OperationRule[];
}

interface RuleIndex {
  services: Map<string, ServiceRule>;
  operations: Map<string, OperationRule>;
  wildcards: Map<string, OperationRule[]>;
  all: OperationRule[];
}

let loaded: RuleIndex | null = null;

function rulesDir(): string {
  for (const rel of ['../../data/rules/', '../../../data/rules/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(dir)) return dir;
  }
  throw new Error('data/rules/ not found next to the package');
}

function fail(file: string, what: string): never {
  throw new Error(`data/rules/${file}: ${what}`);
}

const SPEC_FIELDS = [
  'action',
  'if',
  'unless',
  'except',
  'each',
  'bind',
  'resourceTypes',
  'arn',
  'conditions',
  'why',
];
const RULE_FIELDS = [
  'service',
  'operation',
  'source',
  'permissionless',
  'actions',
  'also',
  'handler',
  'unmapped',
];
const SERVICE_FIELDS = [
  'service',
  'prefix',
  'aliases',
  'handler',
  'tagOnCreate',
  'passedToService',
  'retired',
  'source',
  'sources',
];

function checkFields(file: string, where: string, value: object, allowed: readonly string[]): void {
  for (const k of Object.keys(value)) if (!allowed.includes(k)) fail(file, `${where}: unknown field ${k}`);
}

function checkSpec(file: string, where: string, s: ActionSpec): void {
  if (typeof s.action !== 'string' || !/^[a-z0-9-]+:[A-Za-z0-9{}*]+$/.test(s.action)) {
    fail(file, `${where}: bad action ${JSON.stringify(s.action)}`);
  }
  checkFields(file, where, s, SPEC_FIELDS);
}

/** A second entry for a service adds facts the first lacks; it may not restate one. */
function mergeService(file: string, prev: ServiceRule, next: ServiceRule): ServiceRule {
  const merged: ServiceRule = { ...prev };
  for (const [k, v] of Object.entries(next)) {
    if (k === 'service' || k === 'source' || k === 'sources') continue;
    if (Object.hasOwn(prev, k)) fail(file, `service ${next.service}: ${k} defined twice`);
    (merged as unknown as Record<string, unknown>)[k] = v;
  }
  merged.sources = [...new Set([prev.source, ...(prev.sources ?? []), next.source, ...(next.sources ?? [])])];
  return merged;
}

function load(): RuleIndex {
  const dir = rulesDir();
  const index: RuleIndex = { services: new Map(), operations: new Map(), wildcards: new Map(), all: [] };
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const data = JSON.parse(readFileSync(dir + file, 'utf8')) as RuleFile;
    for (const s of data.services ?? []) {
      if (!s.service || !s.source) fail(file, `service entry without service or source`);
      checkFields(file, `service ${s.service}`, s, SERVICE_FIELDS);
      if (!s.source.startsWith('https://'))
        fail(file, `service ${s.service}: source must be a documentation URL`);
      const prev = index.services.get(s.service);
      index.services.set(s.service, prev ? mergeService(file, prev, s) : s);
    }
    for (const r of data.rules ?? []) {
      const where = `${r.service}:${r.operation}`;
      if (!r.service || !r.operation) fail(file, 'rule without service or operation');
      checkFields(file, where, r, RULE_FIELDS);
      if (!r.source?.startsWith('https://')) fail(file, `${where}: source must be a documentation URL`);
      const kinds = [r.permissionless, r.unmapped, r.actions ?? r.handler].filter((x) => x !== undefined);
      if (kinds.length > 1) fail(file, `${where}: permissionless, unmapped and actions exclude each other`);
      for (const s of [...(r.actions ?? []), ...(r.also ?? [])]) checkSpec(file, where, s);
      if (r.operation === '*') {
        const list = index.wildcards.get(r.service) ?? [];
        list.push(r);
        index.wildcards.set(r.service, list);
      } else {
        const key = `${r.service}:${r.operation}`;
        if (index.operations.has(key)) fail(file, `${where} defined twice`);
        index.operations.set(key, r);
      }
      index.all.push(r);
    }
  }
  return index;
}

function rules(): RuleIndex {
  loaded ??= load();
  return loaded;
}

export function serviceRule(service: string): ServiceRule | null {
  return rules().services.get(service) ?? null;
}

export function operationRule(service: string, operation: string): OperationRule | null {
  return rules().operations.get(`${service}:${operation}`) ?? null;
}

/** Rules that apply to every operation of a service (dependent actions such as tagging). */
export function serviceWideRules(service: string): readonly OperationRule[] {
  return rules().wildcards.get(service) ?? [];
}

export function allOperationRules(): readonly OperationRule[] {
  return rules().all;
}

export function allServiceRules(): readonly ServiceRule[] {
  return [...rules().services.values()];
}
