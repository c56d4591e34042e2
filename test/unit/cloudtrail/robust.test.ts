/**
 * `leastpriv trail` over inputs that must not end the run: a record nested too deep, dangling
 * symbolic links, symbolic link loops, folders it may not read, FIFOs. Each is skipped and
 * named in the summary with its reason; the valid files still make the policy.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, linkSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));

function trail(args: string[], options: { uid?: number } = {}) {
  const r = spawnSync(process.execPath, [CLI, 'trail', ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    ...(options.uid !== undefined ? { uid: options.uid, gid: options.uid } : {}),
  });
  assert.equal(r.signal, null, `leastpriv trail was killed (${r.signal}): it hung; stderr: ${r.stderr}`);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const record = (key: string, params: Record<string, unknown> = {}) => ({
  eventTime: '2026-11-01T00:00:00Z',
  eventSource: 's3.amazonaws.com',
  eventName: 'GetObject',
  awsRegion: 'us-east-1',
  recipientAccountId: '111111111111',
  userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111111111111:user/alice', accountId: '111111111111' },
  requestParameters: { bucketName: 'logs', key, ...params },
});

/** A record whose request parameters nest `depth` arrays deep, as JSON text. */
function deepRecord(key: string, depth: number): string {
  const text = JSON.stringify(record(key, { deep: 0 }));
  return text.replace('"deep":0', `"deep":${'['.repeat(depth)}1${']'.repeat(depth)}`);
}

function resources(stdout: string): string[] {
  const policy = JSON.parse(stdout) as { Statement: { Resource: string | string[] }[] };
  return policy.Statement.flatMap((s) => s.Resource).sort();
}

function mkfifo(path: string): void {
  const r = spawnSync('mkfifo', [path]);
  assert.equal(r.status, 0, `this test needs mkfifo (coreutils): ${r.error?.message ?? r.stderr}`);
}

const tmp = () => {
  const dir = mkdtempSync(join(tmpdir(), 'lp-trail-robust-'));
  chmodSync(dir, 0o755);
  return dir;
};

