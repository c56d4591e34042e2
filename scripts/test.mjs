#!/usr/bin/env node
// Runs the compiled test files (`*.test.js` under dist/test, or under the folders given)
// with node's test runner; support modules next to them are not test files.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

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
for (const root of roots.length ? roots : ['dist/test']) walk(root);
if (files.length === 0) {
  console.error(`no test files under ${roots.join(', ') || 'dist/test'}: run 'npm run build' first`);
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', ...flags, ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
