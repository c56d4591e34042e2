/**
 * The CloudTrail grouping query, in two dialects: Trino (Amazon Athena, engine version 3) and
 * DuckDB. One row per distinct (identity, event source, event name, region, account, API
 * version, error, request parameters, resources), with a count and the first and last time
 * seen: only this aggregate leaves the engine. The rows are folded again by the same code that
 * reads log files (`Aggregator.addGrouped`), so a group here must never merge records that the
 * fold tells apart; it may split records the fold merges (then the fold merges them).
 *
 * What is left out of a group's key is exactly what the fold leaves out, from its own list
 * (`IRRELEVANT_MEMBERS`): idempotency tokens and DynamoDB item contents, each standing in as
 * the fold stands them in (an ARN as it is, 1 when present, absent otherwise). Pure: builds text.
 */
import { IRRELEVANT_MEMBERS } from '../cloudtrail/aggregate.js';
import type { TrailFilters } from '../cloudtrail/filters.js';

export type Dialect = 'trino' | 'duckdb';

/** The columns of every row, in order. */
export const COLUMNS = [
  'identity_type',
  'identity_arn',
  'identity_account',
  'invoked_by',
  'user_name',
  'issuer_arn',
  'event_type',
  'event_source',
  'event_name',
  'aws_region',
  'recipient_account',
  'api_version',
  'error_code',
  'request_parameters',
  'resource_arns',
  'events',
  'first_seen',
  'last_seen',
  'log_file',
  'log_records',
] as const;
export type Column = (typeof COLUMNS)[number];

/** Separates the ARNs of `resource_arns` (never part of an ARN). */
export const ARN_SEPARATOR = '\n';

export interface QueryOptions {
  dialect: Dialect;
  /** The relation the records are read from: a quoted table name, or a subquery. */
  from: string;
  filters: TrailFilters;
  /**
   * The table has the partition columns of `createTableDdl` (account, region, timestamp):
   * the filters then also prune partitions, which is what makes Athena scan less.
   */
  partitions: boolean;
  /**
   * The relation is `duckdbLogFiles`: one more row per file read, with its name and how many
   * records it holds (null when it holds no `Records` array), so that a file the engine read
   * nothing from is told apart from a file with no calls.
   */
  files?: boolean;
}

/** A SQL string literal. */
export const literal = (s: string): string => `'${s.replace(/'/g, "''")}'`;
/** A quoted SQL identifier. */
export const identifier = (s: string): string => `"${s.replace(/"/g, '""')}"`;
const list = (values: readonly string[]) => values.map(literal).join(', ');

/** The grouping query. */
export function trailQuery(o: QueryOptions): string {
  const d = o.dialect;
  const f = o.filters;
  const where: string[] = [];
  const account = 'COALESCE(recipientaccountid, useridentity.accountid)';
  if (f.accounts.length) where.push(`${account} IN (${list(f.accounts)})`);
  if (f.regions.length) where.push(`awsregion IN (${list(f.regions)})`);
  if (f.since !== null) where.push(`${timestamp(d, 'eventtime')} >= ${timeLiteral(d, f.since)}`);
  if (f.until !== null) where.push(`${timestamp(d, 'eventtime')} <= ${timeLiteral(d, f.until)}`);
  if (o.partitions) where.push(...partitionPredicates(f));
  // A session's own ARN names the role only when it has no issuer: otherwise the issuer is the
  // principal, and the session ARN (unique per session) is left out of the key, unless a
  // principal filter may match it.
  const identityArn =
    f.principals.length > 0
      ? 'useridentity.arn'
      : `CASE WHEN useridentity.type IN ('AssumedRole', 'FederatedUser') AND useridentity.sessioncontext.sessionissuer.arn IS NOT NULL THEN NULL ELSE useridentity.arn END`;
  const keys: [Column, string][] = [
    ['identity_type', 'useridentity.type'],
    ['identity_arn', identityArn],
    ['identity_account', 'useridentity.accountid'],
    ['invoked_by', 'useridentity.invokedby'],
    ['user_name', 'useridentity.username'],
    ['issuer_arn', 'useridentity.sessioncontext.sessionissuer.arn'],
    ['event_type', 'eventtype'],
    ['event_source', 'eventsource'],
    ['event_name', 'eventname'],
    ['aws_region', 'awsregion'],
    ['recipient_account', 'recipientaccountid'],
    ['api_version', 'apiversion'],
    ['error_code', 'errorcode'],
    ['request_parameters', parametersKey(d, 'requestparameters')],
    ['resource_arns', resourceArns(d)],
    ...(o.files
      ? ([
          ['log_file', 'log_file'],
          ['log_records', 'log_records'],
        ] as [Column, string][])
      : []),
  ];
  const select = [
    ...keys.map(([name, expr]) => `  ${expr} AS ${name}`),
    '  COUNT(*) AS events',
    '  MIN(eventtime) AS first_seen',
    '  MAX(eventtime) AS last_seen',
  ];
  const positions = keys.map((_, i) => String(i + 1)).join(', ');
  return [
    'SELECT',
    select.join(',\n'),
    `FROM ${o.from}`,
    ...(where.length === 0
      ? []
      : o.files
        ? [`WHERE log_file IS NOT NULL OR (${where.join('\n  AND ')})`]
        : [`WHERE ${where.join('\n  AND ')}`]),
    `GROUP BY ${positions}`,
    // Earliest first: the fold keeps the first row of equal needs as its example.
    `ORDER BY first_seen, ${positions}`,
  ].join('\n');
}

