/**
 * `leastpriv scan`: call sites of the AWS SDKs in application code, as operations with the
 * parameters the code makes constant. JavaScript and TypeScript (SDK v3 and v2), Python (boto3)
 * and Go (SDK v2).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import type { Operation, Requirement } from '../../model/index.js';
import { parseEnvFile } from './env.js';
import { scanGo } from './go.js';
import { scanJavaScript } from './javascript.js';
import { scanPython } from './python.js';
import { runServiceId } from './services.js';
import { type CallSite, type ScanResult, UNKNOWN_PATTERN } from './types.js';

export { parseEnvFile } from './env.js';
export { GO_PARSER_PACKAGES, goParser } from './go.js';
export { PYTHON_PARSER_PACKAGES, pythonParser } from './python.js';
export type { CallSite, ScanResult } from './types.js';
export { UNKNOWN } from './types.js';

const JS = new Set(['.js', '.mjs', '.cjs', '.jsx', '.ts', '.mts', '.cts', '.tsx']);
const PY = new Set(['.py']);
const GO = new Set(['.go']);

/**
 * What a file must contain to hold a call site: the SDK's module name is in every import the
 * scanners resolve a client from (`@aws-sdk/...`, `aws-sdk`, `boto3`, `github.com/aws/aws-sdk-go-v2/...`).
 * A file without it is not parsed: that changes no result and skips most of a large repository.
 */
const MARKERS = { javascript: 'aws-sdk', python: 'boto3', go: 'aws-sdk-go-v2' } as const;
const SKIP_DIRS = new Set([
  'node_modules',
  '.git',
  'dist',
  'build',
  '.venv',
  'venv',
  '__pycache__',
  '.tox',
  'cdk.out',
  'vendor',
]);

export interface ScanOptions {
  /** `--env FILE`: the environment the code runs with; `.env` files next to the code add to it. */
  env?: ReadonlyMap<string, string>;
  /** Base for the file names in the records (default: the working folder). */
  cwd?: string;
}

/** The source files under the paths, sorted, skipping dependency and build folders. */
export function sourceFiles(paths: string[], cwd = process.cwd()): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const name of readdirSync(p).sort()) {
        if (SKIP_DIRS.has(name)) continue;
        walk(join(p, name));
      }
    } else if (isSource(p)) out.push(p);
  };
  for (const p of paths) {
    const abs = resolve(cwd, p);
    if (!existsSync(abs)) throw new Error(`${p}: no such file or folder`);
    if (statSync(abs).isFile() && !isSource(abs))
      throw new Error(`${p}: not a JavaScript, TypeScript, Python or Go file`);
    walk(abs);
  }
  return [...new Set(out)];
}

function isSource(p: string): boolean {
  const ext = extname(p);
  return (JS.has(ext) && !p.endsWith('.d.ts')) || PY.has(ext) || GO.has(ext);
}

/** Reads and scans every source file under the paths. */
export async function scanPaths(paths: string[], options: ScanOptions = {}): Promise<ScanResult> {
  const cwd = options.cwd ?? process.cwd();
  const files = sourceFiles(paths, cwd);
  const calls: CallSite[] = [];
  const problems: ScanResult['problems'] = [];
  const dotenv = new Map<string, ReadonlyMap<string, string>>();
  const shown: string[] = [];
  for (const abs of files) {
    const name = relative(cwd, abs).split(sep).join('/') || abs;
    shown.push(name);
    let text: string;
    try {
      text = readFileSync(abs, 'utf8');
    } catch (err) {
      problems.push({ file: name, problem: (err as Error).message });
      continue;
    }
    const ext = extname(abs);
    const language = PY.has(ext) ? 'python' : GO.has(ext) ? 'go' : 'javascript';
    if (!text.includes(MARKERS[language])) continue;
    const dir = dirname(abs);
    let local = dotenv.get(dir);
    if (!local) {
      const f = join(dir, '.env');
      local = existsSync(f) ? parseEnvFile(readFileSync(f, 'utf8')) : new Map();
      dotenv.set(dir, local);
    }
    // --env wins over a .env next to the code
    const env = new Map([...local, ...(options.env ?? new Map())]);
    try {
      if (language === 'python') calls.push(...(await scanPython(name, text, { env })));
      else if (language === 'go') calls.push(...(await scanGo(name, text, { env })));
      else calls.push(...scanJavaScript(name, text, { env }));
    } catch (err) {
      // a missing parser stops the scan (it says what to install); a file it fails on is skipped
      if ((err as Error).message.includes('web-tree-sitter')) throw err;
      problems.push({ file: name, problem: (err as Error).message });
    }
  }
  for (const c of calls) {
    if (c.service !== null) c.service = runServiceId(c.service, c.operation);
    if (c.unresolved?.candidates) {
      c.unresolved.candidates = [
        ...new Set(
          c.unresolved.candidates.map((x) => {
            const [svc, op] = x.split(':') as [string, string];
            return `${runServiceId(svc, op)}:${op}`;
          }),
        ),
      ].sort();
    }
  }
  return { calls, files: shown, problems };
}

/** A resolved call site as the operation the authorize stage reads. */
export function toOperation(
  call: CallSite,
  context: { region: string | null; account: string | null; partition?: string },
): Operation | null {
  if (call.unresolved || call.service === null || call.operation === null) return null;
  return {
    provider: 'aws',
    service: call.service,
    operation: call.operation,
    region: call.region ?? context.region ?? '*',
    partition: context.partition ?? 'aws',
    account: context.account,
    params: call.params,
  };
}

/**
 * The requirements of a call site with its unknown parts as `*`: in each resource ARN only the
 * unknown part is widened (`arn:aws:s3:::uploads/*.json`); a condition whose value is unknown
 * becomes a `StringLike` pattern when it was `StringEquals`, and is left out otherwise. Each
 * widened requirement says which values were unknown (`approximate`).
 */
export function wildcardUnknowns(call: CallSite): (requirements: Requirement[]) => Requirement[] {
  return (requirements) =>
    requirements.map((r) => {
      const used = new Set<number>();
      const widen = (s: string) =>
        s.replace(UNKNOWN_PATTERN, (_, i: string) => {
          used.add(Number(i));
          return '*';
        });
      const resources = [...new Set(r.resources.map(widen))];
      let conditions = r.conditions;
      if (conditions && JSON.stringify(conditions).includes('lpscan0unknown')) {
        const out: NonNullable<Requirement['conditions']> = {};
        for (const [op, keys] of Object.entries(conditions)) {
          for (const [key, values] of Object.entries(keys)) {
            const unknown = values.some((v) => v.includes('lpscan0unknown'));
            const target = unknown ? (op === 'StringEquals' ? 'StringLike' : null) : op;
            if (target === null) {
              values.forEach(widen);
              continue;
            }
            out[target] ??= {};
            (out[target] as Record<string, string[]>)[key] = values.map(widen);
          }
        }
        conditions = Object.keys(out).length ? out : null;
      }
      if (used.size === 0) return r;
      const why = [...used]
        .sort((a, b) => a - b)
        .map((i) => call.unknowns[i] ?? 'a value')
        .join('; ');
      const approximate = `${r.action}: unknown in the code, used *: ${why}`;
      return {
        ...r,
        resources,
        conditions,
        approximate: r.approximate ? `${approximate}; ${r.approximate}` : approximate,
      };
    });
}
