import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

function repoRoot(): string {
  for (const rel of ['../../../../', '../../../']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}scripts/generate-data.mjs`)) return dir;
  }
  throw new Error('scripts/generate-data.mjs not found');
}

describe('data', () => {
  it('committed data equals a regeneration from the recorded inputs', { timeout: 180_000 }, () => {
    const root = repoRoot();
    const run = spawnSync(process.execPath, ['scripts/generate-data.mjs', '--check'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 170_000,
    });
    assert.equal(run.status, 0, `npm run data -- --check failed:\n${run.stderr}`);
  });
});
