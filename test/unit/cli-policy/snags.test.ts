/**
 * The snags a new user hits with the commands that need no proxy: options that do not exist
 * (ours misspelt, iamlive's), the two meanings of -f, help, --account-id and --fails-only for
 * generate, and "*" in an ARN's account field for lint.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../../../../test/fixtures/policy/', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'leastpriv-snags-'));
after(() => rmSync(work, { recursive: true, force: true }));

function leastpriv(...args: string[]) {
  const r = spawnSync(process.execPath, [MAIN, ...args], {
    cwd: FIXTURES,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, LEASTPRIV_HOME: join(work, 'home') },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A call made before the account was known, as `run` logs it. */
const ACCOUNTLESS = {
  time: '2026-12-03T07:32:26.437Z',
  source: 'proxy',
  provider: 'aws',
  status: 200,
  error: null,
  service: 'dynamodb',
  operation: 'PutItem',
  region: 'us-east-1',
  account: null,
  actions: ['dynamodb:PutItem'],
  resources: ['arn:aws:dynamodb:us-east-1:*:table/t1'],
  unresolved: null,
  host: 'dynamodb.us-east-1.amazonaws.com',
  method: 'POST',
  path: '/',
  requirements: [
    {
      action: 'dynamodb:PutItem',
      resources: ['arn:aws:dynamodb:us-east-1:*:table/t1'],
      approximate: 'dynamodb:PutItem on table: Account unknown, used *',
    },
  ],
};

const DENIED = {
  time: '2026-12-03T07:32:27.000Z',
  source: 'proxy',
  provider: 'aws',
  status: 403,
  error: 'AccessDenied',
  service: 's3',
  operation: 'GetObject',
  region: 'us-east-1',
  account: '123456789012',
  actions: ['s3:GetObject'],
  resources: ['arn:aws:s3:::artifacts/a.zip'],
  unresolved: null,
  host: 'artifacts.s3.amazonaws.com',
  method: 'GET',
  path: '/a.zip',
  requirements: [{ action: 's3:GetObject', resources: ['arn:aws:s3:::artifacts/a.zip'] }],
};

function callsFile(name: string, records: object[]): string {
  const path = join(work, name);
  writeFileSync(path, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  return path;
}

describe('generate --account-id', () => {
  it('fills the account of calls recorded without one, in the policy and the calls log', () => {
    const log = callsFile('accountless.ndjson', [ACCOUNTLESS]);
    const merged = join(work, 'merged.ndjson');
    const r = leastpriv('generate', log, '--account-id', '111122223333', '--calls', merged);
    assert.equal(r.code, 0, r.stderr);
    const policy = JSON.parse(r.stdout);
    assert.deepEqual(
      policy.Statement.map((s: { Resource: string }) => s.Resource),
      ['arn:aws:dynamodb:us-east-1:111122223333:table/t1'],
    );
    assert.doesNotMatch(r.stderr, /unknown/);
    const record = JSON.parse(readFileSync(merged, 'utf8'));
    assert.equal(record.account, '111122223333');
    assert.deepEqual(record.resources, ['arn:aws:dynamodb:us-east-1:111122223333:table/t1']);
    assert.deepEqual(record.requirements, [
      { action: 'dynamodb:PutItem', resources: ['arn:aws:dynamodb:us-east-1:111122223333:table/t1'] },
    ]);
  });

  it('without it, the note says which option fills the account in', () => {
    const log = callsFile('accountless-2.ndjson', [ACCOUNTLESS]);
    const r = leastpriv('generate', log);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /\n {2}note: [^\n]*dynamodb:PutItem on table: Account unknown, used \* \(pass --account-id ID to fill it in\)\n/,
    );
  });
});

describe('generate --fails-only', () => {
  it('writes only the permissions of the denied calls', () => {
    const log = callsFile('mixed.ndjson', [{ ...ACCOUNTLESS, account: '123456789012' }, DENIED]);
    const all = leastpriv('generate', log, '-q');
    assert.equal(all.code, 0, all.stderr);
    assert.equal(JSON.parse(all.stdout).Statement.length, 2);
    const r = leastpriv('generate', log, '--fails-only', '-q');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).Statement, [
      {
        Sid: 'S3ReadAZipObject',
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: 'arn:aws:s3:::artifacts/a.zip',
      },
    ]);
  });
});

describe('lint: "*" in the account field', () => {
  it('flags a resource ARN that matches every account', () => {
    const path = join(work, 'star-account.json');
    writeFileSync(
      path,
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'Table',
            Effect: 'Allow',
            Action: 'dynamodb:PutItem',
            Resource: 'arn:aws:dynamodb:us-east-1:*:table/t1',
          },
          { Sid: 'Bucket', Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' },
        ],
      }),
    );
    const r = leastpriv('lint', path, '-f', 'json');
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), [
      {
        rule: 'star-account',
        severity: 'warning',
        where: `${path} Table`,
        message:
          'arn:aws:dynamodb:us-east-1:*:table/t1 has "*" for the account: it matches that resource in every account; put the account id there (leastpriv generate --account-id ID)',
      },
    ]);
  });
});

