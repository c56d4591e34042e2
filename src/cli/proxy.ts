import { clientEnv, writeTrustFiles } from '../capture/proxy/client-env.js';
import { OUTPUT_OPTIONS, PROXY_OPTIONS, parse, parsePort } from './args.js';
import { startCapture } from './capture.js';
import { LivePolicy } from './live.js';
import { writeOutputs } from './outputs.js';
import { formatExplain, formatSummary } from './summary.js';

export const PROXY_HELP = `Usage: leastpriv proxy [--host 127.0.0.1] [--port 10080] [options]

Runs leastpriv's proxy until stopped. Paste the printed export line into the terminal that
runs your workload; its AWS API calls pass through the proxy and the policy grows as they do.

  SIGHUP           write the policy and calls log now, keep serving
  SIGINT/SIGTERM   write them and exit

Options:
      --host HOST          address to listen on (default 127.0.0.1)
      --port PORT          port to listen on (default 10080; 0 picks a free one)
  -o, --output FILE        write the policy to FILE (default: stdout, at exit)
  -f, --format FORMAT      json (default), terraform, cloudformation or markdown
      --calls FILE         write the calls log (NDJSON) to FILE
      --upstream TARGET    aws (default), stub, or the URL of an AWS-compatible endpoint
      --upstream-ca FILE   also trust this CA for an https --upstream
      --account-id ID      the account the calls act in
      --wildcard-resources use "*" for every resource
      --body-limit SIZE    request body bytes kept for parsing (default 1MiB)
      --explain            at exit, the calls behind each statement
  -q, --quiet              no live policy, no summary
  -h, --help               this help
`;

/** Shell-quotes a value for a POSIX `export` line. */
function shq(v: string): string {
  return /^[A-Za-z0-9_./:,@%+=-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`;
}

export async function proxyCommand(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    {
      ...OUTPUT_OPTIONS,
      ...PROXY_OPTIONS,
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '10080' },
    },
    'proxy',
  );
  if (values.help) {
    process.stdout.write(PROXY_HELP);
    return 0;
  }
  const port = parsePort(values.port, '--port');
  if (!/^(127\.\d+\.\d+\.\d+|::1|localhost)$/.test(values.host)) {
    process.stderr.write(
      `leastpriv: listening on ${values.host}, not loopback: anyone who can reach this address can send calls through the proxy with your workload's view of AWS\n`,
    );
  }
  const log = (line: string) => {
    if (!values.quiet) process.stderr.write(`leastpriv: ${line}\n`);
  };
  const capture = await startCapture(values, { host: values.host, port }, { log });
  const trust = writeTrustFiles(capture.home, capture.ca.certPem, process.env);
  const env = clientEnv(process.env, {
    proxyUrl: capture.proxy.url,
    directHost: capture.proxy.host,
    directPort: capture.proxy.directPort,
    trust,
  });
  const exports = Object.entries(env)
    .filter(([k, v]) => v !== undefined && process.env[k] !== v)
    .map(([k, v]) => `${k}=${shq(v as string)}`);
  process.stderr.write(
    `leastpriv proxy listening on ${capture.proxy.url}, sending calls to ${capture.upstreamLabel}\n` +
      `In the terminal that runs your workload:\n\n  export ${exports.join(' ')}\n\n`,
  );

  const live = values.quiet || !process.stderr.isTTY ? null : new LivePolicy(capture.session, process.stderr);
  live?.start();

  return await new Promise<number>((resolve) => {
    const write = () => writeOutputs(capture, values);
    process.on('SIGHUP', () => {
      try {
        const w = write();
        log(`wrote ${w.policy}${w.calls ? ` and ${w.calls}` : ''}; still serving`);
      } catch (err) {
        log((err as Error).message);
      }
    });
    const finish = async () => {
      live?.stop();
      await capture.proxy.close();
      let code = 0;
      try {
        const w = write();
        if (!values.quiet) process.stderr.write(formatSummary(capture.session.summary(), w));
        if (values.explain) process.stderr.write(formatExplain(capture.session));
      } catch (err) {
        process.stderr.write(`leastpriv: ${(err as Error).message}\n`);
        code = 1;
      }
      resolve(code);
    };
    process.once('SIGINT', finish);
    process.once('SIGTERM', finish);
  });
}
