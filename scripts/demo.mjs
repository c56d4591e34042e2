#!/usr/bin/env node
// `npm run demo`: demo/app.mjs (an SDK v3 program that configures no proxy and no endpoint)
// through `leastpriv run --upstream stub`, which answers every call locally. Builds the CLI
// first when this checkout has no build yet (`npm ci` does not build: the package has no
// install-time script, see README "Dependencies").
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
if (!existsSync(cli)) {
  process.stderr.write('no build yet: running `npm run build` first\n');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const built = spawnSync(npm, ['run', '--silent', 'build'], {
    cwd: root,
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });
  if (built.status !== 0) process.exit(built.status ?? 1);
}
const args = [
  cli,
  'run',
  '--upstream',
  'stub',
  '--',
  process.execPath,
  '--no-warnings',
  join(root, 'demo', 'app.mjs'),
];
const r = spawnSync(process.execPath, args, { cwd: process.cwd(), stdio: 'inherit' });
process.exit(r.status ?? 1);