describe('options that do not exist', () => {
  it('a misspelt option gets one line with a "did you mean"', () => {
    const r = leastpriv('generate', 'calls.ndjson', '--outptu', 'x.json');
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      "leastpriv: unknown option --outptu for generate: did you mean --output? (see 'leastpriv generate --help')\n",
    );
    const far = leastpriv('lint', 'policy.json', '--zzzzzz');
    assert.equal(far.code, 2);
    assert.equal(far.stderr, "leastpriv: unknown option --zzzzzz for lint; see 'leastpriv lint --help'\n");
  });

  it("iamlive's --output-file and --force-wildcard-resource mean ours", () => {
    const out = join(work, 'iamlive.json');
    const r = leastpriv('generate', 'calls.ndjson', '--output-file', out, '--force-wildcard-resource', '-q');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    const resources = JSON.parse(readFileSync(out, 'utf8')).Statement.map(
      (s: { Resource: string }) => s.Resource,
    );
    assert.ok(resources.length > 0 && resources.every((x: string) => x === '*'), JSON.stringify(resources));
  });

  it("iamlive's --mode is explained", () => {
    const r = leastpriv('run', '--mode', 'proxy', '--', 'true');
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      "leastpriv: --mode is iamlive's option: leastpriv captures with its proxy ('leastpriv run', 'leastpriv proxy') or with client-side monitoring ('leastpriv csm', 'leastpriv run --csm')\n",
    );
    const bind = leastpriv('run', '--bind-addr', '127.0.0.1:10080', '--', 'true');
    assert.equal(bind.code, 2);
    assert.equal(
      bind.stderr,
      "leastpriv: --bind-addr is iamlive's option: 'leastpriv run' listens on a free loopback port of its own; for a proxy on a fixed address use 'leastpriv proxy --host H --port P'\n",
    );
  });

  it('run without -- before the command says to put it there', () => {
    const r = leastpriv('run', '--upstream', 'stub', 'echo', 'hi');
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.equal(
      r.stderr,
      "leastpriv: put -- before the command, so that its options are not taken for leastpriv's: leastpriv run --upstream stub -- echo hi\n",
    );
  });
});

describe('-f: the policy format or the report format', () => {
  it('the help of each command says which', () => {
    assert.match(
      leastpriv('run', '--help').stdout,
      /\n {2}-f, --format FORMAT {6}policy format: json \(default\)/,
    );
    assert.match(leastpriv('generate', '--help').stdout, /\n {2}-f, --format FORMAT {6}policy format: json/);
    assert.match(
      leastpriv('check', '--help').stdout,
      /\n {2}-f, --report-format F {4}report format: text \(default\) or json/,
    );
    assert.match(
      leastpriv('lint', '--help').stdout,
      /\n {2}-f, --report-format F {4}report format: text \(default\) or json/,
    );
  });

  it('errors say which format -f is, and --report-format is accepted', () => {
    const gen = leastpriv('generate', 'calls.ndjson', '-f', 'text');
    assert.equal(gen.code, 2);
    assert.equal(
      gen.stderr,
      "leastpriv: unknown policy format 'text' for -f/--format: use json, terraform, cloudformation or markdown (text reports are what check, diff and lint write)\n",
    );
    const check = leastpriv('check', 'policy.json', 'calls.ndjson', '-f', 'terraform');
    assert.equal(check.code, 2);
    assert.equal(
      check.stderr,
      "leastpriv: unknown report format 'terraform' for -f/--report-format: use text or json (check reads the policy's own format from the file)\n",
    );
    const json = leastpriv('check', 'policy.json', 'calls-2.ndjson', '--report-format', 'json');
    assert.equal(json.code, 1, json.stderr);
    assert.equal(typeof JSON.parse(json.stdout).checked, 'number');
    const lint = leastpriv('lint', 'policy.json', '--report-format', 'json');
    assert.equal(lint.code, 0, lint.stderr);
    assert.deepEqual(JSON.parse(lint.stdout), []);
  });
});

describe('help', () => {
  it('the top-level help names --version', () => {
    const r = leastpriv('--help');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /\n {2}leastpriv --version +the version\n/);
  });

  it("'leastpriv help run' prints run's help", () => {
    const help = leastpriv('help', 'run');
    assert.equal(help.code, 0);
    assert.equal(help.stdout, leastpriv('run', '--help').stdout);
    assert.match(help.stdout, /^Usage: leastpriv run \[options\] -- COMMAND/);
    const bad = leastpriv('help', 'nope');
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr, "leastpriv: unknown command 'nope'; see 'leastpriv --help'\n");
  });
});
