import type { ChildProcess } from 'node:child_process';
import {
  clientEnv,
  endpointOverrides,
  overrideWarning,
  rejectionAdvice,
  shellQuote,
  type TrustFiles,
  writeTrustFiles,
} from '../capture/proxy/client-env.js';
import type { TlsRejection } from '../capture/proxy/server.js';
import { LeastprivError } from '../errors.js';
import { openUi, uiPort } from '../ui/index.js';
import { FAILS_ONLY_OPTION, OUTPUT_OPTIONS, PROXY_OPTIONS, parse, valueOptions } from './args.js';
import { type Capture, startCapture, stopCapture } from './capture.js';
import { runChild, stopChild } from './child.js';
import { runWithCsm } from './csm.js';
import { checkWritable, summaryFor, type Written, writeOutputs } from './outputs.js';
import { formatExplain, formatSummary } from './summary.js';

export const RUN_HELP = `Usage: leastpriv run [options] -- COMMAND [ARGS...]

Runs COMMAND with every AWS API call it makes passing through leastpriv's proxy, then writes
the least-privilege policy those calls needed. The command runs exactly as it would without
leastpriv: its input, output and exit code are its own.

Options:
  -o, --output FILE        write the policy to FILE (default: stdout); checked before the
                           command starts; if it cannot be written after the command, the
                           policy goes to $LEASTPRIV_HOME/unsaved and the path is printed
  -f, --format FORMAT      policy format: json (default), terraform, cloudformation or markdown
      --calls FILE         write the calls log (NDJSON, one line per call) to FILE
      --force              replace an existing -o/--calls file even when no call was seen
                           (else it is kept as it was)
      --upstream TARGET    where intercepted calls go: aws (the real endpoints, default), stub
                           (answer locally, no account or project needed), or the URL of a
                           compatible endpoint such as moto or LocalStack (http://127.0.0.1:5000);
                           per cloud: gcp=http://127.0.0.1:8085 (an emulator), aws=URL,azure=stub;
                           per host suffix: blob.core.windows.net=http://127.0.0.1:10000 (Azurite)
      --upstream-ca FILE   also trust this CA for an https --upstream
      --account-id ID      the account the calls act in (else learned from the calls)
      --wildcard-resources use "*" for every resource
      --compact            more than 10 resources of one kind under one parent become one
                           wildcard (parent/*), each listed in the summary
      --fails-only         only the permissions of the calls that were denied (fix the
                           AccessDenied errors of one run, then run again)
      --body-limit SIZE    request body bytes kept for parsing (default 1MiB)
      --on-tls-reject MODE stop (default): stop the command when a client rejects
                           leastpriv's certificate; warn: report it and go on
      --csm                capture with SDK client-side monitoring instead of the proxy
                           (sets AWS_CSM_ENABLED/PORT/HOST; no parameters, so every
                           resource is "*")
      --explain            after the summary, the calls behind each statement
      --ui                 serve a page on 127.0.0.1 to watch the capture while the command
                           runs (its URL, with a secret token, is printed once); afterwards,
                           'leastpriv report CALLS.ndjson' writes the same page as a file
      --ui-port PORT       port of that page (default: a free one; implies --ui)
  -q, --quiet              no summary on stderr
  -h, --help               this help

Put -- before the command, so that its options are not taken for leastpriv's. An endpoint
override (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>, --endpoint-url) sends the command's
calls around the proxy: give the endpoint to leastpriv as --upstream URL instead.

Exit status: the command's own (also when the outputs could not be written where asked);
2 for bad options; 3 when leastpriv stopped the command because a client rejected its
certificate.
`;

/** Exit status when the command was stopped because a client rejected the certificate. */
const EXIT_TLS_REJECTED = 3;

const RUN_OPTIONS = {
  ...OUTPUT_OPTIONS,
  ...PROXY_OPTIONS,
  ...FAILS_ONLY_OPTION,
  force: { type: 'boolean', default: false },
  'on-tls-reject': { type: 'string', default: 'stop' },
  csm: { type: 'boolean', default: false },
  ui: { type: 'boolean', default: false },
  'ui-port': { type: 'string' },
} as const;

