import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { writeFileAtomic } from '../../../src/output/write.js';

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
});
