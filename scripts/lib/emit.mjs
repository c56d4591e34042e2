/**
 * Where the data generators write. `npm run data` writes the files; with `--check` nothing is
 * written: each file is compared with what is committed, and the run fails when any differs
 * (CI runs this, so committed data always equals a regeneration from the recorded inputs).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';

export const checking = process.argv.includes('--check');
const differing = [];

/** Writes `text` to `file`, or (with --check) compares it with the file. */
export function emit(file, text) {
  if (!checking) {
    writeFileSync(file, text);
    return;
  }
  if (!existsSync(file) || readFileSync(file, 'utf8') !== text) differing.push(file);
}

process.on('exit', (code) => {
  if (!checking || code !== 0) return;
  if (differing.length) {
    process.stderr.write(
      `committed data differs from a regeneration: ${differing.map((f) => relative(process.cwd(), f)).join(', ')}; run \`npm run data\` and commit the result\n`,
    );
    process.exitCode = 1;
  }
});
