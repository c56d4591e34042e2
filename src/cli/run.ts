import type { ChildProcess } from 'node:child_process';
import { clientEnv, rejectionAdvice, type TrustFiles, writeTrustFiles } from '../capture/proxy/client-env.js';
import type { TlsRejection } from '../capture/proxy/server.js';
import { LeastprivError } from '../errors.js';
import { OUTPUT_OPTIONS, PROXY_OPTIONS, parse } from './args.js';
import { type Capture, startCapture } from './capture.js';
import { runChild, stopChild } from './child.js';
import { runWithCsm } from './csm.js';
import { writeOutputs } from './outputs.js';
import { formatExplain, formatSummary } from './summary.js';

export const RUN_HELP = `Usage: leastpriv run [options] -- COMMAND [ARGS...]

Runs COMMAND with every AWS API call it makes passing through leastpriv's proxy, then writes
the least-privilege policy those calls needed. The command runs exactly as it would without
leastpriv: its input, output and exit code are its own.

Options:
  -o, --output FILE        write the policy to FILE (default: stdout)
  -f, --format FORMAT      json (default), terraform, cloudformation or markdown
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

  let child: ChildProcess | null = null;
  let rejected: TlsRejection | null = null;
  let trust: TrustFiles = { bundle: '', javaTrustStore: '' };
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
          `leastpriv: a client rejected leastpriv's certificate for ${r.host} (TLS alert: ${r.alert}): ${rejectionAdvice(r.userAgent, trust)}${onReject === 'stop' ? '; stopping the command' : ''}.\n`,
        );
        if (onReject === 'stop' && child) stopChild(child);
      },
    },
  );
  trust = writeTrustFiles(capture.home, capture.ca.certPem, process.env);
  const env = clientEnv(process.env, {
    proxyUrl: capture.proxy.url,
    directHost: capture.proxy.host,
    directPort: capture.proxy.directPort,
    trust,
  });

  const started = runChild(file, args, env);
  child = started.child;
  const status = await started.status;

  await capture.proxy.close();
  const written = writeOutputs(capture, values);
  started.release();
  if (!values.quiet) process.stderr.write(formatSummary(capture.session.summary(), written));
  if (values.explain) process.stderr.write(formatExplain(capture.session));
  return rejected && onReject === 'stop' ? EXIT_TLS_REJECTED : status;
}
