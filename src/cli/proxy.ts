import { shellAssignments, shellQuote, writeTrustFiles } from '../capture/proxy/client-env.js';
import { LeastprivError } from '../errors.js';
import { writeFileAtomic } from '../output/write.js';
import { openUi, uiPort } from '../ui/index.js';
import { FAILS_ONLY_OPTION, OUTPUT_OPTIONS, PROXY_OPTIONS, parse, parsePort } from './args.js';
import { type Stopping, startCapture, stopCapture } from './capture.js';
import { LivePolicy } from './live.js';
import { checkWritable, summaryFor, writeOutputs } from './outputs.js';
import { formatExplain, formatSummary } from './summary.js';

export const PROXY_HELP = `Usage: leastpriv proxy [--host 127.0.0.1] [--port 10080] [options]

Runs leastpriv's proxy until stopped. Paste the printed export line into the terminal that
runs your workload (or '. FILE' with --env FILE); its AWS API calls pass through the proxy
and the policy grows as they do. NODE_OPTIONS and JAVA_TOOL_OPTIONS keep that terminal's own
options: leastpriv's are appended.

  SIGHUP           write the policy and calls log now, keep serving
  SIGINT/SIGTERM   write them and exit (waits 2 s for calls in flight; a second Ctrl-C stops
                   waiting and records them without a response; a third quits at once,
                   without writing)

Options:
      --host HOST          address to listen on (default 127.0.0.1)
      --port PORT          port to listen on (default 10080; 0 picks a free one)
      --env FILE           write the workload's environment to FILE, for '. FILE'
      --print-env          print the workload's environment on stdout, for eval
  -o, --output FILE        write the policy to FILE (default: stdout, at exit)
  -f, --format FORMAT      policy format: json (default), terraform, cloudformation or markdown
      --calls FILE         write the calls log (NDJSON) to FILE
      --force              replace an existing -o/--calls file even when no call was seen
      --upstream TARGET    aws (default), stub, or the URL of a compatible endpoint (moto);
                           per cloud: aws=URL,gcp=URL (an emulator) or gcp=stub
      --upstream-ca FILE   also trust this CA for an https --upstream
      --account-id ID      the account the calls act in
      --wildcard-resources use "*" for every resource
      --compact            more than 10 resources of one kind under one parent become one
                           wildcard (parent/*), each listed in the summary
      --fails-only         only the permissions of the calls that were denied
      --body-limit SIZE    request body bytes kept for parsing (default 1MiB)
      --explain            at exit, the calls behind each statement
      --ui                 serve a page on 127.0.0.1 to watch the capture: the calls, the
                           policy, the calls behind each statement, a button that writes
                           the files now; its URL (with a secret token) is printed once
      --ui-port PORT       port of that page (default: a free one; implies --ui)
  -q, --quiet              no live policy, no summary
  -h, --help               this help
`;

export async function proxyCommand(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    {
      ...OUTPUT_OPTIONS,
      ...PROXY_OPTIONS,
      ...FAILS_ONLY_OPTION,
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '10080' },
      env: { type: 'string' },
      'print-env': { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
      ui: { type: 'boolean', default: false },
      'ui-port': { type: 'string' },
    },
    'proxy',
  );
  if (values.help) {
    process.stdout.write(PROXY_HELP);
    return 0;
  }
  const port = parsePort(values.port, '--port');
  const pagePort = uiPort(values);
  if (!/^(127\.\d+\.\d+\.\d+|::1|localhost)$/.test(values.host)) {
    process.stderr.write(
      `leastpriv: listening on ${values.host}, not loopback: anyone who can reach this address can send calls through the proxy with your workload's view of AWS\n`,
    );
  }
  checkWritable(values.output, 'the policy (-o)', 'the proxy was not started');
  checkWritable(values.calls, 'the calls log (--calls)', 'the proxy was not started');
  checkWritable(values.env, 'the environment (--env)', 'the proxy was not started');
  let live: LivePolicy | null = null;
  const log = (line: string) => {
    if (values.quiet) return;
    if (live) live.log(`leastpriv: ${line}`);
    else process.stderr.write(`leastpriv: ${line}\n`);
  };
  const capture = await startCapture(values, { host: values.host, port }, { log });
  const trust = writeTrustFiles(capture.home, capture.ca.certPem, process.env);
  const assignments = shellAssignments(process.env, {
    proxyUrl: capture.proxy.url,
    directHost: capture.proxy.host,
    directPort: capture.proxy.directPort,
    trust,
  });
  const envText = assignments.map((a) => `export ${a}\n`).join('');
  if (values.env) {
    const failure = writeEnvFile(values.env, envText);
    if (failure) {
      await capture.proxy.close(0);
      throw new LeastprivError('io', `cannot write the environment to ${values.env}: ${failure}`);
    }
  }
  if (values['print-env']) process.stdout.write(envText);
  const how = values.env
    ? ` . ${shellQuote(values.env)}`
    : values['print-env']
      ? ' the lines printed on stdout (eval or . them)'
      : `\n\n  export ${assignments.join(' ')}\n`;
  process.stderr.write(
    `leastpriv proxy listening on ${capture.proxy.url}, sending calls to ${capture.upstreamLabel}\n` +
      `In the terminal that runs your workload:${how}\n`,
  );

  const outputOptions = { keepOnEmpty: true, fallbackHome: capture.home, log };
  const write = () => writeOutputs(capture, values, outputOptions);
  const writeNow = () => {
    const w = write();
    return `wrote ${w.policy}${w.calls ? ` and ${w.calls}` : ''}; still serving`;
  };
  const ui = pagePort === null ? null : await openUi(capture.session, pagePort, writeNow);

  live = values.quiet || !process.stderr.isTTY ? null : new LivePolicy(capture.session, process.stderr);
  live?.start();

  return await new Promise<number>((resolve) => {
    process.on('SIGHUP', () => {
      try {
        log(writeNow());
      } catch (err) {
        log((err as Error).message);
      }
    });
    let signals = 0;
    let stopping: Stopping | null = null;
    const finish = async () => {
      live?.stop();
      stopping = stopCapture(capture);
      await stopping.done;
      await ui?.close();
      let code = 0;
      try {
        const w = write();
        if (!values.quiet) process.stderr.write(formatSummary(summaryFor(capture.session, w), w));
        if (values.explain) process.stderr.write(formatExplain(capture.session));
      } catch (err) {
        process.stderr.write(`leastpriv: ${(err as Error).message}\n`);
        code = 1;
      }
      resolve(code);
    };
    // First signal: stop, waiting a little for calls in flight. Second: stop waiting, still
    // write. Third: quit at once, saying what is lost.
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      if (signals === 1) {
        void finish();
      } else if (signals === 2) {
        const n = capture.proxy.inflight();
        process.stderr.write(
          `leastpriv: not waiting for ${n} call${n === 1 ? '' : 's'} in flight (recorded without a response); Ctrl-C again quits without writing\n`,
        );
        stopping?.now();
      } else {
        const n = capture.session.callCount;
        process.stderr.write(
          `leastpriv: quit without writing: the policy and calls log of ${n} call${n === 1 ? '' : 's'} are lost\n`,
        );
        process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/** Writes the environment file (0600: it names local paths only, but is the user's). Null when written. */
function writeEnvFile(path: string, text: string): string | null {
  try {
    const result: unknown = writeFileAtomic(path, text);
    return result === false || result instanceof Error ? String(result) : null;
  } catch (err) {
    return (err as Error).message;
  }
}
