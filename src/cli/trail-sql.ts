/**
 * `leastpriv trail` with a SQL engine: Amazon Athena over the trail's bucket (`--athena`), or
 * DuckDB over local files (`--engine duckdb`). Both run the one grouping query and fold its
 * rows like the built-in reader folds records; this file holds their options and messages.
 */
import type { TrailFilters } from '../capture/cloudtrail/filters.js';
import type { TrailRun } from '../capture/cloudtrail/pool.js';
import { athenaCost, runAthena } from '../capture/sql/athena.js';
import { createTableDdl, tableSpecProblem } from '../capture/sql/ddl.js';
import { duckdbTrail } from '../capture/sql/duckdb.js';
import { RowFold } from '../capture/sql/fold.js';
import { duckdbLogFiles, identifier, trailQuery } from '../capture/sql/query.js';
import { LeastprivError } from '../errors.js';
import type { OptionSpec } from './args.js';

export const SQL_HELP = `SQL engines (the same policy as the built-in reader, from a grouping query):
      --engine ENGINE      builtin (default) or duckdb: DuckDB runs the query over the log
                           files given (log files as delivered; optional package @duckdb/node-api)
      --athena             query the trail's table in Amazon Athena instead of reading files
                           (no PATH): only the grouped calls leave Athena; the bytes it
                           scanned and their price are printed (optional package
                           @aws-sdk/client-athena; credentials and region as for the AWS CLI)
      --workgroup NAME     Athena workgroup (default: primary)
      --database NAME      Athena database (default: default)
      --catalog NAME       Athena data catalog (default: AwsDataCatalog)
      --table NAME         the CloudTrail table (default: cloudtrail_logs)
      --output-location S3URL  where Athena writes results (default: the workgroup's setting)
      --plain-table        the table has no account/region/timestamp partitions (a table not
                           made by --create-table): filters are not used to prune partitions
      --endpoint-url URL   the Athena endpoint (an emulator such as moto)
      --create-table       print the CREATE TABLE statement for the trail's bucket (with
                           partition projection on account, region and day); with --athena,
                           run it. Needs --location, --account and --region (repeatable);
                           --since sets the first day (default 2020-01-01)
      --location S3URL     the trail's prefix: s3://BUCKET/AWSLogs/ or s3://BUCKET/AWSLogs/o-ORGID/
      --print-query        print the grouping query (Trino for --athena, DuckDB for --engine
                           duckdb) and stop
`;

export const SQL_OPTIONS = {
  engine: { type: 'string' },
  athena: { type: 'boolean', default: false },
  workgroup: { type: 'string', default: 'primary' },
  database: { type: 'string', default: 'default' },
  catalog: { type: 'string', default: 'AwsDataCatalog' },
  table: { type: 'string', default: 'cloudtrail_logs' },
  'output-location': { type: 'string' },
  'plain-table': { type: 'boolean', default: false },
  'endpoint-url': { type: 'string' },
  'create-table': { type: 'boolean', default: false },
  location: { type: 'string' },
  'print-query': { type: 'boolean', default: false },
} as const satisfies OptionSpec;

export interface SqlValues {
  engine?: string;
  athena?: boolean;
  workgroup?: string;
  database?: string;
  catalog?: string;
  table?: string;
  'output-location'?: string;
  'plain-table'?: boolean;
  'endpoint-url'?: string;
  'create-table'?: boolean;
  location?: string;
  'print-query'?: boolean;
  account?: string[];
  region?: string[];
  since?: string;
}

export type SqlMode = 'athena' | 'duckdb' | null;

/** Which engine the options ask for; a contradiction is a usage error. */
export function sqlMode(v: SqlValues, positionals: readonly string[]): SqlMode {
  const engine = v.engine ?? 'builtin';
  if (engine !== 'builtin' && engine !== 'duckdb')
    throw new LeastprivError('usage', `--engine '${engine}' is not an engine: builtin (default) or duckdb`);
  if (v.athena && engine === 'duckdb')
    throw new LeastprivError('usage', '--athena and --engine duckdb are two engines: choose one');
  if (v.athena && positionals.length > 0 && !v['create-table'])
    throw new LeastprivError(
      'usage',
      `--athena reads the table, not files: leave out ${positionals[0]} (or leave out --athena to read the files)`,
    );
  if (v['output-location'] !== undefined && !/^s3:\/\/[^/]+/.test(v['output-location']))
    throw new LeastprivError('usage', `--output-location '${v['output-location']}' must be an s3:// URL`);
  return v.athena ? 'athena' : engine === 'duckdb' ? 'duckdb' : null;
}

