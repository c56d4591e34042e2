/**
 * The Service Authorization Reference: IAM actions, their access levels, resource types and
 * condition keys, and each resource type's ARN formats. Reads the generated index under
 * `data/aws-sar/` lazily, one IAM prefix at a time.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type AccessLevel = 'List' | 'Read' | 'Write' | 'Permissions management' | 'Tagging';

export interface SarActionResource {
  /** Resource type name, as keyed in the prefix's resource types. */
  name: string;
  /** Marked with `*` in the reference: a policy granting the action must name this type. */
  required: boolean;
}

export interface SarAction {
  prefix: string;
  /** Canonical action name (`GetObject`). */
  name: string;
  access: AccessLevel;
  resourceTypes: readonly SarActionResource[];
  conditionKeys: readonly string[];
}

export interface SarResourceType {
  prefix: string;
  name: string;
  /** ARN formats with `${Variable}` placeholders (a few types have more than one). */
  arns: readonly string[];
  conditionKeys: readonly string[];
}

export interface SarService {
  prefix: string;
  name: string;
  actions: ReadonlyMap<string, SarAction>;
  resourceTypes: ReadonlyMap<string, SarResourceType>;
}

export interface SarIndexInfo {
  source: string;
  version: string;
  sdkModels: string | null;
}

type RawAction = [string, string, [string, number][], string[]];
type RawResourceType = [string[], string[]];
interface RawService {
  prefix: string;
  name: string;
  actions: Record<string, RawAction>;
  resourceTypes: Record<string, RawResourceType>;
}
interface RawIndex extends SarIndexInfo {
  prefixes: Record<string, string>;
  services: Record<string, string>;
}

const ACCESS: Record<string, AccessLevel> = {
  L: 'List',
  R: 'Read',
  W: 'Write',
  P: 'Permissions management',
  T: 'Tagging',
};

