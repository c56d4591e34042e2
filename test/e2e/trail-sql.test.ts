/**
 * Issue 15: `leastpriv trail` on SQL engines. DuckDB runs the grouping query for real over log
 * trees (the fixture tree and a tree of the shapes that hide permissions); its policies and
 * calls logs must be byte-identical to the built-in reader's, under every filter. Athena's flow
 * (StartQueryExecution, GetQueryExecution, GetQueryResults with pagination) runs against moto,
 * seeded through `/moto-api/static/athena/query-results` with the rows DuckDB computed from the
 * same tree: the policy must again be byte-identical. The Trino text itself is not executed
 * here (no Athena): it is golden-tested and parsed in test/unit/sql.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NO_FILTERS, type TrailFilters } from '../../src/capture/cloudtrail/filters.js';
import { runDuckDb } from '../../src/capture/sql/duckdb.js';
import { COLUMNS, duckdbLogFiles, trailQuery } from '../../src/capture/sql/query.js';
import type { Row } from '../../src/capture/sql/rows.js';
import { type Answer, type ApiServer, json, startApiServer } from './api-answers.js';
import { CLI, exec, type Moto, ROOT, startMoto, tempDir, testEnv } from './support.js';
import { ACCOUNT, OTHER, writeTree } from './trail-trees.js';

/** Without blocking the event loop: the test's own API server must answer while it runs. */
const trailAsync = (args: string[], env: NodeJS.ProcessEnv) =>
  exec(process.execPath, [CLI, 'trail', ...args], { env, cwd: ROOT, timeoutMs: 120_000 });

