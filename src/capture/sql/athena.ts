/**
 * Amazon Athena as the SQL engine: start the query, wait for it (GetQueryExecution with
 * backoff), read its rows (GetQueryResults, 1,000 rows a page) and hand them over one by one.
 * `@aws-sdk/client-athena` is an optional dependency, loaded only here. Credentials, region and
 * endpoint come from the SDK's usual sources (environment, profile, `AWS_ENDPOINT_URL`).
 */

import { LeastprivError } from '../../errors.js';
import { loadAwsSdk } from '../aws-sdk.js';
import type { Row } from './rows.js';

export interface AthenaOptions {
  workgroup: string;
  database: string;
  catalog: string;
  /** s3:// location for the results; default: the workgroup's. */
  outputLocation: string | null;
  region: string | undefined;
  endpoint: string | undefined;
  /** Called while the query runs: its state and the bytes scanned so far. */
  onProgress?: (p: { state: string; scannedBytes: number; seconds: number }) => void;
  /** Aborting stops the query in Athena (StopQueryExecution) and fails with its id. */
  signal?: AbortSignal;
  sleep?: (ms: number) => Promise<void>;
}

export interface AthenaOutcome {
  queryId: string;
  scannedBytes: number;
  /** Athena's own run time, milliseconds. */
  engineMs: number;
  rows: number;
}

/**
 * The price of a query, in US dollars: $5.00 per TB scanned, rounded up to the megabyte, 10 MB
 * at least (Amazon Athena pricing, SQL queries: https://aws.amazon.com/athena/pricing/).
 * A TB here is 2^40 bytes, as the pricing page's examples count it.
 */
export function athenaCost(scannedBytes: number): number {
  const mb = Math.max(10, Math.ceil(scannedBytes / 2 ** 20));
  return (mb / 2 ** 20) * 5;
}

type AthenaSdk = typeof import('@aws-sdk/client-athena');

const load = (): Promise<AthenaSdk> =>
  loadAwsSdk(
    () => import('@aws-sdk/client-athena'),
    '@aws-sdk/client-athena',
    '--athena talks to Amazon Athena',
  );

const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 5_000;

/** Runs one statement in Athena; rows (if any) go to `onRow`, header row left out. */
export async function runAthena(
  sql: string,
  o: AthenaOptions,
  onRow: (row: Row) => void,
): Promise<AthenaOutcome> {
  const sdk = await load();
  const client = new sdk.AthenaClient({
    ...(o.region ? { region: o.region } : {}),
    ...(o.endpoint ? { endpoint: o.endpoint } : {}),
  });
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const call = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (err) {
      const e = err as Error & { name?: string };
      throw new LeastprivError(
        'io',
        `Athena ${what} failed: ${e.name ?? 'Error'}: ${e.message}; check the credentials, the region, --workgroup and --output-location`,
      );
    }
  };
  const started = await call('StartQueryExecution', () =>
    client.send(
      new sdk.StartQueryExecutionCommand({
        QueryString: sql,
        WorkGroup: o.workgroup,
        QueryExecutionContext: { Database: o.database, Catalog: o.catalog },
        ...(o.outputLocation ? { ResultConfiguration: { OutputLocation: o.outputLocation } } : {}),
      }),
    ),
  );
  const id = started.QueryExecutionId;
  if (!id) throw new LeastprivError('io', 'Athena StartQueryExecution returned no query id');
  const t0 = Date.now();
  let delay = FIRST_DELAY_MS;
  let scannedBytes = 0;
  let engineMs = 0;
  for (;;) {
    if (o.signal?.aborted) {
      await client.send(new sdk.StopQueryExecutionCommand({ QueryExecutionId: id })).catch(() => undefined);
      throw new LeastprivError('io', `Athena query ${id} was stopped (interrupted)`);
    }
    const got = await call(`GetQueryExecution of query ${id}`, () =>
      client.send(new sdk.GetQueryExecutionCommand({ QueryExecutionId: id })),
    );
    const q = got.QueryExecution;
    const state = q?.Status?.State ?? 'UNKNOWN';
    scannedBytes = q?.Statistics?.DataScannedInBytes ?? scannedBytes;
    engineMs = q?.Statistics?.EngineExecutionTimeInMillis ?? engineMs;
    o.onProgress?.({ state, scannedBytes, seconds: (Date.now() - t0) / 1000 });
    if (state === 'SUCCEEDED') break;
    if (state === 'FAILED' || state === 'CANCELLED') {
      const why = q?.Status?.StateChangeReason ?? q?.Status?.AthenaError?.ErrorMessage ?? 'no reason given';
      throw new LeastprivError(
        'io',
        `Athena query ${id} ${state === 'FAILED' ? 'failed' : 'was cancelled'}: ${why}${state === 'FAILED' ? '; --print-query shows the query' : ''}`,
      );
    }
    if (state !== 'QUEUED' && state !== 'RUNNING')
      throw new LeastprivError('io', `Athena query ${id} is in an unknown state ${JSON.stringify(state)}`);
    await sleep(delay);
    delay = Math.min(Math.round(delay * 1.5), MAX_DELAY_MS);
  }

  let rows = 0;
  let token: string | undefined;
  let names: string[] | null = null;
  do {
    const page = await call(`GetQueryResults of query ${id}`, () =>
      client.send(
        new sdk.GetQueryResultsCommand({
          QueryExecutionId: id,
          MaxResults: 1000,
          ...(token ? { NextToken: token } : {}),
        }),
      ),
    );
    const list = page.ResultSet?.Rows ?? [];
    let start = 0;
    if (names === null) {
      names = (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => c.Name ?? '');
      // A SELECT's first row repeats the column names.
      const first = list[0]?.Data?.map((d) => d.VarCharValue ?? '');
      if (first && first.length === names.length && first.every((v, i) => v === names?.[i])) start = 1;
    }
    for (let i = start; i < list.length; i++) {
      const data = list[i]?.Data ?? [];
      const row: Record<string, string | null> = {};
      names.forEach((name, j) => {
        row[name] = data[j]?.VarCharValue ?? null;
      });
      rows++;
      onRow(row as Row);
    }
    token = page.NextToken;
  } while (token);
  return { queryId: id, scannedBytes, engineMs, rows };
}
