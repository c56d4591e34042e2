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
  // 4 s on an idle 2-core machine, 29 s with both cores busy: the budget is three times that.
  it('committed data equals a regeneration from the recorded inputs', { timeout: 90_000 }, () => {
    const root = repoRoot();
    // Reads the generators' inputs from scripts/data-sources (`npm run data:install`, which
    // .ci/run does); when they are missing it fails and says so, it never skips.
    const run = spawnSync(process.execPath, ['scripts/generate-data.mjs', '--check'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 85_000,
    });
    assert.equal(
      run.status,
      0,
      `npm run data -- --check failed${run.error ? ` (${run.error.message})` : ''}:\n${run.stderr}`,
    );
  });
});
