/**
 * The grouping query's two dialects: the Trino text golden-tested (test/cases/sql, reviewed by
 * hand) and parsed by DuckDB's parser (the dialects share their syntax where they coincide);
 * the DuckDB text run for real on small files to check what a group's key leaves out and how
 * it stands in for it; the Athena table DDL; the row reader; the price of a query.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { NO_FILTERS } from '../../../src/capture/cloudtrail/filters.js';
import { athenaCost } from '../../../src/capture/sql/athena.js';
import { createTableDdl, tableSpecProblem } from '../../../src/capture/sql/ddl.js';
import { runDuckDb } from '../../../src/capture/sql/duckdb.js';
import { duckdbLogFiles, trailQuery } from '../../../src/capture/sql/query.js';
import { groupedEvents, type Row } from '../../../src/capture/sql/rows.js';

const CASES = fileURLToPath(new URL('../../../../test/cases/sql/', import.meta.url));
const golden = (name: string) => readFileSync(join(CASES, name), 'utf8');

const TABLE = '"AwsDataCatalog"."default"."cloudtrail_logs"';

/** DuckDB's parser on a statement: null when it parses, else its error. */
async function parseError(sql: string): Promise<string | null> {
  const db = await DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  });
  const c = await db.connect();
  const r = await c.runAndReadAll(`SELECT json_serialize_sql(${`'${sql.replace(/'/g, "''")}'`})`);
  const parsed = JSON.parse(String(r.getRows()[0]?.[0])) as { error: boolean; error_message?: string };
  return parsed.error ? (parsed.error_message ?? 'error') : null;
}

describe('the Trino grouping query (Athena)', () => {
  const filtered = trailQuery({
    dialect: 'trino',
    from: TABLE,
    filters: {
      ...NO_FILTERS,
      since: Date.parse('2026-11-01T00:00:00.000Z'),
      until: Date.parse('2026-11-02T23:59:59.999Z'),
      accounts: ['111122223333'],
      regions: ['us-east-1'],
    },
    partitions: true,
  });
  const plain = trailQuery({
    dialect: 'trino',
    from: TABLE,
    filters: { ...NO_FILTERS, principals: ['arn:aws:iam::*:role/ci-*'] },
    partitions: false,
  });

  it('is the reviewed text, with filters and partition pruning', () => {
    assert.equal(`${filtered}\n`, golden('trino-filters.sql'));
  });

  it('is the reviewed text on a plain table with a principal filter (the session ARN is kept)', () => {
    assert.equal(`${plain}\n`, golden('trino-principal-plain.sql'));
    assert.match(plain, /^ {2}useridentity\.arn AS identity_arn,$/m);
    assert.doesNotMatch(plain, /"timestamp"|account IN|region IN/);
  });

  it('parses (DuckDB parser: the syntax the dialects share)', async () => {
    assert.equal(await parseError(filtered), null);
    assert.equal(await parseError(plain), null);
    // The check can fail: a broken statement is reported.
    assert.match((await parseError(filtered.replace('GROUP BY', 'GROUP'))) ?? '', /syntax error/i);
  });

  it('quotes what the user typed', () => {
    const q = trailQuery({
      dialect: 'trino',
      from: TABLE,
      filters: { ...NO_FILTERS, regions: ["us-east-1') OR (1=1"] },
      partitions: true,
    });
    assert.match(q, /awsregion IN \('us-east-1''\) OR \(1=1'\)/);
  });
});

