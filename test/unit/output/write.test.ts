import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tryWriteFileAtomic, writeFileAtomic } from '../../../src/output/write.js';

const WRITE_JS = fileURLToPath(new URL('../../../src/output/write.js', import.meta.url));

/**
 * Runs `writeFileAtomic(path, data)` (data given whole, or as pieces of one repeated character) in a child process under `sh` with `prelude` (a `ulimit`,
 * say) and as `uid` when given; returns what it printed: the result of `tryWriteFileAtomic` and
 * the message `writeFileAtomic` threw. Fails, never skips, when the facility is missing.
 */
function writeInChild(
  path: string,
  data: { pieces: [string, number][] } | { text: string },
  options: { prelude?: string; uid?: number } = {},
): { result: Record<string, unknown>; thrown: string | null } {
  const script = `
    import { tryWriteFileAtomic, writeFileAtomic } from ${JSON.stringify(WRITE_JS)};
    const [path, json] = process.argv.slice(1);
    const spec = JSON.parse(json);
    const data = () => ('text' in spec ? spec.text : spec.pieces.map(([c, n]) => c.repeat(n)).values());
    const result = tryWriteFileAtomic(path, data());
    let thrown = null;
    try { writeFileAtomic(path, data()); } catch (err) { thrown = String(err); }
    process.stdout.write(JSON.stringify({ result, thrown }));
  `;
  const run = spawnSync(
    'sh',
    [
      '-c',
      `${options.prelude ?? ':'} && exec "$0" --input-type=module -e "$1" "$2" "$3"`,
      process.execPath,
      script,
      path,
      JSON.stringify(data),
    ],
    {
      encoding: 'utf8',
      timeout: 30_000,
      ...(options.uid !== undefined ? { uid: options.uid, gid: options.uid } : {}),
    },
  );
  if (run.error) assert.fail(`cannot start the child writer with sh: ${run.error.message}`);
  assert.equal(run.status, 0, `the child writer failed (is 'ulimit -f' supported by sh?): ${run.stderr}`);
  return JSON.parse(run.stdout) as { result: Record<string, unknown>; thrown: string | null };
}

describe('writeFileAtomic', () => {
  it('replaces a file and leaves no temporary file behind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lp-write-'));
    const path = join(dir, 'sub', 'policy.json');
    writeFileAtomic(path, 'one');
    writeFileAtomic(path, 'two');
    assert.equal(readFileSync(path, 'utf8'), 'two');
    assert.deepEqual(readdirSync(join(dir, 'sub')), ['policy.json']);
  });

  it('writes to a device in place instead of replacing it', () => {
    writeFileAtomic('/dev/null', 'discarded');
    assert.equal(statSync('/dev/null').isCharacterDevice(), true);
  });

  it('names the path and the next step when it cannot write', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lp-write-'));
    const file = join(dir, 'a-file');
    writeFileAtomic(file, 'x');
    const path = join(file, 'policy.json');
    assert.throws(
      () => writeFileAtomic(path, 'x'),
      /^LeastprivError: cannot write .*a-file\/policy\.json: .*check the folder exists and is writable$/,
    );
  });

  it('returns what it wrote: the path and the number of bytes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lp-write-'));
    const path = join(dir, 'calls.ndjson');
    assert.deepEqual(tryWriteFileAtomic(path, ['{"a":1}\n', '{"b":"é"}\n'].values()), {
      ok: true,
      path,
      bytes: 19,
    });
    assert.equal(readFileSync(path, 'utf8'), '{"a":1}\n{"b":"é"}\n');
  });

  it('keeps the previous file when a write is cut short (file size limit), and says so', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lp-write-'));
    const path = join(dir, 'calls.ndjson');
    writeFileSync(path, 'the good calls log\n');
    // 64 blocks of 512 bytes: the first write of 200 KiB is cut short, the next one fails.
    const big: { pieces: [string, number][] } = {
      pieces: [
        ['x', 200 * 1024],
        ['y', 10],
      ],
    };
    const out = writeInChild(path, big, { prelude: 'ulimit -f 64' });
    const message = `cannot write ${path}: the file is larger than the file system or the process's file size limit allows (EFBIG); the previous calls.ndjson is kept unchanged: write to another file system or raise the limit (ulimit -f)`;
    assert.deepEqual(out.result, { ok: false, path, code: 'EFBIG', kept: 'previous', message });
    assert.equal(out.thrown, `LeastprivError: ${message}`);
    assert.equal(readFileSync(path, 'utf8'), 'the good calls log\n');
    assert.deepEqual(readdirSync(dir), ['calls.ndjson'], 'no temporary file is left behind');
  });

  it('a write cut short of a single piece never replaces the previous file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lp-write-'));
    const path = join(dir, 'calls.ndjson');
    writeFileSync(path, 'the good calls log\n');
    const out = writeInChild(path, { pieces: [['x', 200 * 1024]] }, { prelude: 'ulimit -f 64' });
    assert.equal(out.result.ok, false);
    assert.equal(out.result.code, 'EFBIG');
    assert.equal(readFileSync(path, 'utf8'), 'the good calls log\n');
    assert.deepEqual(readdirSync(dir), ['calls.ndjson']);
  });

  it('reports a full device (ENOSPC) in one line', () => {
    assert.ok(existsSync('/dev/full'), 'this test needs /dev/full (Linux)');
    const message =
      'cannot write /dev/full: no space left on the device (ENOSPC); /dev/full is not a regular file, so it is written in place and part may have gone out: free some space or choose another path';
    assert.deepEqual(tryWriteFileAtomic('/dev/full', 'x'), {
      ok: false,
      path: '/dev/full',
      code: 'ENOSPC',
      kept: 'none',
      message,
    });
    assert.throws(() => writeFileAtomic('/dev/full', ['a', 'b'].values()), { message });
  });

  it('reports a folder it may not write to (EACCES) and keeps the previous file', () => {
    // The test runs as root on CI: the write runs as nobody, for whom permissions apply.
    const root = process.getuid?.() === 0;
    const top = mkdtempSync(join(tmpdir(), 'lp-write-'));
    chmodSync(top, 0o755);
    const dir = join(top, 'locked');
    writeFileAtomic(join(dir, 'policy.json'), 'the good policy\n');
    chmodSync(dir, 0o555);
    const path = join(dir, 'policy.json');
    const out = writeInChild(path, { text: '{}' }, root ? { uid: 65534 } : {});
    const message = `cannot write ${path}: permission denied (EACCES); the previous policy.json is kept unchanged: make the folder writable or choose another path`;
    assert.deepEqual(out.result, { ok: false, path, code: 'EACCES', kept: 'previous', message });
    assert.equal(out.thrown, `LeastprivError: ${message}`);
    assert.equal(readFileSync(path, 'utf8'), 'the good policy\n');
    assert.deepEqual(readdirSync(dir), ['policy.json']);
  });
});
