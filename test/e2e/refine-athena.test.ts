/**
 * `usage.athena` in `leastpriv refine`: the role's calls come from the trail's Athena table.
 * Athena is moto's (StartQueryExecution, GetQueryExecution, GetQueryResults), seeded with the
 * rows the DuckDB twin of the grouping query computes from a log tree; a local server in front
 * of moto records what was sent. Exact checks: the query (the one `trail --athena --print-query`
 * shows for the role), the commit's file and the usage line of its message.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NO_FILTERS } from '../../src/capture/cloudtrail/filters.js';
import { runDuckDb } from '../../src/capture/sql/duckdb.js';
import { COLUMNS, duckdbLogFiles, trailQuery } from '../../src/capture/sql/query.js';
import { type ApiServer, startApiServer } from './api-answers.js';
import { git, initRepo } from './git-repo.js';
import { CLI, exec, type Moto, ROOT, startMoto, tempDir, testEnv } from './support.js';

const ACCOUNT = '123456789012';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/app`;
const FIXTURES = join(ROOT, 'test', 'fixtures', 'review');

function record(role: string, session: string, time: string, source: string, name: string, params: unknown) {
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/${session}`,
      accountId: ACCOUNT,
      sessionContext: { sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${ACCOUNT}:role/${role}` } },
    },
    eventTime: time,
    eventSource: source,
    eventName: name,
    awsRegion: 'us-east-1',
    requestParameters: params,
    eventType: 'AwsApiCall',
    recipientAccountId: ACCOUNT,
  };
}

describe('leastpriv refine with usage.athena', { timeout: 90_000 }, () => {
  let moto: Moto;
  let server: ApiServer;
  let repo: string;
  let env: NodeJS.ProcessEnv;
  const original = fs.readFileSync(join(FIXTURES, 'repo', 'policies', 'app.json'), 'utf8');

  before(async () => {
    moto = await startMoto();
    server = await startApiServer({ answer: () => null, forward: moto.url });
    const work = tempDir('refine-athena');
    // The trail: the app role's calls (two sessions), and the ci role's, which must not count.
    const logs = join(work, 'logs.json');
    const queue = `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/jobs`;
    fs.writeFileSync(
      logs,
      JSON.stringify({
        Records: [
          record('app', 'i-1', '2026-11-22T09:00:00Z', 'dynamodb.amazonaws.com', 'PutItem', {
            tableName: 'Orders',
            item: { id: { S: '1' } },
          }),
          record('app', 'i-2', '2026-11-22T09:00:01Z', 'sqs.amazonaws.com', 'SendMessage', {
            queueUrl: queue,
          }),
          record('app', 'i-2', '2026-11-22T09:00:02Z', 's3.amazonaws.com', 'GetObject', {
            bucketName: 'reports',
            key: 'q1.csv',
          }),
          record('ci', 'gh-1', '2026-11-22T09:00:03Z', 'ec2.amazonaws.com', 'DescribeInstances', {}),
        ],
      }),
    );
    // The rows Athena returns: the grouping query (DuckDB dialect) over the whole trail.
    const names = COLUMNS.filter((c) => !c.startsWith('log_'));
    const rows: { Data: { VarCharValue?: string }[] }[] = [{ Data: names.map((n) => ({ VarCharValue: n })) }];
    await runDuckDb(
      trailQuery({
        dialect: 'duckdb',
        from: duckdbLogFiles([logs], false),
        filters: NO_FILTERS,
        partitions: false,
      }),
      (row) => {
        rows.push({ Data: names.map((n) => (row[n] == null ? {} : { VarCharValue: String(row[n]) })) });
      },
    );
    assert.equal(rows.length, 5, 'a header and one row per distinct call');
    const seeded = await fetch(`${moto.url}/moto-api/static/athena/query-results`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        results: [{ rows, column_info: names.map((Name) => ({ Name, Type: 'varchar' })) }],
      }),
    });
    assert.equal(seeded.status, 201);

    repo = join(work, 'repo');
    fs.cpSync(join(FIXTURES, 'repo'), repo, { recursive: true });
    fs.writeFileSync(
      join(repo, 'athena.yaml'),
      `roles:
  - name: app
    arn: ${ROLE_ARN}
    policy: policies/app.json
    usage:
      athena:
        database: trails
        table: ct
        output_location: s3://athena-results/refine/
`,
    );
    env = testEnv(tempDir('refine-athena-home'), {
      GITHUB_STEP_SUMMARY: undefined,
      GIT_CONFIG_NOSYSTEM: '1',
      HOME: work,
    });
    initRepo(repo);
  });

  after(async () => {
    await server?.stop();
    await moto?.stop();
  });

  it("queries the role's calls in Athena and commits what they add", async () => {
    const head = git(repo, 'rev-parse', 'HEAD').trim();
    const r = await exec(
      process.execPath,
      [CLI, 'refine', '--config', 'athena.yaml', '--endpoint-url', server.url],
      { env, cwd: repo, timeoutMs: 60_000 },
    );
    assert.equal(r.code, 1, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);

    // The query sent is the one `trail --athena` runs for the role, in the table configured.
    const start = server.requests.find((q) => q.operation === 'StartQueryExecution');
    const printed = spawnSync(
      process.execPath,
      [
        CLI,
        'trail',
        '--athena',
        '--print-query',
        '--database',
        'trails',
        '--table',
        'ct',
        '--principal',
        ROLE_ARN,
      ],
      { encoding: 'utf8', env },
    );
    assert.equal(start?.params.QueryString, printed.stdout.trimEnd());
    assert.deepEqual(start?.params.QueryExecutionContext, { Database: 'trails', Catalog: 'AwsDataCatalog' });
    assert.deepEqual(start?.params.ResultConfiguration, { OutputLocation: 's3://athena-results/refine/' });

    // Only the app role's calls count: sqs:SendMessage is added, nothing else.
    const app = git(repo, 'rev-parse', 'leastpriv/refine-app').trim();
    assert.equal(git(repo, 'rev-parse', `${app}^`).trim(), head);
    assert.equal(git(repo, 'diff', '--name-only', head, app), 'policies/app.json\n');
    const doc = JSON.parse(original);
    doc.Statement.push({
      Sid: 'SQSWriteJobsQueue',
      Effect: 'Allow',
      Action: 'sqs:SendMessage',
      Resource: `arn:aws:sqs:us-east-1:${ACCOUNT}:jobs`,
    });
    assert.equal(git(repo, 'show', `${app}:policies/app.json`), `${JSON.stringify(doc, null, 2)}\n`);
    const message = git(repo, 'log', '-1', '--format=%B', app);
    assert.match(
      message,
      /\nUsage: 3 calls from `Athena trails\.ct \(query [0-9a-f-]{36}\)`, 2026-11-22T09:00:00Z to 2026-11-22T09:00:02Z\.\n/,
    );
  });
});