/** The package's `data/` folder, from both `src/catalog/` and `dist/src/catalog/`. */
function dataDir(): string {
  for (const rel of ['../../data/', '../../../data/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}aws-sar/index.json`)) return dir;
  }
  throw new Error('data/aws-sar/index.json not found: run `npm run data`');
}

let dir: string | null = null;
let index: RawIndex | null = null;
const services = new Map<string, SarService | null>();
let restPaths: Record<string, [string, string][]> | null = null;

function readData<T>(name: string): T {
  dir ??= dataDir();
  return JSON.parse(readFileSync(`${dir}aws-sar/${name}`, 'utf8')) as T;
}

function rawIndex(): RawIndex {
  index ??= readData<RawIndex>('index.json');
  return index;
}

export function sarInfo(): SarIndexInfo {
  const { source, version, sdkModels } = rawIndex();
  return { source, version, sdkModels };
}

export function sarPrefixes(): string[] {
  return Object.keys(rawIndex().prefixes);
}

export function sarPrefixExists(prefix: string): boolean {
  return Object.hasOwn(rawIndex().prefixes, prefix);
}

/**
 * The IAM prefix of an SDK service id, endpoint prefix or signing name, from the API models'
 * metadata; the id itself when it is an IAM prefix; null otherwise. Curated overrides come first
 * and live in the rules.
 */
export function sarPrefixForService(service: string): string | null {
  const key = service.toLowerCase();
  if (sarPrefixExists(key)) return key;
  return rawIndex().services[key] ?? null;
}

export function sarService(prefix: string): SarService | null {
  const cached = services.get(prefix);
  if (cached !== undefined) return cached;
  if (!sarPrefixExists(prefix)) {
    services.set(prefix, null);
    return null;
  }
  const raw = readData<RawService>(`${prefix}.json`);
  const actions = new Map<string, SarAction>();
  for (const [key, [name, code, rts, keys]] of Object.entries(raw.actions)) {
    const access = ACCESS[code];
    if (!access) throw new Error(`data/aws-sar/${prefix}.json: unknown access code ${code}`);
    actions.set(key, {
      prefix,
      name,
      access,
      resourceTypes: rts.map(([n, r]) => ({ name: n, required: r === 1 })),
      conditionKeys: keys,
    });
  }
  const resourceTypes = new Map<string, SarResourceType>();
  for (const [name, [arns, keys]] of Object.entries(raw.resourceTypes)) {
    resourceTypes.set(name, { prefix, name, arns, conditionKeys: keys });
  }
  const service: SarService = { prefix, name: raw.name, actions, resourceTypes };
  services.set(prefix, service);
  return service;
}

/** An action by `prefix` and name, case-insensitively; null when the reference lacks it. */
export function sarAction(prefix: string, name: string): SarAction | null {
  return sarService(prefix)?.actions.get(name.toLowerCase()) ?? null;
}

/** `prefix:Name` form. */
export function sarActionByQualifiedName(qualified: string): SarAction | null {
  const i = qualified.indexOf(':');
  if (i <= 0) return null;
  return sarAction(qualified.slice(0, i), qualified.slice(i + 1));
}

export function sarResourceType(prefix: string, name: string): SarResourceType | null {
  return sarService(prefix)?.resourceTypes.get(name) ?? null;
}

/** HTTP method and URI template (model member names in braces) of HTTP-verb actions' operations. */
export function sarRestPaths(prefix: string, operation: string): readonly [string, string][] {
  restPaths ??= readData<Record<string, Record<string, [string, string][]>>>('rest-paths.json')[prefix] ?? {};
  return (prefix === 'apigateway' ? restPaths[operation] : undefined) ?? [];
}

export interface CompiledArnFormat {
  format: string;
  regex: RegExp;
  /** Count of literal characters: the more, the more specific the format. */
  specificity: number;
  variables: readonly string[];
}

const compiled = new Map<string, CompiledArnFormat>();
const VARIABLE = /\$\{([A-Za-z0-9_]+)\}/g;

/**
 * A matcher for an ARN format. Variables match any non-empty text (Partition, Region and
 * Account match one ARN field), so policy ARNs with `*` in place of a variable match too.
 */
export function compileArnFormat(format: string): CompiledArnFormat {
  const hit = compiled.get(format);
  if (hit) return hit;
  let source = '^';
  let last = 0;
  let literal = 0;
  const variables: string[] = [];
  for (const m of format.matchAll(VARIABLE)) {
    const text = format.slice(last, m.index);
    source += fixedText(text);
    literal += text.length;
    const name = m[1] ?? '';
    variables.push(name);
    source += name === 'Partition' ? '[^:]+' : name === 'Region' || name === 'Account' ? '[^:]*' : '.+?';
    last = m.index + m[0].length;
  }
  const tail = format.slice(last);
  source += `${fixedText(tail)}$`;
  literal += tail.length;
  const result = { format, regex: new RegExp(source), specificity: literal, variables };
  compiled.set(format, result);
  return result;
}

/** A format's fixed text; a `*` in it (`arn:...:dms:...:data-provider:*`) stands for any id. */
function fixedText(text: string): string {
  return text.split('*').map(escapeRegExp).join('.+');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Whether an ARN (possibly with wildcards in place of variables) fits a resource type. */
export function arnMatchesResourceType(arn: string, type: SarResourceType): boolean {
  return type.arns.some((f) => compileArnFormat(f).regex.test(arn));
}

/** The most specific of an action's resource types that an ARN fits, or null. */
export function resourceTypeOfArn(action: SarAction, arn: string): SarResourceType | null {
  let best: SarResourceType | null = null;
  let bestScore = -1;
  for (const ref of action.resourceTypes) {
    const type = sarResourceType(action.prefix, ref.name);
    if (!type) continue;
    for (const f of type.arns) {
      const c = compileArnFormat(f);
      if (c.specificity > bestScore && c.regex.test(arn)) {
        best = type;
        bestScore = c.specificity;
      }
    }
  }
  return best;
}
