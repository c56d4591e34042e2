#!/usr/bin/env node
// `npm run data`: regenerates every generated index under data/, deterministically.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const generators = ['generate-api-index.mjs', 'generate-sar.mjs'];
for (const name of generators) {
  const script = join(here, name);
  if (!existsSync(script)) continue;
  const result = spawnSync(process.execPath, [script], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
