/**
 * Shared helpers for the end-to-end tests: a fresh moto_server per test file, a clean child
 * environment, and a runner for the leastpriv CLI that returns the command's output with the
 * calls log and the policy it wrote. The tests treat leastpriv as a black box: they only read
 * what the CLI prints and writes.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs as dist/test/e2e/support.js). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The compiled CLI, from the same build as this file (`dist/`, or another `--outDir`). */
export const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
/** Fixture files for these tests (not compiled: scripts run as they are). */
export const FIXTURES = join(ROOT, 'test', 'fixtures', 'e2e');

/** moto's fixed account. */
export const ACCOUNT = '123456789012';
export const ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
export const SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
/** The system bundle these machines preset the CA variables to. */
export const SYSTEM_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

// ---------------------------------------------------------------------------------------------
// Tools

type Tool =
  | 'moto_server'
  | 'aws'
  | 'boto3'
  | 'terraform'
  | 'openssl'
  | 'curl'
  | 'python3'
  | 'java'
  | 'keytool'
  | 'gcloud'
  | 'az';

const TOOL_PROBES: Record<Tool, { cmd: string; args: string[]; install: string }> = {
  moto_server: {
    cmd: 'moto_server',
    args: ['--help'],
    install: "install moto 5 with its server extra: pip install 'moto[server]>=5'",
  },
  aws: { cmd: 'aws', args: ['--version'], install: 'install the AWS CLI v1: pip install awscli' },
  boto3: { cmd: 'python3', args: ['-c', 'import boto3'], install: 'install boto3: pip install boto3' },
  terraform: {
    cmd: 'terraform',
    args: ['version'],
    install: 'install Terraform 1.11 (https://developer.hashicorp.com/terraform/install)',
  },
  openssl: { cmd: 'openssl', args: ['version'], install: 'install OpenSSL 3 (apt-get install openssl)' },
  curl: { cmd: 'curl', args: ['--version'], install: 'install curl (apt-get install curl)' },
  python3: { cmd: 'python3', args: ['--version'], install: 'install Python 3 (apt-get install python3)' },
  java: {
    cmd: 'java',
    args: ['-version'],
    install: 'install a JDK 11 or later (apt-get install openjdk-17-jdk-headless)',
  },
  gcloud: {
    cmd: 'gcloud',
    args: ['--version'],
    install:
      "install the Google Cloud CLI (Debian package google-cloud-cli from Google's apt repository, https://cloud.google.com/sdk/docs/install#deb)",
  },
  az: {
    cmd: 'az',
    args: ['version', '-o', 'none'],
    install: 'install the Azure CLI (apt-get install azure-cli; .ci/run does when it is missing)',
  },
  keytool: {
    cmd: 'keytool',
    args: ['-help'],
    install: 'install a JDK 11 or later, which brings keytool (apt-get install openjdk-17-jdk-headless)',
  },
};

const checked = new Set<Tool>();

/** Fails (never skips) when a tool the test needs is missing, naming what to install. */
export function requireTools(...tools: Tool[]): void {
  for (const tool of tools) {
    if (checked.has(tool)) continue;
    const probe = TOOL_PROBES[tool];
    const r = spawnSync(probe.cmd, probe.args, { encoding: 'utf8', timeout: 30_000 });
    if (r.error || r.status !== 0) {
      assert.fail(
        `this test needs \`${tool}\`: ${probe.install} (probe \`${probe.cmd} ${probe.args.join(' ')}\` failed: ${
          r.error?.message ?? r.stderr.trim()
        })`,
      );
    }
    checked.add(tool);
  }
}

// ---------------------------------------------------------------------------------------------
// Temp folders and files

