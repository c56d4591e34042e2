/**
 * `leastpriv scan` cross-checked with `leastpriv run`: twelve small programs (six Node programs
 * on the AWS SDK v3, six Python programs on boto3) run against moto through the proxy, and the
 * policy the scan writes from their code is compared with the policy the run observed. Every
 * difference is listed here with its reason.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ACCOUNT,
  assertOk,
  CLI,
  exec,
  explain,
  leastprivRun,
  type Moto,
  type PolicyDocument,
  ROOT,
  requireTools,
  startMoto,
  tempDir,
  testEnv,
} from './support.js';

const SCAN = join(ROOT, 'test', 'fixtures', 'scan');

/** Each statement as `action resource condition` lines: what a policy allows, order-free. */
function grants(policy: PolicyDocument | null): string[] {
  assert.ok(policy, 'no policy was written');
  const out = new Set<string>();
  for (const s of policy.Statement as (PolicyDocument['Statement'][number] & { Condition?: unknown })[]) {
    for (const a of [s.Action].flat()) {
      for (const r of [s.Resource ?? '*'].flat())
        out.add(`${a} ${r}${s.Condition ? ` ${JSON.stringify(s.Condition)}` : ''}`);
    }
  }
  return [...out].sort();
}

interface Program {
  file: string;
  command: (work: string) => string[];
  env?: Record<string, string>;
  /** --env for the scan (the same values the run gets). */
  envFile?: string;
  /** Grants the scan has and the run did not observe, with why. */
  onlyScan: Record<string, string>;
}

const PROGRAMS: Program[] = [
  { file: 'js/s3-app.mjs', command: (_) => [process.execPath, join(SCAN, 'js/s3-app.mjs')], onlyScan: {} },
  {
    file: 'js/orders-app.mjs',
    command: (_) => [process.execPath, join(SCAN, 'js/orders-app.mjs')],
    onlyScan: {
      [`dynamodb:DeleteItem arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/scan-orders`]:
        'the --cleanup branch, not taken in the run',
    },
  },
  {
    file: 'js/notify-app.mjs',
    command: (_) => [process.execPath, join(SCAN, 'js/notify-app.mjs')],
    envFile: 'js/notify.env',
    onlyScan: {},
  },
  {
    file: 'py/s3_app.py',
    command: (work) => {
      writeFileSync(join(work, 'blob.bin'), 'x'.repeat(1024));
      return ['python3', join(SCAN, 'py/s3_app.py'), join(work, 'blob.bin'), join(work, 'copy.bin')];
    },
    onlyScan: {
      's3:AbortMultipartUpload arn:aws:s3:::scan-e2e-py-bucket/uploads/blob.bin':
        'upload_file aborts a multipart upload only when one fails (and this file is too small for multipart)',
    },
  },
  {
    file: 'py/orders_app.py',
    command: (_) => ['python3', join(SCAN, 'py/orders_app.py')],
    onlyScan: {
      [`dynamodb:DeleteItem arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/scan-py-orders`]:
        'the --cleanup branch, not taken in the run',
    },
  },
  {
    file: 'py/config_app.py',
    command: (_) => ['python3', join(SCAN, 'py/config_app.py')],
    // os.environ["APP_SECRET"] comes from py/.env, next to the code; the run gets the same value
    env: { APP_SECRET: 'scan-db-password' },
    onlyScan: {},
  },
  {
    file: 'js/catalog-app.mjs',
    command: (_) => [process.execPath, join(SCAN, 'js/catalog-app.mjs')],
    onlyScan: {
      's3:PutObject arn:aws:s3:::scan-catalog-assets/images/*':
        'the key comes from a loop variable: * in that part, covering the two keys the run wrote',
    },
  },
  {
    file: 'js/logs-app.mjs',
    command: (_) => [process.execPath, join(SCAN, 'js/logs-app.mjs')],
    envFile: 'js/logs.env',
    onlyScan: {},
  },
  {
    file: 'js/events-app.mjs',
    command: (_) => [process.execPath, join(SCAN, 'js/events-app.mjs')],
    onlyScan: {},
  },
  {
    file: 'py/queue_worker.py',
    command: (_) => ['python3', join(SCAN, 'py/queue_worker.py')],
    // os.environ["ACCOUNT_ID"] comes from py/.env for the scan; the run gets the same value
    env: { ACCOUNT_ID: ACCOUNT },
    onlyScan: {},
  },
  {
    file: 'py/bucket_resource.py',
    command: (_) => ['python3', join(SCAN, 'py/bucket_resource.py')],
    onlyScan: {},
  },
  {
    file: 'py/stream_app.py',
    command: (_) => ['python3', join(SCAN, 'py/stream_app.py')],
    onlyScan: {},
  },
];

