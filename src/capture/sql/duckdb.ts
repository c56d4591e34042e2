/**
 * DuckDB as a local SQL engine: the grouping query over a local or mounted copy of the logs.
 * `@duckdb/node-api` is an optional dependency, loaded only here and only when asked for.
 * Extensions are never installed or loaded on demand (no network): JSON is built in.
 */
import { LeastprivError } from '../../errors.js';
import type { TrailFilters } from '../cloudtrail/filters.js';
import type { TrailRun } from '../cloudtrail/pool.js';
import type { Skipped } from '../cloudtrail/process.js';
import { RowFold } from './fold.js';
import { duckdbLogFiles, trailQuery } from './query.js';
import type { Row } from './rows.js';

interface DuckChunk {
  rowCount: number;
  getRowObjects(names: readonly string[]): Record<string, unknown>[];
}
interface DuckResult {
  deduplicatedColumnNames(): string[];
  fetchChunk(): Promise<DuckChunk | null>;
}
interface DuckConnection {
  stream(sql: string): Promise<DuckResult>;
  closeSync?(): void;
}
interface DuckModule {
  DuckDBInstance: {
    create(path: string, options: Record<string, string>): Promise<{ connect(): Promise<DuckConnection> }>;
  };
}

async function load(): Promise<DuckModule> {
  try {
    return (await import('@duckdb/node-api' as string)) as DuckModule;
  } catch {
    throw new LeastprivError(
      'usage',
      '--engine duckdb needs the optional package @duckdb/node-api: npm install @duckdb/node-api (or use the built-in reader: leave out --engine)',
    );
  }
}

export interface DuckDbOptions {
  /** Threads DuckDB may use; default: its own (one per core). */
  threads?: number;
}

/** Runs `sql` and hands each row to `onRow`, one chunk (about 2,048 rows) at a time. */
export async function runDuckDb(
  sql: string,
  onRow: (row: Row) => void,
  options: DuckDbOptions = {},
): Promise<void> {
  const duck = await load();
  const instance = await duck.DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    enable_external_access: 'true',
    ...(options.threads ? { threads: String(options.threads) } : {}),
  });
  const connection = await instance.connect();
  try {
    const result = await connection.stream(sql);
    const names = result.deduplicatedColumnNames();
    for (
      let chunk = await result.fetchChunk();
      chunk && chunk.rowCount > 0;
      chunk = await result.fetchChunk()
    )
      for (const row of chunk.getRowObjects(names)) onRow(row as Row);
  } catch (err) {
    if (err instanceof LeastprivError) throw err;
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new LeastprivError(
      'bad-input',
      `DuckDB could not read the logs: ${message}; the built-in reader (leave out --engine) skips bad files and goes on`,
    );
  } finally {
    connection.closeSync?.();
  }
}

/** How many files DuckDB may reject (each then left out and the query run again). */
const MAX_REJECTED = 20;

/**
 * The grouping query over CloudTrail log files (as delivered) with DuckDB, folded like the
 * built-in reader's records. A file DuckDB rejects (not JSON) is listed as skipped and the
 * query runs again without it; one it reads nothing from is listed too.
 */
export async function duckdbTrail(
  files: readonly { path: string; size: number }[],
  filters: TrailFilters,
  options: DuckDbOptions = {},
): Promise<TrailRun> {
  let remaining = [...files];
  const rejected: Skipped[] = [];
  for (;;) {
    const fold = new RowFold(filters);
    try {
      if (remaining.length > 0) {
        const from = duckdbLogFiles(remaining.map((f) => f.path));
        const sql = trailQuery({ dialect: 'duckdb', from, filters, partitions: false, files: true });
        await runDuckDb(sql, fold.add, options);
      }
    } catch (err) {
      const file = err instanceof LeastprivError ? /in file "([^"]+)"/.exec(err.message)?.[1] : undefined;
      const bad = remaining.find((f) => f.path === file);
      if (!bad || rejected.length >= MAX_REJECTED) throw err;
      const why = /Error: (.*?)(?:; the built-in reader|$)/.exec((err as Error).message)?.[1] ?? 'not JSON';
      rejected.push({
        path: bad.path,
        reason: `rejected by DuckDB (${why.replace(/ in file "[^"]+"/, '')})`,
      });
      remaining = remaining.filter((f) => f !== bad);
      continue;
    }
    const run = fold.result(remaining);
    for (const r of rejected) {
      run.stats.files++;
      run.stats.skippedFiles++;
      run.skipped.push(r);
    }
    run.skipped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return run;
  }
}
