/**
 * AWS's own operation → action table: the service reference information AWS publishes, one
 * document per IAM prefix, each operation with the actions it authorizes (some with context
 * such as `iam:PassedToService`). Generated into `data/aws-sr/operations.json` by
 * `npm run data`; read on first use.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/service-reference.html
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One authorized action: `prefix:Name`, with the context AWS gives (condition key → values). */
export interface AuthorizedAction {
  action: string;
  context: Readonly<Record<string, readonly string[]>> | null;
}

type RawEntry = 1 | [string, Record<string, string[]>?][];

interface RawTable {
  format: number;
  source: string;
  documentation: string | null;
  documents: Record<string, string | null>;
  dropped: string[];
  operations: Record<string, Record<string, RawEntry>>;
}

export interface ServiceReferenceInfo {
  source: string;
  /** IAM prefix → when AWS last modified its document. */
  documents: Readonly<Record<string, string | null>>;
  /** Actions AWS lists that the Service Authorization Reference lacks (never emitted). */
  dropped: readonly string[];
}

let table: RawTable | null = null;

function load(): RawTable {
  if (table) return table;
  for (const rel of ['../../data/', '../../../data/']) {
    const file = fileURLToPath(new URL(`${rel}aws-sr/operations.json`, import.meta.url));
    if (existsSync(file)) {
      const raw = JSON.parse(readFileSync(file, 'utf8')) as RawTable;
      if (raw.format !== 1) throw new Error(`data/aws-sr/operations.json: unsupported format ${raw.format}`);
      table = raw;
      return raw;
    }
  }
  throw new Error('data/aws-sr/operations.json not found: run `npm run data`');
}

export function serviceReferenceInfo(): ServiceReferenceInfo {
  const { source, documents, dropped } = load();
  return { source, documents, dropped };
}

/** Whether AWS's table covers this IAM prefix at all. */
export function serviceReferenceCovers(prefix: string): boolean {
  return Object.hasOwn(load().operations, prefix);
}

const cache = new Map<string, readonly AuthorizedAction[] | null>();

/**
 * The actions AWS lists for an operation of an IAM prefix; null when its table does not list the
 * operation (or does not cover the prefix). A list with one entry, the same-named action, is the
 * common case.
 */
export function authorizedActions(prefix: string, operation: string): readonly AuthorizedAction[] | null {
  const key = `${prefix}:${operation}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const ops = load().operations;
  const byOp = Object.hasOwn(ops, prefix) ? ops[prefix] : undefined;
  const raw = byOp && Object.hasOwn(byOp, operation) ? byOp[operation] : undefined;
  let out: readonly AuthorizedAction[] | null = null;
  if (raw === 1) out = [{ action: `${prefix}:${operation}`, context: null }];
  else if (raw) out = raw.map(([action, context]) => ({ action, context: context ?? null }));
  cache.set(key, out);
  return out;
}