/** `--create-table`: the DDL, printed (and run in Athena with --athena). */
export async function createTable(v: SqlValues, filters: TrailFilters): Promise<number> {
  const spec = {
    table: v.table ?? 'cloudtrail_logs',
    location: v.location ?? '',
    accounts: v.account ?? [],
    regions: v.region ?? [],
    since:
      filters.since === null
        ? '2020/01/01'
        : new Date(filters.since).toISOString().slice(0, 10).replace(/-/g, '/'),
  };
  if (!v.location)
    throw new LeastprivError(
      'usage',
      '--create-table needs --location s3://BUCKET/AWSLogs/ (or .../AWSLogs/o-ORGID/)',
    );
  const problem = tableSpecProblem(spec);
  if (problem) throw new LeastprivError('usage', problem);
  const ddl = createTableDdl(spec);
  process.stdout.write(`${ddl};\n`);
  if (!v.athena) return 0;
  const outcome = await runAthena(ddl, athenaOptions(v), () => undefined);
  process.stderr.write(
    `leastpriv: Athena query ${outcome.queryId} created table ${spec.table} in ${v.database}\n`,
  );
  return 0;
}

function athenaOptions(v: SqlValues) {
  return {
    workgroup: v.workgroup ?? 'primary',
    database: v.database ?? 'default',
    catalog: v.catalog ?? 'AwsDataCatalog',
    outputLocation: v['output-location'] ?? null,
    region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION,
    endpoint: v['endpoint-url'],
  };
}

/** The grouping query as the engine will run it. */
export function queryText(
  mode: 'athena' | 'duckdb',
  v: SqlValues,
  filters: TrailFilters,
  files: readonly string[],
): string {
  if (mode === 'duckdb')
    return trailQuery({
      dialect: 'duckdb',
      from: duckdbLogFiles(files),
      filters,
      partitions: false,
      files: true,
    });
  const from = `${identifier(v.catalog ?? 'AwsDataCatalog')}.${identifier(v.database ?? 'default')}.${identifier(v.table ?? 'cloudtrail_logs')}`;
  return trailQuery({ dialect: 'trino', from, filters, partitions: !v['plain-table'] });
}

export interface SqlRun {
  run: TrailRun;
  /** The first line of the summary: what the engine read and what it cost. */
  headline: string;
}

const fmt = (n: number) => n.toLocaleString('en-US');

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

/** `--athena`: the query in Athena, its rows folded here. */
export async function athenaRun(v: SqlValues, filters: TrailFilters, showProgress: boolean): Promise<SqlRun> {
  const fold = new RowFold(filters);
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  const started = Date.now();
  try {
    const outcome = await runAthena(
      queryText('athena', v, filters, []),
      {
        ...athenaOptions(v),
        signal: controller.signal,
        ...(showProgress
          ? {
              onProgress: (p) =>
                process.stderr.write(
                  `\r\x1b[KAthena ${p.state.toLowerCase()} · ${formatBytes(p.scannedBytes)} scanned · ${p.seconds.toFixed(0)} s`,
                ),
            }
          : {}),
      },
      fold.add,
    );
    if (showProgress) process.stderr.write('\r\x1b[K');
    if (fold.badRows > 0)
      throw new LeastprivError(
        'bad-input',
        `Athena query ${outcome.queryId} returned ${fmt(fold.badRows)} rows that are not grouped calls (${fold.firstBadRow}): is --table a CloudTrail table?`,
      );
    const run = fold.result();
    const seconds = (Date.now() - started) / 1000;
    const cost = athenaCost(outcome.scannedBytes);
    return {
      run,
      headline: `leastpriv: Athena query ${outcome.queryId} scanned ${formatBytes(outcome.scannedBytes)} (about $${cost.toFixed(cost < 0.01 ? 5 : 2)} at $5/TB) in ${seconds.toFixed(1)} s; ${fmt(outcome.rows)} grouped rows, ${fmt(run.stats.events)} events`,
    };
  } finally {
    process.removeListener('SIGINT', stop);
  }
}

/** `--engine duckdb`: the query over local files. */
export async function duckdbRun(
  files: readonly { path: string; size: number }[],
  filters: TrailFilters,
  threads: number | undefined,
): Promise<SqlRun> {
  const started = Date.now();
  const run = await duckdbTrail(files, filters, threads ? { threads } : {});
  const seconds = (Date.now() - started) / 1000;
  const rate = seconds > 0 ? Math.round(run.stats.events / seconds) : run.stats.events;
  return {
    run,
    headline: `leastpriv: DuckDB read ${fmt(run.stats.files - run.stats.skippedFiles)} of ${fmt(run.stats.files)} files, ${fmt(run.stats.events)} events in ${seconds.toFixed(1)} s (${fmt(rate)} events/s)`,
  };
}
