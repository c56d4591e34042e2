/** A policy over the managed-policy size limit, as a user writes it: one document per file. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'leastpriv-split-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** 120 calls to distinct queues: one statement whose resource list is far over 6,144 characters. */
function callsLog(): string {
  const lines: string[] = [];
  for (let i = 0; i < 120; i++) {
    const queue = `arn:aws:sqs:us-east-1:123456789012:a-queue-with-a-rather-long-name-number-${String(i).padStart(3, '0')}`;
    lines.push(
      JSON.stringify({
        time: '2026-11-21T18:00:00.000Z',
        source: 'proxy',
        provider: 'aws',
        service: 'sqs',
        operation: i % 2 ? 'SendMessage' : 'DeleteQueue',
        region: 'us-east-1',
        account: '123456789012',
        status: 200,
        error: null,
        actions: [i % 2 ? 'sqs:SendMessage' : 'sqs:DeleteQueue'],
        resources: [queue],
        unresolved: null,
      }),
    );
  }
  return `${lines.join('\n')}\n`;
}

describe('cli/split policies', () => {
  it('writes one JSON file per document, each a document IAM takes as it is', () => {
    const calls = join(work, 'calls.ndjson');
    writeFileSync(calls, callsLog());
    const out = join(work, 'out', 'policy.json');
    const r = spawnSync(process.execPath, [MAIN, 'generate', calls, '-o', out], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const files = [out, join(work, 'out', 'policy.2.json')];
    const docs = files.map((f) => JSON.parse(readFileSync(f, 'utf8')));
    assert.ok(!existsSync(join(work, 'out', 'policy.3.json')));
    for (const [i, d] of docs.entries()) {
      assert.equal(d.Version, '2012-10-17', files[i]);
      assert.ok(Array.isArray(d.Statement) && d.Statement.length > 0, files[i]);
      assert.ok(JSON.stringify(d).length <= 6144, `${files[i]} is over the limit`);
    }
    const resources = docs.flatMap((d) => d.Statement.flatMap((s: { Resource: string[] }) => s.Resource));
    assert.equal(new Set(resources).size, 120);
    assert.match(r.stderr, new RegExp(`${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, .*policy\\.2\\.json`));
  });

  it('--compact writes many sibling resources as their common prefix, and says so', () => {
    const calls = join(work, 'calls-compact.ndjson');
    writeFileSync(calls, callsLog());
    const out = join(work, 'compact', 'policy.json');
    const r = spawnSync(process.execPath, [MAIN, 'generate', calls, '--compact', '-o', out], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    const prefix = 'arn:aws:sqs:us-east-1:123456789012:a-queue-with-a-rather-long-name-number-';
    assert.deepEqual(
      doc.Statement.map((s: { Action: string | string[]; Resource: string | string[] }) => [
        s.Action,
        s.Resource,
      ]),
      [[['sqs:DeleteQueue', 'sqs:SendMessage'], `${prefix}*`]],
    );
    assert.ok(!existsSync(join(work, 'compact', 'policy.2.json')));
    assert.match(r.stderr, /--compact: 60 resources of sqs:DeleteQueue written as .*number-\*\n/);
    assert.match(r.stderr, /--compact: 60 resources of sqs:SendMessage written as .*number-\*\n/);
  });

  it('writes a split policy to a device as one stream, never beside it', () => {
    const calls = join(work, 'calls-device.ndjson');
    writeFileSync(calls, callsLog());
    const r = spawnSync(process.execPath, [MAIN, 'generate', calls, '-o', '/dev/null'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(!existsSync('/dev/null.2'), '/dev/null.2 was written');
  });

  it('hands all of a long report to a pipe before exiting (over 64 KiB)', () => {
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) {
      lines.push(
        JSON.stringify({
          time: '2026-11-21T18:00:00.000Z',
          source: 'proxy',
          provider: 'aws',
          service: 'sqs',
          operation: 'SendMessage',
          region: 'us-east-1',
          account: '123456789012',
          status: 200,
          error: null,
          actions: ['sqs:SendMessage'],
          resources: [`arn:aws:sqs:us-east-1:123456789012:queue-${String(i).padStart(4, '0')}`],
          unresolved: null,
        }),
      );
    }
    const calls = join(work, 'calls-long.ndjson');
    writeFileSync(calls, `${lines.join('\n')}\n`);
    const policy = join(work, 'narrow.json');
    writeFileSync(
      policy,
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
      }),
    );
    // every call is denied by this policy: `check` lists each one
    const r = spawnSync(process.execPath, [MAIN, 'check', policy, calls], {
      encoding: 'utf8',
      timeout: 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    assert.equal(r.status, 1, r.stderr.slice(-500));
    const out = r.stdout + r.stderr;
    assert.ok(out.length > 65_536, `the report is ${out.length} characters`);
    assert.match(out, /queue-2999/);
  });

  it('removes the parts an earlier, longer policy left, and only policy parts', () => {
    const dir = join(work, 'stale');
    const out = join(dir, 'policy.json');
    const calls = join(work, 'calls-stale.ndjson');
    writeFileSync(calls, callsLog());
    assert.equal(
      spawnSync(process.execPath, [MAIN, 'generate', calls, '-o', out], { timeout: 60_000 }).status,
      0,
    );
    // an earlier run's third part, and a file of the user's that only has a part's name
    writeFileSync(join(dir, 'policy.3.json'), readFileSync(join(dir, 'policy.2.json')));
    writeFileSync(join(dir, 'policy.4.json'), 'notes of my own\n');
    const r = spawnSync(process.execPath, [MAIN, 'generate', calls, '-o', out], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(join(dir, 'policy.2.json')));
    assert.ok(!existsSync(join(dir, 'policy.3.json')), 'the stale part was left');
    assert.equal(readFileSync(join(dir, 'policy.4.json'), 'utf8'), 'notes of my own\n');
    assert.match(r.stderr, /removed .*policy\.3\.json: a part of an earlier policy/);
  });
});