function timestamp(d: Dialect, column: string): string {
  return d === 'trino' ? `TRY(from_iso8601_timestamp(${column}))` : `TRY_CAST(${column} AS TIMESTAMPTZ)`;
}

function timeLiteral(d: Dialect, ms: number): string {
  const iso = new Date(ms).toISOString();
  return d === 'trino' ? `from_iso8601_timestamp(${literal(iso)})` : `CAST(${literal(iso)} AS TIMESTAMPTZ)`;
}

/** The partition columns of `createTableDdl`, narrowed by the filters. */
function partitionPredicates(f: TrailFilters): string[] {
  const out: string[] = [];
  if (f.accounts.length) out.push(`account IN (${list(f.accounts)})`);
  if (f.regions.length) out.push(`region IN (${list(f.regions)})`);
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10).replace(/-/g, '/');
  if (f.since !== null) out.push(`"timestamp" >= ${literal(day(f.since))}`);
  if (f.until !== null) out.push(`"timestamp" <= ${literal(day(f.until))}`);
  return out;
}

/** The ARNs of `resources[]`, in order, joined by ARN_SEPARATOR (NULL when there are none). */
function resourceArns(d: Dialect): string {
  return d === 'trino'
    ? `NULLIF(array_join(transform(resources, r -> r.arn), chr(10)), '')`
    : `NULLIF(array_to_string(list_transform(resources, lambda r: r.arn), chr(10)), '')`;
}

/**
 * The request parameters as a group key: the text itself, or, when it may hold members the
 * fold leaves out, the text with those members standing in for their values.
 */
function parametersKey(d: Dialect, p: string): string {
  const cases = IRRELEVANT_MEMBERS.bySource.map(
    ({ source, members }) => `WHEN eventsource = ${literal(source)} THEN ${patched(d, p, members)}`,
  );
  // Both token names end in `Token"`: the other records keep their text as it is.
  cases.push(`WHEN strpos(${p}, 'Token"') > 0 THEN ${patched(d, p, IRRELEVANT_MEMBERS.any)}`);
  return `CASE ${cases.join(' ')} ELSE ${p} END`;
}

/** `p` with each member replaced by what stands in for it (removed when not present). */
function patched(d: Dialect, p: string, members: readonly string[]): string {
  if (d === 'duckdb') {
    const patch = members.map((m) => `${literal(m)}, ${stand(d, p, m)}`).join(', ');
    return `CASE WHEN json_valid(${p}) AND json_type(${p}) = 'OBJECT' THEN CAST(json_merge_patch(${p}, json_object(${patch})) AS VARCHAR) ELSE ${p} END`;
  }
  const names = `ARRAY[${list(members)}]`;
  const kept = `map_filter(CAST(json_parse(${p}) AS MAP(VARCHAR, JSON)), (k, v) -> NOT contains(${names}, k))`;
  const stood = `map_filter(MAP(${names}, ARRAY[${members.map((m) => stand(d, p, m)).join(', ')}]), (k, v) -> v IS NOT NULL)`;
  return `COALESCE(TRY(json_format(CAST(map_concat(${kept}, ${stood}) AS JSON))), ${p})`;
}

