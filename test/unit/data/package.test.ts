/**
 * The published package: what `npm pack` puts in the tarball (the runtime's data and the
 * compiled CLI, nothing else), and that `npx leastpriv` runs from a fresh install of it.
 *
 * Offline by design: the tarball is packed from a staging copy of this build (so the test reads
 * the same `dist/` as the other tests and never writes into the repository), its one runtime
 * dependency (`yaml`) is packed from the repository's node_modules, and both are installed with
 * `npm install --offline` into a temp folder with its own empty npm cache. No registry, no
 * shared ~/.npm: the result does not depend on the network or on what the machine cached.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/** This build's root (`dist/`, or another outDir): this file is <build>/test/unit/data/. */
const BUILD = fileURLToPath(new URL('../../../', import.meta.url));

function repoRoot(): string {
  for (const rel of ['../../../../', '../../../']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'data'))) return dir;
  }
  throw new Error('the repository root (package.json and data/) was not found');
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command without blocking the event loop (other test files run meanwhile). */
function run(
  cmd: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out after ${timeoutMs} ms: ${cmd} ${args.join(' ')}\n${stderr.slice(-3000)}`));
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${cmd}: ${err.message}`));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const show = (r: Run) =>
  `exit ${r.code}\n--- stdout:\n${r.stdout.slice(-3000)}\n--- stderr:\n${r.stderr.slice(-3000)}`;

/** The folder of an installed package (its `exports` may hide package.json). */
function packageDir(root: string, name: string): string {
  let dir = dirname(createRequire(join(root, 'package.json')).resolve(name));
  while (
    !existsSync(join(dir, 'package.json')) ||
    JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name !== name
  ) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the folder of ${name}`);
    dir = up;
  }
  return dir;
}

// 5 s on an idle 2-core machine, 27 s with both cores busy; each npm step gets 60 s.
describe('the npm package', { timeout: 120_000 }, () => {
  const root = repoRoot();
  const work = mkdtempSync(join(tmpdir(), 'leastpriv-package-'));
  const out = join(work, 'out');
  const app = join(work, 'app');
  // npm without the user's config, cache, registry or network
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(npm_|NODE_OPTIONS$|NODE_TEST_CONTEXT$|AWS_|LEASTPRIV_|(HTTPS?|ALL|NO)_PROXY$)/i.test(key))
      delete env[key];
  }
  Object.assign(env, {
    npm_config_cache: join(work, 'npm-cache'),
    npm_config_userconfig: join(work, 'no-npmrc'),
    npm_config_offline: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    LEASTPRIV_HOME: join(work, 'home'),
  });
  let files: string[] = [];
  let tarball = '';

  before(async () => {
    // A staging copy: the repository's package.json, README, licence and data/, this build's
    // src/ as dist/src, and files that must stay out of the tarball.
    const stage = join(work, 'stage');
    mkdirSync(out, { recursive: true });
    for (const name of ['package.json', 'README.md', 'LICENSE']) cpSync(join(root, name), join(stage, name));
    cpSync(join(root, 'data'), join(stage, 'data'), { recursive: true });
    cpSync(join(BUILD, 'src'), join(stage, 'dist', 'src'), { recursive: true });
    mkdirSync(join(stage, 'dist', 'test'), { recursive: true });
    writeFileSync(join(stage, 'dist', 'test', 'stray.test.js'), '');
    writeFileSync(join(stage, 'dist', '.tsbuildinfo'), '{}');
    mkdirSync(join(stage, 'src'), { recursive: true });
    writeFileSync(join(stage, 'src', 'stray.ts'), '');
    const packed = await run(
      'npm',
      ['pack', '--ignore-scripts', '--json', '--pack-destination', out],
      stage,
      env,
      60_000,
    );
    assert.equal(packed.code, 0, `npm pack failed: ${show(packed)}`);
    const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    assert.ok(info, `npm pack printed no package: ${packed.stdout}`);
    files = info.files.map((f) => f.path).sort();
    tarball = join(out, info.filename);
  });

  after(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('ships the compiled CLI and the data the runtime reads, and nothing else', () => {
    for (const needed of [
      'package.json',
      'README.md',
      'LICENSE',
      'dist/src/cli/main.js',
      'dist/src/index.js',
      'data/aws-api/index.json',
      'data/aws-api/members.json',
      'data/aws-sar/index.json',
      'data/aws-sr/operations.json',
    ]) {
      assert.ok(files.includes(needed), `the package lacks ${needed}`);
    }
    assert.ok(
      files.some((f) => f.startsWith('data/rules/')),
      'the package lacks data/rules/',
    );
    const stray = files.filter(
      (f) =>
        !/^(package\.json|README\.md|LICENSE|dist\/src\/.+\.c?js|data\/.+\.json)$/.test(f) ||
        f.startsWith('data/sources/'),
    );
    assert.deepEqual(
      stray,
      [],
      'files the runtime does not need (tests, sources, maps, data-generation inputs)',
    );
  });

  it('installs offline from the tarball and runs with npx: --help and the demo', async () => {
    // yaml, leastpriv's one runtime dependency, from the repository's node_modules
    const yaml = await run(
      'npm',
      ['pack', '--ignore-scripts', '--json', '--pack-destination', out, packageDir(root, 'yaml')],
      work,
      env,
      60_000,
    );
    assert.equal(yaml.code, 0, `npm pack yaml failed: ${show(yaml)}`);
    const yamlTarball = join(out, (JSON.parse(yaml.stdout) as { filename: string }[])[0]?.filename ?? '');
    mkdirSync(app, { recursive: true });
    writeFileSync(join(app, 'package.json'), '{ "private": true }\n');
    const installed = await run(
      'npm',
      ['install', '--offline', '--ignore-scripts', tarball, yamlTarball],
      app,
      env,
      60_000,
    );
    assert.equal(installed.code, 0, `npm install --offline of the tarball failed: ${show(installed)}`);
    // No install-time script: npm would warn every user ("install scripts not yet covered by
    // allowScripts") for a script it does not even run for a tarball (prepare).
    const manifest = JSON.parse(
      readFileSync(join(app, 'node_modules', 'leastpriv', 'package.json'), 'utf8'),
    ) as {
      scripts?: Record<string, string>;
    };
    const lifecycle = ['preinstall', 'install', 'postinstall', 'prepare'].filter(
      (k) => manifest.scripts?.[k],
    );
    assert.deepEqual(lifecycle, [], 'the published package.json has install-time scripts');
    assert.doesNotMatch(installed.stderr, /install scripts/, show(installed));

    const help = await run('npx', ['--offline', 'leastpriv', '--help'], app, env, 60_000);
    assert.equal(help.code, 0, `npx leastpriv --help failed: ${show(help)}`);
    assert.match(help.stdout, /leastpriv run/);

    // The demo (npm run demo) with the installed CLI; the program's SDK clients resolve from
    // the repository (demo/app.mjs sits there).
    const demo = await run(
      'npx',
      [
        '--offline',
        'leastpriv',
        'run',
        '--upstream',
        'stub',
        '--',
        process.execPath,
        '--no-warnings',
        join(root, 'demo', 'app.mjs'),
      ],
      app,
      env,
      60_000,
    );
    assert.equal(demo.code, 0, `the demo failed with the installed CLI: ${show(demo)}`);
    assert.match(demo.stdout, /demo workload done/);
    for (const action of ['s3:PutObject', 'dynamodb:PutItem', 'sqs:SendMessage']) {
      assert.ok(demo.stdout.includes(action), `the demo's policy lacks ${action}: ${show(demo)}`);
    }
  });
});
