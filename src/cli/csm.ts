import type { CsmCall, CsmUnresolved } from '../capture/csm/event.js';
import { type CsmListener, type CsmStats, startCsmListener } from '../capture/csm/listener.js';
import { LeastprivError } from '../errors.js';
import { Session } from '../index.js';
import { type Format, parseFormat } from '../output/policy.js';
import { OUTPUT_OPTIONS, parse, parseAccountId, parsePort } from './args.js';
import { runChild } from './child.js';
import { writeOutputs } from './outputs.js';
import { formatExplain, formatSummary } from './summary.js';

export const CSM_HELP = `Usage: leastpriv csm [--host 127.0.0.1] [--port 31000] [options]

Listens for SDK client-side monitoring (CSM) events until stopped and writes the policy of the
calls they report. In the terminal that runs your workload:

  export AWS_CSM_ENABLED=true AWS_CSM_PORT=31000 AWS_CSM_HOST=127.0.0.1

CSM events name the service and operation but carry no parameters, so every statement's
resource is "*". For exact ARNs use 'leastpriv run' (the proxy) instead.

  SIGHUP           write the policy and calls log now, keep listening
  SIGINT/SIGTERM   write them and exit

Options:
      --host HOST          UDP address to listen on (default 127.0.0.1)
      --port PORT          UDP port (default 31000, the SDKs' default)
  -o, --output FILE        write the policy to FILE (default: stdout, at exit)
  -f, --format FORMAT      policy format: json (default)
      --calls FILE         write the calls log (NDJSON) to FILE
      --account-id ID      the account the calls act in
      --explain            at exit, the calls behind each statement
  -q, --quiet              no summary
  -h, --help               this help
`;

/** The note every CSM summary carries. */
export const CSM_NOTE =
  'CSM events carry no parameters: every resource is "*"; run without --csm (through the proxy) for exact ARNs';

interface CsmValues {
  output?: string | undefined;
  format?: string | undefined;
  calls?: string | undefined;
  'account-id'?: string | undefined;
  explain?: boolean | undefined;
  quiet?: boolean | undefined;
}

interface CsmCapture {
  session: Session;
  format: Format;
  listener: CsmListener;
}

async function startCsm(values: CsmValues, host: string, port: number): Promise<CsmCapture> {
  const format = parseFormat(values.format ?? 'json');
  const session = new Session({ accountId: parseAccountId(values['account-id']), wildcardResources: true });
  try {
    const listener = await startCsmListener({ host, port, onCall: (e) => addCsmEvent(session, e) });
    return { session, format, listener };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const hint = e.code === 'EADDRINUSE' ? ': the port is taken, choose another with --port' : '';
    throw new LeastprivError('listen', `cannot listen on udp ${host}:${port}${hint} (${e.message})`);
  }
}

/** Adds one CSM call to a session: an operation, or a record of why it has none. */
export function addCsmEvent(session: Session, e: CsmCall | CsmUnresolved): void {
  if (e.kind === 'call') {
    session.addOperation(e.operation, { time: e.time, source: 'csm', status: e.status, error: e.error });
    return;
  }
  session.addRecord({
    time: e.time,
    source: 'csm',
    provider: 'aws',
    service: e.service,
    operation: e.operation,
    region: e.region,
    account: null,
    status: e.status,
    error: e.error,
    actions: null,
    resources: null,
    unresolved: e.reason,
    // The SDK's service name is the only trace of where the call went: the summary's example.
    host: e.sdkService,
  });
}

function formatCsm(stats: CsmStats): string {
  const lines = [
    `leastpriv: ${stats.calls} CSM call events (${stats.datagrams} datagrams, ${stats.attempts} attempts)`,
  ];
  if (stats.malformed > 0) {
    lines.push(
      `  ignored ${stats.malformed} malformed datagram${stats.malformed === 1 ? '' : 's'}: ${stats.malformedExamples.join('; ')}`,
    );
  }
  lines.push(`  note: ${CSM_NOTE}`);
  return `${lines.join('\n')}\n`;
}

function finish(c: CsmCapture, values: CsmValues): void {
  const written = writeOutputs(c, values);
  if (!values.quiet)
    process.stderr.write(formatCsm(c.listener.stats) + formatSummary(c.session.summary(), written));
  if (values.explain) process.stderr.write(formatExplain(c.session));
}

export async function csmCommand(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    {
      ...OUTPUT_OPTIONS,
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '31000' },
    },
    'csm',
  );
  if (values.help) {
    process.stdout.write(CSM_HELP);
    return 0;
  }
  const c = await startCsm(values, values.host, parsePort(values.port, '--port'));
  process.stderr.write(
    `leastpriv csm listening on udp ${c.listener.host}:${c.listener.port}\nIn the terminal that runs your workload:\n\n  export AWS_CSM_ENABLED=true AWS_CSM_PORT=${c.listener.port} AWS_CSM_HOST=${c.listener.host}\n\n`,
  );
  return await new Promise<number>((resolve) => {
    process.on('SIGHUP', () => {
      try {
        const w = writeOutputs(c, values);
        if (!values.quiet)
          process.stderr.write(
            `leastpriv: wrote ${w.policy}${w.calls ? ` and ${w.calls}` : ''}; still listening\n`,
          );
      } catch (err) {
        process.stderr.write(`leastpriv: ${(err as Error).message}\n`);
      }
    });
    const stop = async () => {
      await c.listener.close();
      try {
        finish(c, values);
        resolve(0);
      } catch (err) {
        process.stderr.write(`leastpriv: ${(err as Error).message}\n`);
        resolve(1);
      }
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/** How long datagrams sent just before the command exited may take to arrive. */
const DRAIN_MS = 200;

/**
 * `leastpriv run --csm -- COMMAND`: runs the command with client-side monitoring on
 * (AWS_CSM_ENABLED, AWS_CSM_PORT, AWS_CSM_HOST) instead of the proxy, then writes the policy.
 * Returns the command's own exit status.
 */
export async function runWithCsm(values: CsmValues, file: string, args: string[]): Promise<number> {
  const c = await startCsm(values, '127.0.0.1', 0);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_CSM_ENABLED: 'true',
    AWS_CSM_PORT: String(c.listener.port),
    AWS_CSM_HOST: c.listener.host,
  };
  const started = runChild(file, args, env);
  const status = await started.status;
  await new Promise((r) => setTimeout(r, DRAIN_MS));
  await c.listener.close();
  finish(c, values);
  started.release();
  return status;
}