/** What stands in for a member: NULL when absent or not present, an ARN as it is, else 1. */
function stand(d: Dialect, p: string, member: string): string {
  const path = literal(`$.${member}`);
  const value =
    d === 'trino'
      ? `json_format(json_extract(${p}, ${path}))`
      : `CAST(json_extract(${p}, ${path}) AS VARCHAR)`;
  const text = `json_extract_scalar(${p}, ${path})`;
  const scalar = d === 'trino' ? text : `json_extract_string(${p}, ${path})`;
  const arn = d === 'trino' ? `CAST(${scalar} AS JSON)` : `to_json(${scalar})`;
  const one = d === 'trino' ? `JSON '1'` : `CAST('1' AS JSON)`;
  return `CASE WHEN ${value} IS NULL OR ${value} IN ('null', '""', 'false', '[]', '{}') THEN NULL WHEN ${scalar} LIKE 'arn:%' THEN ${arn} ELSE ${one} END`;
}

/**
 * DuckDB's relation over CloudTrail log files as delivered (`{"Records": [...]}`, plain or
 * gzip): the records with the column names and shapes of the Athena table, so that the one
 * query reads both. Extensions are never installed or loaded from the network: JSON is built in.
 */
export function duckdbLogFiles(files: readonly string[], markers = true): string {
  // Records read straight into typed structs: each record is parsed once, by the reader.
  const record = [
    'eventTime VARCHAR',
    'eventSource VARCHAR',
    'eventName VARCHAR',
    'awsRegion VARCHAR',
    'eventType VARCHAR',
    'recipientAccountId VARCHAR',
    'errorCode VARCHAR',
    'apiVersion VARCHAR',
    'userIdentity STRUCT(type VARCHAR, arn VARCHAR, accountId VARCHAR, invokedBy VARCHAR, userName VARCHAR, sessionContext STRUCT(sessionIssuer STRUCT(arn VARCHAR)))',
    'requestParameters JSON',
    'resources STRUCT(ARN VARCHAR)[]',
  ].join(', ');
  const u = 'e.userIdentity';
  const columns = [
    'e.eventTime AS eventtime',
    'e.eventSource AS eventsource',
    'e.eventName AS eventname',
    'e.awsRegion AS awsregion',
    'e.eventType AS eventtype',
    'e.recipientAccountId AS recipientaccountid',
    'e.errorCode AS errorcode',
    'e.apiVersion AS apiversion',
    `{'type': ${u}.type, 'arn': ${u}.arn, 'accountid': ${u}.accountId, 'invokedby': ${u}.invokedBy, 'username': ${u}.userName, 'sessioncontext': {'sessionissuer': {'arn': ${u}.sessionContext.sessionIssuer.arn}}} AS useridentity`,
    `NULLIF(CAST(e.requestParameters AS VARCHAR), 'null') AS requestparameters`,
    `list_transform(e.resources, lambda r: {'arn': r.ARN}) AS resources`,
  ];
  const read = `read_json([${list(files)}], columns = {Records: ${literal(`STRUCT(${record})[]`)}}, format = 'unstructured', maximum_object_size = 1073741824, filename = true)`;
  if (!markers) return `(SELECT ${columns.join(', ')} FROM (SELECT unnest(Records) AS e FROM ${read}))`;
  // Each file's records after a NULL standing for the file itself: its name, and how many
  // records it holds (NULL when it has no Records array).
  columns.push(
    'CASE WHEN e IS NULL THEN filename END AS log_file',
    'CASE WHEN e IS NULL THEN records END AS log_records',
  );
  const events = `SELECT unnest(list_prepend(NULL, COALESCE(Records, []))) AS e, filename, len(Records) AS records FROM ${read}`;
  return `(SELECT ${columns.join(', ')} FROM (${events}))`;
}