/** Whether a scanned grant with a wildcard (`s3:PutObject arn:aws:s3:::b/images/*`) covers an observed one. */
function covers(scanned: string, observed: string): boolean {
  const [action, resource, ...rest] = scanned.split(' ');
  const [oAction, oResource, ...oRest] = observed.split(' ');
  if (action !== oAction || rest.join(' ') !== oRest.join(' ') || !resource?.includes('*')) return false;
  const pattern = new RegExp(
    `^${resource
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return pattern.test(oResource ?? '');
}

function envOf(p: Program): Record<string, string> {
  const out: Record<string, string> = { ...(p.env ?? {}) };
  if (p.envFile) {
    for (const line of readFileSync(join(SCAN, p.envFile), 'utf8').split('\n')) {
      const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
      if (m) out[m[1] as string] = m[2] as string;
    }
  }
  return out;
}

describe('leastpriv scan agrees with leastpriv run', { timeout: 120_000 }, () => {
  let moto: Moto;

  before(async () => {
    requireTools('moto_server', 'boto3');
    assert.ok(
      existsSync(join(ROOT, 'node_modules', 'web-tree-sitter')) &&
        existsSync(join(ROOT, 'node_modules', 'tree-sitter-python', 'tree-sitter-python.wasm')),
      'scanning Python needs web-tree-sitter and tree-sitter-python: npm install web-tree-sitter@0.27.2 tree-sitter-python@0.25.0',
    );
    moto = await startMoto();
  });

  after(async () => {
    await moto?.stop();
  });

  for (const p of PROGRAMS) {
    it(`${p.file}: the scanned policy is the observed one, plus the branches the run did not take`, async () => {
      const work = tempDir('scan');
      const home = tempDir('scan-home');
      const run = await leastprivRun(p.command(work), {
        env: testEnv(home, envOf(p)),
        cwd: work,
        timeoutMs: 45_000,
        options: ['--upstream', moto.url, '--account-id', ACCOUNT],
      });
      assertOk(run, p.file);
      assert.ok(run.calls.length > 0, `the run saw no call: ${explain(run)}`);
      assert.deepEqual(
        run.calls
          .filter((c) => c.unresolved !== null)
          .map((c) => `${c.service}:${c.operation} ${c.unresolved}`),
        [],
      );

      const policyPath = join(work, 'scan-policy.json');
      const callsPath = join(work, 'scan.ndjson');
      const scan = await exec(
        process.execPath,
        [
          CLI,
          'scan',
          join(SCAN, p.file),
          '--account-id',
          ACCOUNT,
          '--region',
          'us-east-1',
          ...(p.envFile ? ['--env', join(SCAN, p.envFile)] : []),
          '-o',
          policyPath,
          '--calls',
          callsPath,
        ],
        { env: testEnv(home), cwd: ROOT, timeoutMs: 30_000 },
      );
      assertOk(scan, 'leastpriv scan');
      const scanned = grants(JSON.parse(readFileSync(policyPath, 'utf8')) as PolicyDocument);
      const observed = grants(run.policy);
      const onlyScan = scanned.filter((g) => !observed.includes(g));
      // what the run saw that the scan grants only through a wildcard of its own is covered
      const onlyRun = observed.filter((g) => !scanned.includes(g) && !scanned.some((s) => covers(s, g)));
      assert.deepEqual(
        { onlyScan, onlyRun },
        { onlyScan: Object.keys(p.onlyScan).sort(), onlyRun: [] },
        `scan stderr:\n${scan.stderr}\nrun calls:\n${run.calls.map((c) => `${c.service}:${c.operation}`).join('\n')}`,
      );

      // generate merges the two logs: the run's policy and the code's branches, explained by file:line
      const merged = await exec(
        process.execPath,
        [CLI, 'generate', callsPath, run.callsPath, '--explain', '-o', join(work, 'merged.json')],
        { env: testEnv(home), cwd: ROOT, timeoutMs: 30_000 },
      );
      assertOk(merged, 'leastpriv generate');
      const mergedGrants = grants(
        JSON.parse(readFileSync(join(work, 'merged.json'), 'utf8')) as PolicyDocument,
      );
      assert.deepEqual(mergedGrants, [...new Set([...scanned, ...observed])].sort());
      assert.match(merged.stderr, new RegExp(`\\(test/fixtures/scan/${p.file.replace('.', '\\.')}:\\d+\\)`));
    });
  }
});