describe('the DuckDB grouping query, run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lp-sql-'));
  const identity = {
    type: 'AssumedRole',
    arn: 'arn:aws:sts::111122223333:assumed-role/app/s1',
    accountId: '111122223333',
    sessionContext: { sessionIssuer: { arn: 'arn:aws:iam::111122223333:role/app' } },
  };
  const rec = (name: string, source: string, params: unknown, session = 's1') => ({
    eventTime: '2026-11-01T00:00:00Z',
    eventSource: source,
    eventName: name,
    awsRegion: 'us-east-1',
    recipientAccountId: '111122223333',
    eventType: 'AwsApiCall',
    userIdentity: { ...identity, arn: `arn:aws:sts::111122223333:assumed-role/app/${session}` },
    requestParameters: params,
  });
  const file = join(dir, 'log.json');
  writeFileSync(
    file,
    JSON.stringify({
      Records: [
        rec('PutItem', 'dynamodb.amazonaws.com', { tableName: 'T', item: { id: { S: '1' } } }, 's1'),
        rec('PutItem', 'dynamodb.amazonaws.com', { tableName: 'T', item: { id: { S: '2' } } }, 's2'),
        rec('RunInstances', 'ec2.amazonaws.com', { instanceType: 't3.micro', clientToken: 'a' }),
        rec('RunInstances', 'ec2.amazonaws.com', { instanceType: 't3.micro', clientToken: 'b' }),
        rec('RunInstances', 'ec2.amazonaws.com', { instanceType: 't3.micro', clientToken: '' }),
        rec('RunInstances', 'ec2.amazonaws.com', { instanceType: 't3.micro', clientToken: 'arn:aws:x:::y' }),
        rec('GetObject', 's3.amazonaws.com', { bucketName: 'b', key: 'k1' }),
        rec('GetObject', 's3.amazonaws.com', { bucketName: 'b', key: 'k2' }),
      ],
    }),
  );

  async function rows(filters = NO_FILTERS): Promise<Row[]> {
    const out: Row[] = [];
    await runDuckDb(
      trailQuery({ dialect: 'duckdb', from: duckdbLogFiles([file], false), filters, partitions: false }),
      (r) => out.push(r),
    );
    return out;
  }

  it('groups by what the fold reads: items and tokens stand in, sessions of one role merge, keys stay apart', async () => {
    const got = (await rows()).map((r) => [
      r.event_name,
      r.request_parameters,
      Number(r.events),
      r.identity_arn,
    ]);
    got.sort((a, b) => (String(a) < String(b) ? -1 : 1));
    assert.deepEqual(got, [
      ['GetObject', '{"bucketName":"b","key":"k1"}', 1, null],
      ['GetObject', '{"bucketName":"b","key":"k2"}', 1, null],
      ['PutItem', '{"tableName":"T","item":1}', 2, null],
      ['RunInstances', '{"instanceType":"t3.micro","clientToken":"arn:aws:x:::y"}', 1, null],
      ['RunInstances', '{"instanceType":"t3.micro","clientToken":1}', 2, null],
      ['RunInstances', '{"instanceType":"t3.micro"}', 1, null],
    ]);
  });

  it('keeps the session ARN in the key when a principal filter may match it', async () => {
    const got = await rows({ ...NO_FILTERS, principals: ['*'] });
    const put = got.filter((r) => r.event_name === 'PutItem').map((r) => r.identity_arn);
    assert.deepEqual(put, [
      'arn:aws:sts::111122223333:assumed-role/app/s1',
      'arn:aws:sts::111122223333:assumed-role/app/s2',
    ]);
  });

  it('a row reads back as the records it stands for', async () => {
    const put = (await rows()).find((r) => r.event_name === 'PutItem');
    assert.ok(put);
    const g = groupedEvents(put);
    assert.ok(!('error' in g));
    assert.equal(g.count, 2);
    assert.equal(g.event.identity.issuerArn, 'arn:aws:iam::111122223333:role/app');
    assert.equal(g.event.identity.arn, undefined);
    assert.deepEqual(groupedEvents({ event_name: 'X' }), {
      error:
        'a row without its count or times (columns: identity_type, identity_arn, identity_account, invoked_by, user_name, issuer_arn, event_type, event_source, event_name, aws_region, recipient_account, api_version, error_code, request_parameters, resource_arns, events, first_seen, last_seen, log_file, log_records)',
    });
  });
});

describe('the Athena table', () => {
  const spec = {
    table: 'cloudtrail_logs',
    location: 's3://trail-bucket/AWSLogs/o-a1b2c3d4e5/',
    accounts: ['111122223333', '444455556666'],
    regions: ['us-east-1', 'eu-west-1'],
    since: '2026/01/01',
  };

  it('is the reviewed DDL: the documented columns, account/region/day projected', () => {
    assert.equal(`${createTableDdl(spec)};\n`, golden('create-table.sql'));
  });

  it('refuses a location, accounts or regions it cannot project, each with what to give', () => {
    assert.equal(tableSpecProblem(spec), null);
    assert.equal(tableSpecProblem({ ...spec, location: 's3://trail-bucket/AWSLogs/' }), null);
    assert.match(
      tableSpecProblem({ ...spec, location: 's3://trail-bucket/' }) ?? '',
      /must be the trail's AWSLogs\/ prefix/,
    );
    assert.match(tableSpecProblem({ ...spec, accounts: [] }) ?? '', /--account ID/);
    assert.match(tableSpecProblem({ ...spec, regions: [] }) ?? '', /--region NAME/);
    assert.match(tableSpecProblem({ ...spec, table: 'x; DROP' }) ?? '', /plain table name/);
  });
});

describe('the price of a query', () => {
  it('is $5 per TB scanned, 10 MB at least, by the megabyte', () => {
    assert.equal(athenaCost(0), (10 / 2 ** 20) * 5);
    assert.equal(athenaCost(2 ** 40), 5);
    assert.equal(athenaCost(2 ** 40 + 1), ((2 ** 20 + 1) / 2 ** 20) * 5);
  });
});