describe('leastpriv trail goes on past inputs it cannot use', () => {
  it('counts a record nested too deep and keeps every other record of the run', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'good.json'), JSON.stringify({ Records: [record('good')] }));
    // A delivered log (read by the scanner), a JSON array and NDJSON (read with JSON.parse).
    writeFileSync(
      join(dir, 'deep-records.json'),
      `{"Records":[${deepRecord('deep-1', 100_000)},${JSON.stringify(record('beside-deep'))}]}`,
    );
    writeFileSync(join(dir, 'deep-array.json'), `[${deepRecord('deep-2', 50_000)}]`);
    writeFileSync(join(dir, 'deep-lines.ndjson'), `${deepRecord('deep-3', 20_000)}\n`);
    // 100 levels (within the limit) still count.
    writeFileSync(join(dir, 'hundred.json'), `{"Records":[${deepRecord('hundred', 98)}]}`);
    const r = trail([dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(resources(r.stdout), [
      'arn:aws:s3:::logs/beside-deep',
      'arn:aws:s3:::logs/good',
      'arn:aws:s3:::logs/hundred',
    ]);
    assert.match(
      r.stderr,
      /\n {2}3 records nest deeper than 100 levels \(request parameters or resources\): not counted\n/,
    );
    assert.match(r.stderr, /read 5 of 5 files/);
  });

  it('skips dangling symbolic links, symbolic link loops and FIFOs with their reason, and never hangs', () => {
    const dir = tmp();
    const logs = join(dir, 'logs');
    mkdirSync(join(logs, 'sub'), { recursive: true });
    writeFileSync(join(logs, 'good.json'), JSON.stringify({ Records: [record('good')] }));
    writeFileSync(join(logs, 'sub', 'also.json'), JSON.stringify({ Records: [record('also')] }));
    symlinkSync('nowhere.json', join(logs, 'dangling.json'));
    symlinkSync('loop.json', join(logs, 'loop.json'));
    symlinkSync('..', join(logs, 'sub', 'up'));
    mkfifo(join(logs, 'fifo.json'));
    const fifoArg = join(dir, 'pipe.json');
    mkfifo(fifoArg);
    const r = trail([logs, fifoArg]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(resources(r.stdout), ['arn:aws:s3:::logs/also', 'arn:aws:s3:::logs/good']);
    const skipped = r.stderr.split('\n').filter((l) => l.startsWith('    '));
    assert.deepEqual(skipped, [
      `    ${logs}/dangling.json: a symbolic link to nothing (nowhere.json)`,
      `    ${logs}/fifo.json: not a regular file (a FIFO); give - to read standard input`,
      `    ${logs}/loop.json: a symbolic link loop (ELOOP)`,
      `    ${logs}/sub/up: a symbolic link back to a folder already read (${logs})`,
      `    ${fifoArg}: not a regular file (a FIFO); give - to read standard input`,
    ]);
    assert.match(r.stderr, /read 2 of 7 files/);
    assert.match(r.stderr, /\n {2}skipped 5 files:\n/);
  });

  it('reads two names of one file (a hard link) as two inputs: only folders are walked once', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'a.json'), JSON.stringify({ Records: [record('good')] }));
    linkSync(join(dir, 'a.json'), join(dir, 'b.json'));
    const r = trail([dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /read 2 of 2 files, 2 events/);
    assert.ok(!r.stderr.includes('skipped'), r.stderr);
  });

  it('skips a folder it may not read, with the reason, and reads the rest', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'good.json'), JSON.stringify({ Records: [record('good')] }));
    const secret = join(dir, 'secret');
    mkdirSync(secret);
    writeFileSync(join(secret, 'hidden.json'), JSON.stringify({ Records: [record('hidden')] }));
    chmodSync(secret, 0o700);
    // Root reads every folder: the run is made as nobody, for whom permissions apply.
    const root = process.getuid?.() === 0;
    if (!root) chmodSync(secret, 0o000);
    const r = trail([dir], root ? { uid: 65534 } : {});
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(resources(r.stdout), ['arn:aws:s3:::logs/good']);
    assert.match(
      r.stderr,
      new RegExp(`\\n {4}${secret}: cannot read the folder: permission denied \\(EACCES\\)\\n`),
    );
    assert.match(r.stderr, /read 1 of 2 files/);
  });

  it('still fails with one clear sentence when a path given does not exist', () => {
    const r = trail([join(tmp(), 'nope')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /nope: no such file or folder; check the path/);
  });

  it('fails with the reason when the only input is a FIFO', () => {
    const dir = tmp();
    const fifo = join(dir, 'only.json');
    mkfifo(fifo);
    const r = trail([fifo]);
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      `leastpriv: no CloudTrail log files under ${fifo}: ${fifo}: not a regular file (a FIFO); give - to read standard input\n`,
    );
  });

  it('--exclude-errors leaves out calls that failed for other reasons; denied ones stay listed', () => {
    const dir = tmp();
    const failed = { ...record('missing'), errorCode: 'NoSuchKey' };
    const denied = { ...record('secret'), errorCode: 'AccessDenied' };
    writeFileSync(join(dir, 'log.json'), JSON.stringify({ Records: [record('good'), failed, denied] }));
    const all = trail([dir]);
    assert.deepEqual(resources(all.stdout), ['arn:aws:s3:::logs/good', 'arn:aws:s3:::logs/missing']);
    assert.match(all.stderr, /\n {2}denied: s3:GetObject → AccessDenied \(needs s3:GetObject\)\n/);
    const noErrors = trail([dir, '--exclude-errors']);
    assert.equal(noErrors.code, 0, noErrors.stderr);
    assert.deepEqual(resources(noErrors.stdout), ['arn:aws:s3:::logs/good']);
    assert.match(noErrors.stderr, /\n {2}left out by filters: 1 by --exclude-errors\n/);
    assert.match(noErrors.stderr, /\n {2}denied: s3:GetObject → AccessDenied \(needs s3:GetObject\)\n/);
    assert.match(noErrors.stderr, /kept 2 → 2 distinct calls/);
    const granted = trail([dir, '--include-denied']);
    assert.deepEqual(resources(granted.stdout), [
      'arn:aws:s3:::logs/good',
      'arn:aws:s3:::logs/missing',
      'arn:aws:s3:::logs/secret',
    ]);
  });
});
