/**
 * The snags a new user hits with `run` and `proxy`, as real processes: outputs that cannot be
 * written (checked before the command, a fallback after it), an empty capture over an existing
 * policy, an endpoint override that sends the calls around the proxy, the environment printed
 * for another shell, the live view in a real terminal (tmux), and stopping with a request in
 * flight.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  CLI,
  exec,
  explain,
  leastprivRun,
  parseNdjson,
  randomFile,
  requireTools,
  stopGroup,
  tempDir,
  testEnv,
} from './support.js';

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitFor<T>(
  what: string,
  ms: number,
  check: () => T | undefined,
  detail: () => string,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out after ${ms} ms waiting for ${what}\n${detail()}`);
    await sleep(50);
  }
}

/** A running `leastpriv proxy` with its stderr collected. */
interface Proxy {
  child: ChildProcess;
  stderr: () => string;
  stdout: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startProxy(args: string[], env: NodeJS.ProcessEnv): Proxy {
  const child = spawn(process.execPath, [CLI, 'proxy', ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stderr = '';
  let stdout = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stderr: () => stderr, stdout: () => stdout, exit };
}

const started: ChildProcess[] = [];
after(async () => {
  for (const c of started) await stopGroup(c, 'SIGKILL');
});

describe('run: outputs that cannot be written', { timeout: 120_000 }, () => {
  it('checks -o and --calls before starting the command', async () => {
    const env = testEnv(tempDir('snag-home'));
    const out = tempDir('snag-out');
    const file = join(out, 'a-file');
    fs.writeFileSync(file, 'not a folder\n');
    const marker = join(out, 'ran');
    for (const [flag, other] of [
      ['-o', '--calls'],
      ['--calls', '-o'],
    ] as const) {
      const r = await exec(
        process.execPath,
        [CLI, 'run', flag, join(file, 'x.json'), other, join(out, `ok${flag}`), '--', 'touch', marker],
        { env, timeoutMs: 30_000 },
      );
      assert.equal(r.code, 2, explain(r));
      const what = flag === '-o' ? 'the policy (-o)' : 'the calls log (--calls)';
      assert.match(
        r.stderr,
        new RegExp(
          `^leastpriv: cannot write ${what.replace(/[()]/g, '\\$&')} to ${file}/x\\.json: [^\\n]*(EEXIST|ENOTDIR)[^\\n]*; the command was not started\\n$`,
        ),
      );
      assert.equal(fs.existsSync(marker), false, 'the command ran');
    }
  });

  it('keeps the command’s exit status and writes the outputs to a fallback it names', async () => {
    const home = tempDir('snag-home');
    const env = testEnv(home);
    const out = tempDir('snag-out');
    const dir = join(out, 'd');
    const r = await exec(
      process.execPath,
      [
        CLI,
        'run',
        '-o',
        join(dir, 'policy.json'),
        '--calls',
        join(dir, 'calls.ndjson'),
        '--',
        'sh',
        '-c',
        `rm -rf '${dir}' && touch '${dir}'; exit 5`,
      ],
      { env, timeoutMs: 30_000 },
    );
    assert.equal(r.code, 5, explain(r));
    const policy = new RegExp(
      `leastpriv: cannot write the policy to ${dir}/policy\\.json \\([^\\n]*\\); wrote it to (\\S+) instead\\n`,
    ).exec(r.stderr);
    assert.ok(policy, explain(r));
    const calls = new RegExp(
      `leastpriv: cannot write the calls log to ${dir}/calls\\.ndjson \\([^\\n]*\\); wrote it to (\\S+) instead\\n`,
    ).exec(r.stderr);
    assert.ok(calls, explain(r));
    const fallback = policy[1] as string;
    assert.ok(fallback.startsWith(join(home, 'unsaved')), fallback);
    assert.equal(
      (JSON.parse(fs.readFileSync(fallback, 'utf8')) as { Version: string }).Version,
      '2012-10-17',
    );
    assert.equal(fs.readFileSync(calls[1] as string, 'utf8'), '');
  });

  it('an empty capture keeps an existing policy and says so, unless --force', async () => {
    const env = testEnv(tempDir('snag-home'));
    const out = tempDir('snag-out');
    const policy = join(out, 'policy.json');
    const calls = join(out, 'calls.ndjson');
    fs.writeFileSync(policy, 'OLD POLICY\n');
    fs.writeFileSync(calls, 'OLD CALLS\n');
    const r = await exec(process.execPath, [CLI, 'run', '-o', policy, '--calls', calls, '--', 'true'], {
      env,
      timeoutMs: 30_000,
    });
    assert.equal(r.code, 0, explain(r));
    assert.equal(fs.readFileSync(policy, 'utf8'), 'OLD POLICY\n');
    assert.equal(fs.readFileSync(calls, 'utf8'), 'OLD CALLS\n');
    assert.match(
      r.stderr,
      new RegExp(
        `leastpriv: no calls were seen: kept ${policy} and ${calls} as they were \\(--force replaces them\\)\\n`,
      ),
    );
    const forced = await exec(
      process.execPath,
      [CLI, 'run', '--force', '-o', policy, '--calls', calls, '--', 'true'],
      { env, timeoutMs: 30_000 },
    );
    assert.equal(forced.code, 0, explain(forced));
    assert.equal((JSON.parse(fs.readFileSync(policy, 'utf8')) as { Version: string }).Version, '2012-10-17');
    assert.equal(fs.readFileSync(calls, 'utf8'), '');
  });
});

describe('run: an endpoint override sends the calls around the proxy', { timeout: 60_000 }, () => {
  it('AWS_ENDPOINT_URL: said before the command starts, and again when no call was seen', async () => {
    const env = testEnv(tempDir('snag-home'), { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' });
    const r = await leastprivRun(['sh', '-c', 'echo command-started >&2'], {
      env,
      options: ['--upstream', 'stub'],
    });
    assert.equal(r.code, 0, explain(r));
    const warning =
      "leastpriv: AWS_ENDPOINT_URL=http://127.0.0.1:4566 sends the command's AWS calls straight there, around leastpriv's proxy, so they are not recorded: unset it and give leastpriv --upstream http://127.0.0.1:4566 instead\n";
    assert.ok(r.stderr.startsWith(`${warning}command-started\n`), explain(r));
    assert.match(
      r.stderr,
      /\nleastpriv: no call reached the proxy: the command's AWS calls went to http:\/\/127\.0\.0\.1:4566 \(AWS_ENDPOINT_URL\); run again without it and with --upstream http:\/\/127\.0\.0\.1:4566\n$/,
    );
  });

  it('--endpoint-url in the command and AWS_ENDPOINT_URL_<SERVICE> are detected too', async () => {
    const env = testEnv(tempDir('snag-home'), { AWS_ENDPOINT_URL_DYNAMODB: 'http://localhost:8000' });
    const r = await leastprivRun(['sh', '-c', 'true', '--endpoint-url', 'http://localhost:5000'], {
      env,
      options: ['-q'],
    });
    assert.equal(r.code, 0, explain(r));
    assert.equal(
      r.stderr,
      "leastpriv: AWS_ENDPOINT_URL_DYNAMODB=http://localhost:8000 sends the command's AWS calls straight there, around leastpriv's proxy, so they are not recorded: unset it and give leastpriv --upstream http://localhost:8000 instead\n" +
        "leastpriv: --endpoint-url http://localhost:5000 sends the command's AWS calls straight there, around leastpriv's proxy, so they are not recorded: drop it and give leastpriv --upstream http://localhost:5000 instead\n",
    );
    // An endpoint that is AWS's own still passes through the proxy: nothing to say.
    const fips = await leastprivRun(['true'], {
      env: testEnv(tempDir('snag-home'), {
        AWS_ENDPOINT_URL: 'https://dynamodb-fips.us-east-1.amazonaws.com',
      }),
      options: ['-q'],
    });
    assert.equal(fips.code, 0, explain(fips));
    assert.equal(fips.stderr, '');
  });
});

describe('proxy: the environment for another shell', { timeout: 60_000 }, () => {
  it('--env FILE and --print-env append to NODE_OPTIONS and JAVA_TOOL_OPTIONS', async () => {
    const home = tempDir('snag-home');
    const env = testEnv(home, {
      NODE_OPTIONS: '--max-old-space-size=200',
      JAVA_TOOL_OPTIONS: '-Dproxy.own=1',
    });
    const out = tempDir('snag-out');
    const envFile = join(out, 'proxy.env');
    const p = startProxy(['--port', '0', '--upstream', 'stub', '--env', envFile, '--print-env', '-q'], env);
    started.push(p.child);
    await waitFor('the env file', 15_000, () => (fs.existsSync(envFile) ? true : undefined), p.stderr);
    const printed = await waitFor(
      'the environment on stdout',
      15_000,
      () => (/NODE_OPTIONS/.test(p.stdout()) ? p.stdout() : undefined),
      p.stderr,
    );
    assert.equal(printed, fs.readFileSync(envFile, 'utf8'));
    assert.match(printed, /^export HTTPS_PROXY=http:\/\/127\.0\.0\.1:\d+$/m);
    // stderr and stdout are two pipes: the hint may arrive after the environment did.
    const hint = new RegExp(`In the terminal that runs your workload: \\. ${envFile}\\n`);
    await waitFor('the hint on stderr', 15_000, () => (hint.test(p.stderr()) ? true : undefined), p.stderr);
    const script = `. '${envFile}'; printf '%s\\n' "$NODE_OPTIONS" "$JAVA_TOOL_OPTIONS"; node -e 'process.exit(0)' && echo node-ok`;
    const withOwn = await exec('sh', ['-c', script], {
      env: testEnv(home, { NODE_OPTIONS: '--no-deprecation', JAVA_TOOL_OPTIONS: '-Dworkload=1' }),
      timeoutMs: 30_000,
    });
    const [node, java, ok] = withOwn.stdout.split('\n');
    assert.match(node ?? '', /^--no-deprecation --require "[^"]+preload\.cjs"$/, explain(withOwn));
    assert.match(java ?? '', /^-Dworkload=1 -Dhttps\.proxyHost=127\.0\.0\.1 /, explain(withOwn));
    assert.equal(ok, 'node-ok', explain(withOwn));
    assert.doesNotMatch(withOwn.stdout, /max-old-space-size|proxy\.own/);
    const without = await exec('sh', ['-c', script], { env: testEnv(home), timeoutMs: 30_000 });
    const [node2, java2] = without.stdout.split('\n');
    assert.match(node2 ?? '', /^--require "[^"]+preload\.cjs"$/, explain(without));
    assert.match(java2 ?? '', /^-Dhttps\.proxyHost=127\.0\.0\.1 /, explain(without));
    p.child.kill('SIGTERM');
    assert.deepEqual(await p.exit, { code: 0, signal: null }, p.stderr());
  });
});

describe('proxy: the live view in a terminal', { timeout: 120_000 }, () => {
  it('redraws in place (long lines too) and keeps the SIGHUP confirmation', async () => {
    requireTools('aws');
    const socket = `leastpriv-e2e-${process.pid}`;
    const tmux = (...args: string[]) => spawnSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
    if (tmux('-V').status !== 0) assert.fail('this test needs tmux (apt-get install tmux)');
    after(() => {
      tmux('kill-server');
    });
    const home = tempDir('snag-home');
    const env = testEnv(home);
    const out = tempDir('snag-out');
    const envFile = join(out, 'proxy.env');
    const policy = join(out, 'p.json');
    const calls = join(out, 'c.ndjson');
    const vars = Object.entries(env)
      .map(([k, v]) => `${k}='${String(v).replace(/'/g, `'\\''`)}'`)
      .join(' ');
    const cmd = `exec env -i ${vars} '${process.execPath}' '${CLI}' proxy --port 0 --upstream stub --env '${envFile}' -o '${policy}' --calls '${calls}'`;
    const created = tmux('new-session', '-d', '-s', 'live', '-x', '70', '-y', '30', cmd);
    assert.equal(created.status, 0, created.stderr);
    const pane = () => tmux('capture-pane', '-p', '-J', '-t', 'live').stdout;
    await waitFor('the env file', 20_000, () => (fs.existsSync(envFile) ? true : undefined), pane);
    const pid = Number(tmux('display-message', '-p', '-t', 'live', '#{pane_pid}').stdout.trim());
    const workload = (script: string) =>
      exec('sh', ['-c', `. '${envFile}'; ${script}`], { env, cwd: out, timeoutMs: 60_000 });
    // Table names long enough that their ARNs wrap in a 70-column terminal.
    for (const name of ['a', 'b', 'c']) {
      const table = `${name}-a-table-name-long-enough-to-wrap-the-terminal-line`;
      const r = await workload(`aws dynamodb describe-table --table-name ${table} >/dev/null`);
      assert.equal(r.code, 0, explain(r));
      await sleep(700);
    }
    process.kill(pid, 'SIGHUP');
    await waitFor('the policy after SIGHUP', 10_000, () => (fs.existsSync(policy) ? true : undefined), pane);
    const r = await workload('aws sts get-caller-identity >/dev/null');
    assert.equal(r.code, 0, explain(r));
    const screen = await waitFor(
      'the live view of 4 calls',
      10_000,
      () => {
        const text = pane();
        return /policy so far: 4 calls/.test(text) ? text : undefined;
      },
      pane,
    );
    assert.equal(screen.match(/── policy so far/g)?.length, 1, `one live view on the screen:\n${screen}`);
    assert.match(screen, new RegExp(`leastpriv: wrote ${policy} and ${calls}; still serving\\n`), screen);
    assert.equal(screen.match(/"Version"/g)?.length, 1, `no stale policy lines:\n${screen}`);
    process.kill(pid, 'SIGTERM');
  });
});

describe('proxy: stopping with a request in flight', { timeout: 120_000 }, () => {
  /** Starts a slow upload through the proxy; resolves once the proxy is receiving it. */
  async function slowUpload(p: Proxy, out: string, env: NodeJS.ProcessEnv): Promise<ChildProcess> {
    requireTools('curl');
    const exportLine = await waitFor(
      'the export line',
      15_000,
      () => /^\s*(export .*)$/m.exec(p.stderr())?.[1],
      p.stderr,
    );
    const file = join(out, 'upload.bin');
    randomFile(file, 4 << 20);
    const curl = spawn(
      'sh',
      [
        '-c',
        `${exportLine}\nexec curl -sS --limit-rate 64k -T '${file}' https://uploads.s3.us-east-1.amazonaws.com/big.bin`,
      ],
      { env, stdio: 'ignore', detached: true },
    );
    started.push(curl);
    await sleep(2000);
    return curl;
  }

  it('SIGTERM records the upload in flight as seen so far, with no response', async () => {
    const env = testEnv(tempDir('snag-home'));
    const out = tempDir('snag-out');
    const calls = join(out, 'calls.ndjson');
    const p = startProxy(
      ['--port', '0', '--upstream', 'stub', '-o', join(out, 'p.json'), '--calls', calls],
      env,
    );
    started.push(p.child);
    await slowUpload(p, out, env);
    p.child.kill('SIGTERM');
    assert.deepEqual(await p.exit, { code: 0, signal: null }, p.stderr());
    const records = parseNdjson(fs.readFileSync(calls, 'utf8'));
    assert.deepEqual(
      records.map((c) => [c.method, c.host, c.path, c.status]),
      [['PUT', 'uploads.s3.us-east-1.amazonaws.com', '/big.bin', null]],
      p.stderr(),
    );
  });

  it('a second Ctrl-C stops waiting for it but still writes the outputs', async () => {
    const env = testEnv(tempDir('snag-home'));
    const out = tempDir('snag-out');
    const calls = join(out, 'calls.ndjson');
    const policy = join(out, 'p.json');
    // iamlive's --bind-addr HOST:PORT is --host and --port.
    const p = startProxy(
      ['--bind-addr', '127.0.0.1:0', '--upstream', 'stub', '-o', policy, '--calls', calls],
      env,
    );
    started.push(p.child);
    assert.match(
      await waitFor(
        'the banner',
        15_000,
        () => /listening on (http:\/\/\S+),/.exec(p.stderr())?.[1],
        p.stderr,
      ),
      /^http:\/\/127\.0\.0\.1:\d+$/,
    );
    await slowUpload(p, out, env);
    const t0 = Date.now();
    p.child.kill('SIGINT');
    await sleep(300);
    p.child.kill('SIGINT');
    assert.deepEqual(await p.exit, { code: 0, signal: null }, p.stderr());
    assert.ok(Date.now() - t0 < 1800, `the second Ctrl-C did not cut the wait: ${Date.now() - t0} ms`);
    assert.match(
      p.stderr(),
      /\nleastpriv: not waiting for 1 call in flight \(recorded without a response\); Ctrl-C again quits without writing\n/,
    );
    const records = parseNdjson(fs.readFileSync(calls, 'utf8'));
    assert.deepEqual(
      records.map((c) => [c.method, c.path, c.status]),
      [['PUT', '/big.bin', null]],
    );
    assert.equal((JSON.parse(fs.readFileSync(policy, 'utf8')) as { Version: string }).Version, '2012-10-17');
  });
});