/** leastpriv's options and the command: split at `--`, which is required after options. */
function splitCommand(argv: string[]): { optionArgs: string[]; command: string[] } {
  const sep = argv.indexOf('--');
  if (sep !== -1) return { optionArgs: argv.slice(0, sep), command: argv.slice(sep + 1) };
  // No `--`: the options end at the first word that is neither an option nor its value.
  const takesValue = valueOptions(RUN_OPTIONS);
  let i = 0;
  while (i < argv.length && (argv[i] as string).startsWith('-')) {
    if (takesValue.has(argv[i] as string)) i++;
    i++;
  }
  const optionArgs = argv.slice(0, i);
  const command = argv.slice(i);
  if (optionArgs.length > 0 && command.length > 0 && !optionArgs.some((a) => a === '-h' || a === '--help')) {
    const line = ['leastpriv', 'run', ...optionArgs, '--', ...command].map(shellQuote).join(' ');
    throw new LeastprivError(
      'usage',
      `put -- before the command, so that its options are not taken for leastpriv's: ${line}`,
    );
  }
  return { optionArgs, command };
}

export async function runCommand(argv: string[]): Promise<number> {
  const split = splitCommand(argv);
  let command = split.command;
  const { values, positionals } = parse(split.optionArgs, RUN_OPTIONS, 'run');
  if (values.help) {
    process.stdout.write(RUN_HELP);
    return 0;
  }
  if (positionals.length > 0) command = [...positionals, ...command];
  const [file, ...args] = command;
  if (file === undefined)
    throw new LeastprivError('usage', 'no command to run: leastpriv run [options] -- COMMAND [ARGS...]');
  // Before a command that may run for twenty minutes: can its results be written?
  checkWritable(values.output, 'the policy (-o)');
  checkWritable(values.calls, 'the calls log (--calls)');
  const pagePort = uiPort(values);
  if (values.csm && pagePort !== null)
    throw new LeastprivError('usage', "--ui shows the proxy's capture: use it without --csm");
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

  const ui =
    pagePort === null
      ? null
      : await openUi(capture.session, pagePort, () => {
          if (!values.output || values.output === '-')
            throw new Error(
              'nothing to write yet: without -o FILE the policy goes to stdout when the command ends',
            );
          const w = writeOutputs(capture, values, { keepOnEmpty: true, fallbackHome: capture.home });
          return `wrote ${w.policy}${w.calls ? ` and ${w.calls}` : ''}; the command is still running`;
        });

  const overrides = endpointOverrides(process.env, args);
  for (const o of overrides) process.stderr.write(`leastpriv: ${overrideWarning(o)}\n`);

  const started = runChild(file, args, env);
  child = started.child;
  const status = await started.status;

  // A signal while the proxy waits for calls in flight: stop waiting, write what was seen.
  const stopping = stopCapture(capture);
  const hurry = () => stopping.now();
  process.on('SIGINT', hurry);
  process.on('SIGTERM', hurry);
  await stopping.done;
  await ui?.close();
  let written: Written | null = null;
  try {
    written = writeOutputs(capture, values, { keepOnEmpty: true, fallbackHome: capture.home });
  } catch (err) {
    // The command's own exit status still stands: the outputs are leastpriv's problem.
    process.stderr.write(`leastpriv: ${(err as Error).message}\n`);
  }
  process.off('SIGINT', hurry);
  process.off('SIGTERM', hurry);
  started.release();
  if (!values.quiet && written)
    process.stderr.write(formatSummary(summaryFor(capture.session, written), written));
  const first = overrides[0];
  if (!values.quiet && first && capture.session.callCount === 0) {
    process.stderr.write(
      `leastpriv: no call reached the proxy: the command's AWS calls went to ${first.url} (${first.source}); run again without it and with --upstream ${first.url}\n`,
    );
  }
  if (values.explain) process.stderr.write(formatExplain(capture.session));
  return rejected && onReject === 'stop' ? EXIT_TLS_REJECTED : status;
}
