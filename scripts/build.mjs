#!/usr/bin/env node
// `npm pack` / `npm publish` (prepack): a clean build of what the package ships. tsc's
// incremental build trusts dist/.tsbuildinfo: it emits nothing when dist/src was deleted, and
// it leaves the output of deleted sources behind. Both would end up in the tarball, so the
// shipped folder and the build info go first. (`npm run build` stays incremental.)
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
for (const path of ['dist/src', 'dist/.tsbuildinfo'])
  rmSync(join(root, path), { recursive: true, force: true });
const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json')], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