const tempDirs: string[] = [];
process.once('exit', () => {
  if (process.env.LEASTPRIV_E2E_KEEP) return;
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A new folder under the OS temp folder, removed when the test process exits. */
export function tempDir(prefix = 'e2e'): string {
  const dir = fs.mkdtempSync(join(tmpdir(), `leastpriv-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

/** Writes `size` random bytes to `path`. */
export function randomFile(path: string, size: number): void {
  const fd = fs.openSync(path, 'w');
  try {
    const chunk = 1 << 20;
    for (let done = 0; done < size; done += chunk) {
      const buf = Buffer.allocUnsafe(Math.min(chunk, size - done));
      for (let i = 0; i < buf.length; i += 4) buf.writeUInt32LE((Math.random() * 0x100000000) >>> 0, i);
      fs.writeSync(fd, buf);
    }
  } finally {
    fs.closeSync(fd);
  }
}

export function sha256File(path: string): string {
  return createHash('sha256').update(fs.readFileSync(path)).digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Ports and moto

/** A free loopback port (listen on port 0, note the port, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Keeps the last `max` characters written to a stream (for failure messages). */
class Tail {
  text = '';
  constructor(private readonly max = 16_000) {}
  push = (chunk: Buffer | string) => {
    this.text = (this.text + chunk.toString()).slice(-this.max);
  };
}

export interface Moto {
  /** http://127.0.0.1:PORT, the value for `--upstream`. */
  url: string;
  port: number;
  /** Forgets every resource (POST /moto-api/reset). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts a fresh moto_server on a free port and waits until `GET /moto-api/` answers. Another
 * process may take the port between the probe and moto's bind: then it tries another port.
 */
export async function startMoto(): Promise<Moto> {
  requireTools('moto_server');
  let lastError = '';
  for (let attempt = 0; attempt < 4; attempt++) {
    const port = await freePort();
    const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      env: { ...process.env, PYTHONUNBUFFERED: '1' },
    });
    // If this test process dies without its `after` hook, moto must not outlive it.
    const killOnExit = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    process.once('exit', killOnExit);
    child.once('exit', () => process.off('exit', killOnExit));
    const log = new Tail();
    child.stdout?.on('data', log.push);
    child.stderr?.on('data', log.push);
    let exited = false;
    child.once('exit', () => {
      exited = true;
    });
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    while (!exited && Date.now() < deadline) {
      try {
        const res = await fetch(`${url}/moto-api/`, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        if (res.ok) {
          return {
            url,
            port,
            reset: async () => {
              const r = await fetch(`${url}/moto-api/reset`, { method: 'POST' });
              await r.arrayBuffer();
              assert.equal(r.status, 200, 'moto reset failed');
            },
            stop: () => stopGroup(child),
          };
        }
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    lastError = log.text;
    await stopGroup(child);
  }
  assert.fail(`moto_server did not start (4 attempts); its last output:\n${lastError}`);
}

/** Stops a detached child and everything it started; resolves when it has exited. */
export function stopGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  return new Promise((resolve) => {
    if (child.pid === undefined) {
      resolve();
      return;
    }
    const kill = (sig: NodeJS.Signals) => {
      try {
        process.kill(-(child.pid as number), sig);
      } catch {
        // already gone
      }
    };
    // The group, even when the direct child is gone: a process it started may still hold its
    // output pipes open, and the test would wait for them for ever.
    if (child.exitCode !== null || child.signalCode !== null) {
      kill('SIGKILL');
      resolve();
      return;
    }
    const timer = setTimeout(() => kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    kill(signal);
  });
}

// ---------------------------------------------------------------------------------------------
// Environment

/**
 * The environment every command under test runs in, built explicitly: dummy credentials,
 * us-east-1, no instance metadata, no profile, no endpoint override, no proxy of the outer
 * machine, AWS config files that do not exist, and a temp LEASTPRIV_HOME. The CA bundle
 * variables the machine presets (AWS_CA_BUNDLE, REQUESTS_CA_BUNDLE, SSL_CERT_FILE,
 * CURL_CA_BUNDLE, NODE_EXTRA_CA_CERTS) stay as they are: `leastpriv run` must override them.
 */
export function testEnv(home: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (/^AWS_/.test(key)) continue;
    if (/^(HTTPS?|ALL|NO)_PROXY$/i.test(key)) continue;
    if (/^(NODE_TEST_CONTEXT|NODE_OPTIONS|LEASTPRIV_.*|TF_.*)$/.test(key)) continue;
    env[key] = value;
  }
  // The CA variables are part of what is tested: keep the machine's, or preset them the same way.
  for (const name of ['AWS_CA_BUNDLE', 'REQUESTS_CA_BUNDLE', 'SSL_CERT_FILE', 'CURL_CA_BUNDLE']) {
    env[name] = process.env[name] ?? SYSTEM_BUNDLE;
  }
  env.NODE_EXTRA_CA_CERTS = process.env.NODE_EXTRA_CA_CERTS ?? SYSTEM_BUNDLE;
  Object.assign(env, {
    AWS_ACCESS_KEY_ID: ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(home, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-aws-credentials'),
    AWS_PAGER: '',
    LEASTPRIV_HOME: home,
    CHECKPOINT_DISABLE: '1',
    PYTHONDONTWRITEBYTECODE: '1',
  });
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

// ---------------------------------------------------------------------------------------------
// Running commands

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time in milliseconds. */
  ms: number;
}

export interface ExecOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Fails the test with a clear message (and kills the process group) after this long. */
  timeoutMs?: number;
  input?: string;
}

/** Runs a command without blocking the event loop; rejects with a clear message on timeout. */
export function exec(cmd: string, args: string[], options: ExecOptions): Promise<Result> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    // A command that exits, or closes its stdin, before reading it makes this write fail with
    // EPIPE: that is the command's business (its exit status tells), not an uncaught error.
    child.stdin?.on('error', () => undefined);
    if (options.input) child.stdin?.end(options.input);
    else child.stdin?.end();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      void stopGroup(child, 'SIGKILL');
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${cmd}: ${err.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const ms = Date.now() - started;
      if (timedOut) {
        reject(
          new Error(
            `timed out after ${timeoutMs} ms (killed): ${[cmd, ...args].join(' ')}\n` +
              `--- stdout (tail):\n${stdout.slice(-4000)}\n--- stderr (tail):\n${stderr.slice(-4000)}`,
          ),
        );
        return;
      }
      resolve({ code, signal, stdout, stderr, ms });
    });
  });
}

/** One line of the calls log, as DESIGN.md specifies it. */
export interface CallRecord {
  time: string;
  source: string;
  provider: string;
  service: string | null;
  operation: string | null;
  region: string | null;
  account: string | null;
  status: number | null;
  error: string | null;
  actions: string[] | null;
  resources: string[] | null;
  unresolved: string | null;
  host: string;
  method: string;
  path: string;
}

export interface PolicyDocument {
  Version: string;
  Statement: { Effect: string; Action: string | string[]; Resource?: string | string[] }[];
}

export interface RunResult extends Result {
  /** The calls log (`--calls`), parsed; [] when the file was not written. */
  calls: CallRecord[];
  /** The raw text of the calls log, or null when it was not written. */
  callsText: string | null;
  /** The policy (`-o`), parsed; null when the file was not written. */
  policy: PolicyDocument | null;
  callsPath: string;
  policyPath: string;
  started: number;
  ended: number;
}

export interface RunOptions extends ExecOptions {
  /** Options before `--` (besides -o and --calls, which the helper adds). */
  options?: string[];
  /** Where -o and --calls go (default: a new temp folder). */
  outDir?: string;
}

let runCount = 0;

/** Runs `leastpriv run [options] -o POLICY --calls CALLS -- COMMAND...`. */
export async function leastprivRun(command: string[], options: RunOptions): Promise<RunResult> {
  const outDir = options.outDir ?? tempDir('out');
  runCount += 1;
  const policyPath = join(outDir, `policy-${runCount}.json`);
  const callsPath = join(outDir, `calls-${runCount}.ndjson`);
  const args = [
    CLI,
    'run',
    ...(options.options ?? []),
    '-o',
    policyPath,
    '--calls',
    callsPath,
    '--',
    ...command,
  ];
  const started = Date.now();
  const result = await exec(process.execPath, args, options);
  const ended = Date.now();
  const callsText = fs.existsSync(callsPath) ? fs.readFileSync(callsPath, 'utf8') : null;
  const calls = callsText === null ? [] : parseNdjson(callsText, callsPath);
  const policy = fs.existsSync(policyPath)
    ? (JSON.parse(fs.readFileSync(policyPath, 'utf8')) as PolicyDocument)
    : null;
  return { ...result, calls, callsText, policy, callsPath, policyPath, started, ended };
}

export function parseNdjson(text: string, name = 'calls log'): CallRecord[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      try {
        return JSON.parse(line) as CallRecord;
      } catch {
        throw new assert.AssertionError({ message: `${name} line ${i + 1} is not JSON: ${line}` });
      }
    });
}

/** A readable failure message: the command's exit, its stderr, and the calls it logged. */
export function explain(r: RunResult | Result): string {
  const calls = 'calls' in r ? `\n--- calls:\n${r.calls.map(callLine).join('\n')}` : '';
  return `exit ${r.code}${r.signal ? ` (signal ${r.signal})` : ''} after ${r.ms} ms\n--- stdout:\n${r.stdout.slice(-3000)}\n--- stderr:\n${r.stderr.slice(-5000)}${calls}`;
}

/** `METHOD host/path STATUS` with the query dropped: what the capture layer guarantees. */
export function callLine(c: CallRecord): string {
  return `${c.method} ${c.host}${(c.path ?? '').split('?')[0]} ${c.status}`;
}

/** The calls as sorted `METHOD host/path STATUS` lines (order-free, so parallel parts compare). */
export function callLines(calls: CallRecord[]): string[] {
  return calls.map(callLine).sort();
}

/** Asserts the command succeeded, with its output in the failure message. */
export function assertOk(r: RunResult | Result, what = 'the command'): void {
  assert.equal(r.code, 0, `${what} failed: ${explain(r)}`);
}

/** The service/operation view of a resolved record. */
export function opView(
  c: CallRecord,
): Pick<
  CallRecord,
  'host' | 'method' | 'status' | 'error' | 'service' | 'operation' | 'region' | 'unresolved'
> {
  return {
    host: c.host,
    method: c.method,
    status: c.status,
    error: c.error,
    service: c.service,
    operation: c.operation,
    region: c.region,
    unresolved: c.unresolved,
  };
}

/** The records of one service operation (for json/query services that resolve today). */
export function callsOf(calls: CallRecord[], service: string, operation: string): CallRecord[] {
  return calls.filter((c) => c.service === service && c.operation === operation);
}

/**
 * What every record must satisfy whatever the resolution stage does: the fixed fields, a
 * timestamp inside the run, a cloud host, and no secret anywhere in the log.
 */
export function assertCaptureInvariants(r: RunResult): void {
  assert.notEqual(r.callsText, null, `the calls log ${r.callsPath} was not written: ${explain(r)}`);
  for (const c of r.calls) {
    const line = JSON.stringify(c);
    assert.equal(c.source, 'proxy', line);
    assert.equal(c.provider, 'aws', line);
    const t = Date.parse(c.time);
    assert.ok(Number.isFinite(t), `bad time in ${line}`);
    assert.ok(t >= r.started - 1000 && t <= r.ended + 1000, `time outside the run in ${line}`);
    assert.match(c.host, /(^|\.)(amazonaws\.com|amazonaws\.com\.cn|api\.aws)$/, line);
    assert.match(c.method, /^(GET|HEAD|PUT|POST|DELETE|PATCH)$/, line);
    assert.match(c.path, /^\//, line);
    assert.equal(typeof c.status, 'number', line);
    for (const key of [
      'time',
      'source',
      'provider',
      'service',
      'operation',
      'region',
      'account',
      'status',
      'error',
      'actions',
      'resources',
      'unresolved',
    ]) {
      assert.ok(key in c, `field ${key} missing in ${line}`);
    }
  }
  const text = r.callsText ?? '';
  assert.ok(!text.includes(SECRET_ACCESS_KEY), 'the secret access key leaked into the calls log');
  assert.ok(!/Signature=|AWS4-HMAC-SHA256 Credential/.test(text), 'a signature leaked into the calls log');
}

/** Every action the policy allows, sorted. */
export function policyActions(policy: PolicyDocument | null): string[] {
  assert.ok(policy, 'no policy was written');
  assert.equal(policy.Version, '2012-10-17');
  const actions = new Set<string>();
  for (const s of policy.Statement) {
    for (const a of Array.isArray(s.Action) ? s.Action : [s.Action]) actions.add(a);
  }
  return [...actions].sort();
}

/** Asserts the policy allows at least these actions (more arrive as S3 resolution lands). */
export function assertPolicyIncludes(policy: PolicyDocument | null, expected: string[]): void {
  const actions = policyActions(policy);
  const missing = expected.filter((a) => !actions.includes(a));
  assert.deepEqual(missing, [], `the policy lacks ${missing.join(', ')}; it allows ${actions.join(', ')}`);
}
