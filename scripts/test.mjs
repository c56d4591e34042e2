#!/usr/bin/env node
// Runs the compiled test files (`*.test.js` under dist/test, or under the folders given, or the
// files given)
// with node's test runner; support modules next to them are not test files. Unless a
// --test-reporter is given, it reports with `spec` and ends with the slowest suites and their
// wall times (scripts/lib/slowest-reporter.mjs).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const roots = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const flags = process.argv.slice(2).filter((a) => a.startsWith('-'));
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.test.js')) files.push(path);
  }
};
for (const root of roots.length ? roots : ['dist/test']) {
  if (!statSync(root, { throwIfNoEntry: false })) {
    console.error(
      `${root} does not exist: run 'npm run build' first, or name a folder or file under dist/test`,
    );
    process.exit(1);
  }
  if (statSync(root).isDirectory()) walk(root);
  else files.push(root);
}
if (files.length === 0) {
  console.error(`no test files under ${roots.join(', ') || 'dist/test'}: run 'npm run build' first`);
  process.exit(1);
}
const reporters = flags.some((f) => f.startsWith('--test-reporter'))
  ? []
  : [
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      `--test-reporter=${pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), 'lib', 'slowest-reporter.mjs')).href}`,
      '--test-reporter-destination=stdout',
    ];
const result = spawnSync(process.execPath, ['--test', ...reporters, ...flags, ...files], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
