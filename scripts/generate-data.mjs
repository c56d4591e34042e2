#!/usr/bin/env node
// `npm run data`: regenerates every generated index under data/, deterministically.
// `npm run data -- --check`: writes nothing, fails when committed data differs from a regeneration.
// The inputs live in their own package, scripts/data-sources (see scripts/lib/data-sources.mjs):
// `npm run data` installs them when they are missing; `--check` fails and says how instead.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureSources } from './lib/data-sources.mjs';

const here = dirname(fileURLToPath(import.meta.url));
// The service reference comes last: it checks its actions against the generated SAR index.
const generators = [
  'generate-api-index.mjs',
  'generate-sar.mjs',
  'generate-service-reference.mjs',
  // Google Cloud's methods come from the Google Cloud SDK installed on the machine (google-cloud-cli).
  'generate-gcp.mjs',
  // Azure's Resource Manager paths come from Debian's python3-azure (installed with azure-cli).
  'generate-azure.mjs',
];
const passed = process.argv.slice(2);
ensureSources({ install: !passed.includes('--check') });
for (const name of generators) {
  const script = join(here, name);
  if (!existsSync(script)) continue;
  const result = spawnSync(
    process.execPath,
    [script, ...(name === 'generate-service-reference.mjs' ? passed : passed.filter((a) => a === '--check'))],
    { stdio: 'inherit' },
  );
  if (result.status !== 0) process.exit(result.status ?? 1);
}