function trail(args: string[], env: NodeJS.ProcessEnv) {
  const r = spawnSync(process.execPath, [CLI, 'trail', ...args], {
    encoding: 'utf8',
    cwd: ROOT,
    env,
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const FILTER_SETS: { name: string; args: string[]; filters: TrailFilters }[] = [
  { name: 'no filter', args: [], filters: NO_FILTERS },
  {
    name: 'a principal glob on the session ARN',
    args: ['--principal', `arn:aws:sts::${ACCOUNT}:assumed-role/ci-deployer/gh-run-*`],
    filters: { ...NO_FILTERS, principals: [`arn:aws:sts::${ACCOUNT}:assumed-role/ci-deployer/gh-run-*`] },
  },
  {
    name: 'one day',
    args: ['--since', '2026-11-02', '--until', '2026-11-02'],
    filters: {
      ...NO_FILTERS,
      since: Date.parse('2026-11-02T00:00:00Z'),
      until: Date.parse('2026-11-02T23:59:59.999Z'),
    },
  },
  {
    name: 'an account and a region',
    args: ['--account', ACCOUNT, '--region', 'eu-west-1'],
    filters: { ...NO_FILTERS, accounts: [ACCOUNT], regions: ['eu-west-1'] },
  },
  { name: 'errors excluded', args: ['--exclude-errors'], filters: NO_FILTERS },
  { name: 'denied granted', args: ['--include-denied'], filters: NO_FILTERS },
];

describe('leastpriv trail --engine duckdb', { timeout: 180_000 }, () => {
  const dir = tempDir('trail-sql');
  const env = testEnv(dir);
  const tree = writeTree(dir);

  for (const set of FILTER_SETS) {
    it(`writes the built-in reader's policy and calls log byte for byte: ${set.name}`, () => {
      const out = (engine: string[]) => {
        const calls = join(dir, `calls-${engine.join('')}-${set.name.replace(/\W+/g, '-')}.ndjson`);
        const r = trail([tree, ...set.args, ...engine, '--calls', calls], env);
        assert.equal(r.code, 0, r.stderr);
        return { policy: r.stdout, calls: readFileSync(calls, 'utf8'), stderr: r.stderr, path: calls };
      };
      const builtin = out([]);
      const duck = out(['--engine', 'duckdb']);
      assert.equal(duck.policy, builtin.policy);
      assert.equal(duck.calls, builtin.calls);
      // Everything but the first line (the reader and its speed) and the counts of records the
      // engine's WHERE left out before grouping (the built-in reader counts them one by one).
      const rest = (text: string, calls: string) =>
        text
          .split('\n')
          .slice(1)
          .filter((l) => !/^ {2}(left out by filters|\d+ records are not API calls)/.test(l))
          .join('\n')
          .replace(calls, 'CALLS');
      assert.equal(rest(duck.stderr, duck.path), rest(builtin.stderr, builtin.path));
    });
  }

  it('grants exactly what the hidden shapes need (no filter)', () => {
    const r = trail([tree, '--engine', 'duckdb'], env);
    assert.equal(r.code, 0, r.stderr);
    const policy = JSON.parse(r.stdout) as {
      Statement: { Action: unknown; Resource: unknown; Condition?: unknown }[];
    };
    const A = ACCOUNT;
    assert.deepEqual(
      policy.Statement.map((s) => [s.Action, s.Resource, s.Condition ?? null]),
      [
        ['cloudwatch:GetMetricData', '*', null],
        ['cloudwatch:PutMetricData', '*', null],
        ['dynamodb:PutItem', `arn:aws:dynamodb:us-east-1:${A}:table/Orders`, null],
        [
          'ec2:RunInstances',
          [
            `arn:aws:ec2:us-east-1:${A}:instance/*`,
            `arn:aws:ec2:us-east-1:${A}:network-interface/*`,
            `arn:aws:ec2:us-east-1:${A}:security-group/*`,
            `arn:aws:ec2:us-east-1:${A}:subnet/*`,
            'arn:aws:ec2:us-east-1::image/*',
          ],
          null,
        ],
        ['elasticloadbalancing:DescribeLoadBalancers', '*', null],
        [
          'iam:PassRole',
          `arn:aws:iam::${A}:role/lambda-exec`,
          { StringEquals: { 'iam:PassedToService': ['lambda.amazonaws.com'] } },
        ],
        ['kms:Decrypt', `arn:aws:kms:eu-west-1:${A}:key/1234abcd-12ab-34cd-56ef-1234567890ab`, null],
        ['lambda:GetFunction', `arn:aws:lambda:us-east-1:${A}:function:orders`, null],
        [
          ['lambda:CreateFunction', 'lambda:UpdateFunctionCode'],
          `arn:aws:lambda:us-east-1:${A}:function:orders`,
          null,
        ],
        ['s3:ListBucket', ['arn:aws:s3:::orders-prod', 'arn:aws:s3:::shared-artifacts'], null],
        ['s3:GetObject', ['arn:aws:s3:::orders-prod/in/a.csv', 'arn:aws:s3:::orders-prod/missing.csv'], null],
        [
          'secretsmanager:CreateSecret',
          `arn:aws:secretsmanager:us-east-1:${A}:secret:db-password-??????`,
          null,
        ],
        ['sqs:GetQueueAttributes', `arn:aws:sqs:us-east-1:${A}:jobs`, null],
      ],
    );
    assert.match(
      r.stderr,
      /^leastpriv: DuckDB read 6 of 6 files, 25 events in [\d.]+ s \([\d,]+ events\/s\); kept 24 → 19 distinct calls by 2 principals\n/,
    );
    assert.match(r.stderr, /\n {2}1 records are not API calls/);
  });

  it('the fixture tree: the same policies per principal, and the same files skipped', () => {
    const logs = join(ROOT, 'test/fixtures/cloudtrail/logs/AWSLogs');
    const run = (engine: string[]) => {
      const pp = join(dir, `pp-${engine.length}`);
      const r = trail([logs, '--per-principal', pp, ...engine], env);
      assert.equal(r.code, 0, r.stderr);
      const files = [
        '111111111111-role-app-OrdersService.json',
        '111111111111-role-ci-deployer.json',
        '222222222222-user-alice.json',
      ];
      return { files: files.map((f) => readFileSync(join(pp, f), 'utf8')), stderr: r.stderr };
    };
    const builtin = run([]);
    const duck = run(['--engine', 'duckdb']);
    assert.deepEqual(duck.files, builtin.files);
    assert.match(duck.stderr, /skipped 2 files/);
    assert.match(duck.stderr, /_corrupt\.json\.gz: corrupt gzip or empty/);
    assert.match(duck.stderr, /not-cloudtrail\.json: JSON but not CloudTrail log records/);
  });

  it('a file that is not JSON is skipped and named; the others are read', () => {
    const bad = join(
      tree,
      ACCOUNT,
      'CloudTrail',
      'us-east-1',
      '2026/11/03',
      `${ACCOUNT}_CloudTrail_us-east-1_20261103T0010Z_bad.json`,
    );
    writeFileSync(bad, '{"Records": [ {"eventTime": ');
    try {
      const builtin = trail([tree], env);
      const duck = trail([tree, '--engine', 'duckdb'], env);
      assert.equal(duck.code, 0, duck.stderr);
      assert.equal(duck.stdout, builtin.stdout);
      assert.match(duck.stderr, /skipped 1 file:\n.*_bad\.json: rejected by DuckDB \(Malformed JSON/);
    } finally {
      writeFileSync(bad, JSON.stringify({ Records: [] }));
    }
  });

  it('refuses S3 and standard input with a one-line error naming what to do', () => {
    const r = trail(['-', '--engine', 'duckdb'], env);
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      'leastpriv: --engine duckdb reads local files: download s3:// logs first (aws s3 sync), or leave out --engine for standard input and S3\n',
    );
    const e = trail([tree, '--engine', 'sqlite'], env);
    assert.equal(e.code, 2);
    assert.match(e.stderr, /--engine 'sqlite' is not an engine: builtin \(default\) or duckdb/);
  });
});

describe('leastpriv trail --athena against moto', { timeout: 180_000 }, () => {
  let moto: Moto;
  let answers: ApiServer;
  let pageSize = 0;
  let failNext: string | null = null;
  /** The rows moto was seeded with, for the test server's own pages. */
  let seeded: { Data: { VarCharValue?: string }[] }[] = [];
  const dir = tempDir('trail-athena');
  const tree = writeTree(dir);
  const env = testEnv(dir);

  before(async () => {
    moto = await startMoto();
    answers = await startApiServer({
      forward: moto.url,
      answer: (r): Answer | null => {
        if (r.operation === 'GetQueryExecution' && failNext) {
          return json(200, {
            QueryExecution: {
              QueryExecutionId: r.params.QueryExecutionId,
              Status: { State: 'FAILED', StateChangeReason: failNext },
            },
          });
        }
        if (r.operation !== 'GetQueryResults' || pageSize === 0) return null;
        // Pages of `pageSize` rows with a NextToken, shaped as the API reference shows them.
        const start = Number(r.params.NextToken ?? 0);
        const rows = seeded.slice(start, start + pageSize);
        const next = start + pageSize < seeded.length ? String(start + pageSize) : undefined;
        return json(200, {
          ResultSet: {
            Rows: rows,
            ResultSetMetadata: {
              ColumnInfo: COLUMNS.filter((c) => !c.startsWith('log_')).map((Name) => ({
                Name,
                Type: 'varchar',
              })),
            },
          },
          ...(next ? { NextToken: next } : {}),
          UpdateCount: 0,
        });
      },
    });
  });
  after(async () => {
    await answers?.stop();
    await moto?.stop();
  });

  /** The rows Athena would return: the DuckDB twin of the query over the same tree. */
  async function rowsFor(filters: TrailFilters): Promise<{ Data: { VarCharValue?: string }[] }[]> {
    const files = spawnSync('find', [tree, '-type', 'f', '-name', '*.json*'], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n')
      .sort();
    const names = COLUMNS.filter((c) => !c.startsWith('log_'));
    const out: { Data: { VarCharValue?: string }[] }[] = [{ Data: names.map((n) => ({ VarCharValue: n })) }];
    await runDuckDb(
      trailQuery({ dialect: 'duckdb', from: duckdbLogFiles(files, false), filters, partitions: false }),
      (row: Row) => {
        out.push({
          Data: names.map((n) => {
            const v = row[n];
            return v === null || v === undefined ? {} : { VarCharValue: String(v) };
          }),
        });
      },
    );
    return out;
  }

  async function seed(rows: { Data: { VarCharValue?: string }[] }[]): Promise<void> {
    seeded = rows;
    const res = await fetch(`${moto.url}/moto-api/static/athena/query-results`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        account_id: '123456789012',
        region: 'us-east-1',
        results: [
          {
            rows,
            column_info: COLUMNS.filter((c) => !c.startsWith('log_')).map((Name) => ({
              Name,
              Type: 'varchar',
            })),
          },
        ],
      }),
    });
    assert.equal(res.status, 201, await res.text());
  }

  for (const [i, set] of FILTER_SETS.entries()) {
    it(`the grouped rows give the built-in reader's policy and calls log: ${set.name}${i % 2 ? ' (pages of 3 rows)' : ''}`, async () => {
      await seed(await rowsFor(set.filters));
      pageSize = i % 2 ? 3 : 0;
      const before = answers.requests.length;
      const callsA = join(dir, `athena-${i}.ndjson`);
      const callsB = join(dir, `builtin-${i}.ndjson`);
      const athena = await trailAsync(
        [
          '--athena',
          '--endpoint-url',
          answers.url,
          '--workgroup',
          'primary',
          '--database',
          'trails',
          '--output-location',
          's3://athena-results/leastpriv/',
          ...set.args,
          '--calls',
          callsA,
        ],
        env,
      );
      assert.equal(athena.code, 0, athena.stderr);
      const builtin = trail([tree, ...set.args, '--calls', callsB], env);
      assert.equal(athena.stdout, builtin.stdout);
      assert.equal(readFileSync(callsA, 'utf8'), readFileSync(callsB, 'utf8'));
      // What was sent: the query --print-query shows, in the workgroup and database asked for.
      const sent = answers.requests.slice(before);
      const start = sent.find((r) => r.operation === 'StartQueryExecution');
      const printed = trail(['--athena', '--print-query', '--database', 'trails', ...set.args], env);
      assert.equal(start?.params.QueryString, printed.stdout.trimEnd());
      assert.equal(start?.params.WorkGroup, 'primary');
      assert.deepEqual(start?.params.QueryExecutionContext, {
        Database: 'trails',
        Catalog: 'AwsDataCatalog',
      });
      assert.deepEqual(start?.params.ResultConfiguration, {
        OutputLocation: 's3://athena-results/leastpriv/',
      });
      const pages = sent.filter((r) => r.operation === 'GetQueryResults');
      assert.equal(pages.length, pageSize ? Math.ceil(seeded.length / pageSize) : 1);
      assert.match(
        athena.stderr,
        /^leastpriv: Athena query [0-9a-f-]{36} scanned 0 B \(about \$0\.00005 at \$5\/TB\) in [\d.]+ s; \d+ grouped rows, \d+ events; kept/,
      );
    });
  }

  it('a failed query is a one-line error with its id and the reason', async () => {
    failNext = "SYNTAX_ERROR: line 1:8: Column 'useridentity' cannot be resolved";
    try {
      const r = await trailAsync(['--athena', '--endpoint-url', answers.url], env);
      assert.equal(r.code, 2);
      assert.match(
        r.stderr,
        /^leastpriv: Athena query [0-9a-f-]{36} failed: SYNTAX_ERROR: line 1:8: Column 'useridentity' cannot be resolved; --print-query shows the query\n$/,
      );
    } finally {
      failNext = null;
    }
  });

  it('--create-table prints the DDL and, with --athena, runs it', async () => {
    const args = [
      '--create-table',
      '--location',
      's3://trail-bucket/AWSLogs/o-a1b2c3d4e5/',
      '--account',
      ACCOUNT,
      '--account',
      OTHER,
      '--region',
      'us-east-1',
      '--since',
      '2026-01-01',
    ];
    const printed = trail(args, env);
    assert.equal(printed.code, 0, printed.stderr);
    assert.match(
      printed.stdout,
      /^CREATE EXTERNAL TABLE IF NOT EXISTS `cloudtrail_logs` \(\n {4}eventversion STRING,/,
    );
    assert.match(printed.stdout, /'projection.account.values' = '111122223333,444455556666'/);
    assert.match(
      printed.stdout,
      /'storage.location.template' = 's3:\/\/trail-bucket\/AWSLogs\/o-a1b2c3d4e5\/\$\{account\}\/CloudTrail\/\$\{region\}\/\$\{timestamp\}'/,
    );
    assert.match(printed.stdout, /'projection.timestamp.range' = '2026\/01\/01,NOW'/);
    const before = answers.requests.length;
    const ran = await trailAsync([...args, '--athena', '--endpoint-url', answers.url], env);
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(ran.stdout, printed.stdout);
    const start = answers.requests.slice(before).find((r) => r.operation === 'StartQueryExecution');
    assert.equal(start?.params.QueryString, printed.stdout.replace(/;\n$/, ''));
    const missing = trail(['--create-table', '--location', 's3://trail-bucket/AWSLogs/'], env);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--create-table needs the accounts the trail logs: --account ID/);
  });
});
