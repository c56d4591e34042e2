/**
 * `leastpriv trail` over the fixture tree (test/fixtures/cloudtrail, written by its
 * generate.mjs): exact policies per principal, filters, the other input shapes, bad files.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const CLI = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));
const FIXTURES = join(ROOT, 'test/fixtures/cloudtrail');
const LOGS = join(FIXTURES, 'logs');
const EXPECTED = join(FIXTURES, 'expected');

function trail(args: string[], input?: Buffer) {
  const r = spawnSync(process.execPath, [CLI, 'trail', ...args], {
    encoding: 'utf8',
    input,
    cwd: ROOT,
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** An expected policy, parsed (the files are formatted by Biome, the CLI's output is not). */
const expected = (name: string): unknown => JSON.parse(readFileSync(join(EXPECTED, `${name}.json`), 'utf8'));
const parsed = (text: string): unknown => JSON.parse(text);
const actions = (policy: string) =>
  (JSON.parse(policy) as { Statement: { Action: string | string[] }[] }).Statement.flatMap(
    (s) => s.Action,
  ).sort();

describe('leastpriv trail over the fixture tree', () => {
  it('writes the exact policy of each principal, the same with one worker or two', () => {
    for (const jobs of ['1', '2']) {
      const dir = mkdtempSync(join(tmpdir(), 'lp-trail-'));
      const calls = join(dir, 'calls.ndjson');
      const r = trail([
        join(LOGS, 'AWSLogs'),
        '--per-principal',
        join(dir, 'pp'),
        '--calls',
        calls,
        '--jobs',
        jobs,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '', 'with --per-principal and no -o, nothing on stdout');
      const files = readdirSync(join(dir, 'pp')).sort();
      assert.deepEqual(files, readdirSync(EXPECTED).sort());
      for (const f of files)
        assert.deepEqual(
          parsed(readFileSync(join(dir, 'pp', f), 'utf8')),
          expected(f.replace(/\.json$/, '')),
          f,
        );
      // The summary names each bad file with its path and what is wrong with it.
      assert.match(r.stderr, /skipped 2 files/);
      assert.match(r.stderr, /_corrupt\.json\.gz: corrupt gzip/);
      assert.match(r.stderr, /not-cloudtrail\.json: JSON but not CloudTrail records/);
      assert.match(r.stderr, /2 records are not API calls/);
      assert.match(r.stderr, /ignored 1 × CloudTrail-Digest folder/);
      assert.match(r.stderr, /unknown-service .* made-up\.amazonaws\.com/);
      assert.match(r.stderr, /denied: iam:CreateRole → AccessDenied/);
      assert.match(r.stderr, /denied: ec2:TerminateInstances → UnauthorizedOperation/);
      // The calls log: one line per distinct call, with its principal and how often it happened.
      const lines = readFileSync(calls, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.equal(lines.length, 17);
      const get = lines.find((l) => l.operation === 'GetObject');
      assert.equal(get?.count, 5);
      assert.equal(get?.source, 'cloudtrail');
      assert.equal(get?.principal, 'arn:aws:iam::111111111111:role/app/OrdersService');
      assert.deepEqual(get?.resources, ['arn:aws:s3:::orders-prod/incoming/batch.csv']);
      assert.ok(
        lines.every((l) => !JSON.stringify(l).includes('ASIAEXAMPLE')),
        'no access key in the calls log',
      );
    }
  });

  it('filters by principal glob, account, region and time', () => {
    const one = trail([join(LOGS, 'AWSLogs'), '--principal', '*:role/ci-*', '-q']);
    assert.deepEqual(parsed(one.stdout), expected('111111111111-role-ci-deployer'));
    const dev = trail([join(LOGS, 'AWSLogs'), '--account', '222222222222', '--region', 'eu-west-1', '-q']);
    assert.deepEqual(actions(dev.stdout), ['ec2:StopInstances']);
    const noErrors = trail([join(LOGS, 'AWSLogs'), '--account', '222222222222', '--exclude-errors', '-q']);
    assert.deepEqual(actions(noErrors.stdout), [
      'ec2:DescribeInstances',
      'ec2:StopInstances',
      's3:ListAllMyBuckets',
    ]);
    const day3 = trail([join(LOGS, 'AWSLogs'), '--since', '2026-11-03', '--until', '2026-11-03']);
    assert.deepEqual(actions(day3.stdout), ['dynamodb:GetItem']);
    assert.match(day3.stderr, /left out by filters: \d+ by --since\/--until/);
  });

  it('leaves denied calls out of the policy and lists them, unless --include-denied', () => {
    const args = [join(LOGS, 'AWSLogs'), '--account', '222222222222'];
    const byDefault = trail(args);
    assert.equal(byDefault.code, 0, byDefault.stderr);
    assert.deepEqual(actions(byDefault.stdout), [
      'ec2:DescribeInstances',
      'ec2:StopInstances',
      's3:ListAllMyBuckets',
    ]);
    assert.match(
      byDefault.stderr,
      /\n {2}denied: ec2:TerminateInstances → UnauthorizedOperation \(needs ec2:TerminateInstances\)\n/,
    );
    assert.match(
      byDefault.stderr,
      /\n {2}note: 1 denied call left out of the policy \(a denial can be a probe\): --include-denied grants it\n/,
    );
    const included = trail([...args, '--include-denied']);
    assert.equal(included.code, 0, included.stderr);
    assert.deepEqual(actions(included.stdout), [
      'ec2:DescribeInstances',
      'ec2:StopInstances',
      'ec2:TerminateInstances',
      's3:ListAllMyBuckets',
    ]);
    assert.doesNotMatch(included.stderr, /left out of the policy/);
    // --exclude-errors leaves out the other errors as before; denied calls are still listed.
    const other = trail([join(LOGS, 'AWSLogs'), '--principal', '*:role/ci-*', '--exclude-errors']);
    assert.match(other.stderr, /\n {2}denied: iam:CreateRole → AccessDenied/);
    assert.doesNotMatch(other.stdout, /iam:CreateRole/);
    const both = trail([
      join(LOGS, 'AWSLogs'),
      '--principal',
      '*:role/ci-*',
      '--exclude-errors',
      '--include-denied',
    ]);
    assert.match(both.stdout, /iam:CreateRole/);
    // The calls log keeps every distinct call, denied ones too.
    const dir = mkdtempSync(join(tmpdir(), 'lp-trail-'));
    trail([...args, '--calls', join(dir, 'calls.ndjson'), '-q']);
    const log = readFileSync(join(dir, 'calls.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const terminate = log.find((l) => l.operation === 'TerminateInstances');
    assert.equal(terminate?.error, 'UnauthorizedOperation');
    assert.deepEqual(terminate?.actions, ['ec2:TerminateInstances']);
    const help = trail(['--help']);
    assert.match(help.stdout, /--include-denied {5}also grant calls that were denied/);
  });

  it('writes every output it can, and says which one it could not write (exit 2)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lp-trail-'));
    const calls = join(dir, 'calls.ndjson');
    const r = trail([join(LOGS, 'AWSLogs'), '-o', '/dev/full', '--calls', calls]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /^leastpriv: cannot write \/dev\/full: no space left on the device \(ENOSPC\); \/dev\/full is not a regular file, so it is written in place and part may have gone out: free some space or choose another path$/m,
    );
    assert.equal(
      readFileSync(calls, 'utf8').trim().split('\n').length,
      17,
      'the calls log is written all the same',
    );
    assert.match(r.stderr, /policy: \d+ actions? in \d+ statements? → not written \(\/dev\/full\)/);
  });

  it('reads lookup-events output, CloudTrail Lake results and standard input alike', () => {
    const want = expected('111111111111-role-ci-deployer');
    assert.deepEqual(parsed(trail([join(LOGS, 'lookup', 'lookup-events.json'), '-q']).stdout), want);
    assert.deepEqual(parsed(trail([join(LOGS, 'lake', 'query-results.json'), '-q']).stdout), want);
    const stdin = readFileSync(join(LOGS, 'lookup', 'lookup-events.json'));
    assert.deepEqual(parsed(trail(['-', '-q'], stdin).stdout), want);
  });

  it('fails with one clear sentence on a missing path, and 2 when nothing could be read', () => {
    const missing = trail([join(LOGS, 'nope')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope: no such file or folder; check the path/);
    const bad = trail([
      join(LOGS, 'AWSLogs/o-a1b2c3d4e5/111111111111/CloudTrail/us-east-1/2026/11/01/not-cloudtrail.json'),
    ]);
    assert.equal(bad.code, 2);
    const when = trail([LOGS, '--since', 'yesterday-ish']);
    assert.equal(when.code, 2);
    assert.match(when.stderr, /--since 'yesterday-ish' is neither a date/);
  });
});
