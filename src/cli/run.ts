import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { caSettingFor, clientEnv, writeCaBundle } from '../capture/proxy/client-env.js';
import type { TlsRejection } from '../capture/proxy/server.js';
import { LeastprivError } from '../errors.js';
import { OUTPUT_OPTIONS, PROXY_OPTIONS, parse } from './args.js';
import { type Capture, startCapture, writeOutputs } from './capture.js';
import { runWithCsm } from './csm.js';
import { formatExplain, formatSummary } from './summary.js';

export const RUN_HELP = `Usage: leastpriv run [options] -- COMMAND [ARGS...]

Runs COMMAND with every AWS API call it makes passing through leastpriv's proxy, then writes
the least-privilege policy those calls needed. The command runs exactly as it would without
leastpriv: its input, output and exit code are its own.

Options:
  -o, --output FILE        write the policy to FILE (default: stdout)
  -f, --format FORMAT      policy format: json (default)
      --calls FILE         write the calls log (NDJSON, one line per call) to FILE
      --upstream TARGET    where intercepted calls go: aws (default), stub (answer locally,
                           no account needed), or the URL of an AWS-compatible endpoint
                           such as moto or LocalStack (http://127.0.0.1:5000)
      --upstream-ca FILE   also trust this CA for an https --upstream
      --account-id ID      the account the calls act in (else learned from the calls)
      --wildcard-resources use "*" for every resource
      --body-limit SIZE    request body bytes kept for parsing (default 1MiB)
      --on-tls-reject MODE stop (default): stop the command when a client rejects
                           leastpriv's certificate; warn: report it and go on
      --csm                capture with SDK client-side monitoring instead of the proxy
                           (sets AWS_CSM_ENABLED/PORT/HOST; no parameters, so every
                           resource is "*")
      --explain            after the summary, the calls behind each statement
  -q, --quiet              no summary on stderr
  -h, --help               this help

Exit status: the command's own; 2 for bad options; 3 when leastpriv stopped the command
because a client rejected its certificate.
`;

/** Exit status when the command was stopped because a client rejected the certificate. */
const EXIT_TLS_REJECTED = 3;

export async function runCommand(argv: string[]): Promise<number> {
  const sep = argv.indexOf('--');
  let optionArgs: string[];
  let command: string[];
  if (sep !== -1) {
    optionArgs = argv.slice(0, sep);
    command = argv.slice(sep + 1);
  } else {
    const first = argv.findIndex((a) => !a.startsWith('-'));
    optionArgs = first === -1 ? argv : argv.slice(0, first);
    command = first === -1 ? [] : argv.slice(first);
  }
  const { values, positionals } = parse(
    optionArgs,
    {
      ...OUTPUT_OPTIONS,
      ...PROXY_OPTIONS,
      'on-tls-reject': { type: 'string', default: 'stop' },
      csm: { type: 'boolean', default: false },
    },
    'run',
  );
  if (values.help) {
    process.stdout.write(RUN_HELP);
    return 0;
  }
  if (positionals.length > 0) command = [...positionals, ...command];
  const [file, ...args] = command;
  if (file === undefined)
    throw new LeastprivError('usage', 'no command to run: leastpriv run [options] -- COMMAND [ARGS...]');
  if (values.csm) return runWithCsm(values, file, args);
  const onReject = values['on-tls-reject'];
  if (onReject !== 'stop' && onReject !== 'warn') {
    throw new LeastprivError('usage', `--on-tls-reject '${onReject}' must be stop or warn`);
  }

  let child: ReturnType<typeof spawn> | null = null;
  let rejected: TlsRejection | null = null;
  let bundlePath = '';
  const log = (line: string) => {
    if (!values.quiet) process.stderr.write(`leastpriv: ${line}\n`);
  };
  const capture: Capture = await startCapture(
    values,
    { host: '127.0.0.1', port: 0 },
    {
      log,
      onTlsReject: (r) => {
        if (rejected) return;
        rejected = r;
        process.stderr.write(
          `leastpriv: a client rejected leastpriv's certificate for ${r.host} (TLS alert: ${r.alert}): it ignores the CA bundle set in ${caSettingFor(r.userAgent)}. Point that setting at ${bundlePath}, which holds the system roots and leastpriv's CA${onReject === 'stop' ? '; stopping the command' : ''}.\n`,
        );
        if (onReject === 'stop' && child) stop(child);
      },
    },
  );
  bundlePath = writeCaBundle(capture.home, capture.ca.certPem, process.env);
  const env = clientEnv(process.env, {
    proxyUrl: capture.proxy.url,
    directHost: capture.proxy.host,
    directPort: capture.proxy.directPort,
    bundlePath,
  });

  const status = await new Promise<number>((resolve) => {
    const c = spawn(file, args, { stdio: 'inherit', env });
    child = c;
    const forward = (signal: NodeJS.Signals) => {
      // A terminal already delivers Ctrl-C to the whole foreground group; forwarding it
      // again would make programs like Terraform see a second, forceful interrupt.
      if (signal === 'SIGINT' && process.stdin.isTTY) return;
      c.kill(signal);
    };
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    for (const s of signals) process.on(s, forward);
    c.on('error', (err: NodeJS.ErrnoException) => {
      for (const s of signals) process.off(s, forward);
      process.stderr.write(
        err.code === 'ENOENT'
          ? `leastpriv: command not found: ${file}; check the name and PATH\n`
          : `leastpriv: cannot run ${file}: ${err.message}\n`,
      );
      resolve(err.code === 'ENOENT' ? 127 : 126);
    });
    c.on('exit', (code, signal) => {
      for (const s of signals) process.off(s, forward);
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 1) : 1));
    });
  });

  await capture.proxy.close();
  const written = writeOutputs(capture, values);
  if (!values.quiet) process.stderr.write(formatSummary(capture.session.summary(), written));
  if (values.explain) process.stderr.write(formatExplain(capture.session));
  return rejected && onReject === 'stop' ? EXIT_TLS_REJECTED : status;
}

function stop(child: ReturnType<typeof spawn>): void {
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  timer.unref();
  child.once('exit', () => clearTimeout(timer));
}
