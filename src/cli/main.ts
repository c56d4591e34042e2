#!/usr/bin/env node
import { LeastprivError } from '../errors.js';

interface Command {
  usage: string;
  summary: string;
  run: (argv: string[]) => Promise<number> | number;
}

/** Every command, in the order `--help` lists them; each is loaded only when it runs. */
const COMMANDS: Record<string, Command> = {
  run: {
    usage: 'run [options] -- COMMAND [ARGS...]',
    summary: 'run a command through the proxy, write its policy (AWS, Google Cloud, Azure)',
    run: async (argv) => (await import('./run.js')).runCommand(argv),
  },
  proxy: {
    usage: 'proxy [--host H] [--port P] [options]',
    summary: 'run the proxy until stopped',
    run: async (argv) => (await import('./proxy.js')).proxyCommand(argv),
  },
  csm: {
    usage: 'csm [--host H] [--port 31000] [options]',
    summary: 'listen for SDK client-side monitoring events',
    run: async (argv) => (await import('./csm.js')).csmCommand(argv),
  },
  trail: {
    usage: 'trail PATH... | --athena [filters] [options]',
    summary: 'policies from CloudTrail logs (files, S3, Athena, DuckDB)',
    run: async (argv) => (await import('./trail.js')).trailCommand(argv),
  },
  generate: {
    usage: 'generate CALLS.ndjson... [options]',
    summary: 'policy from recorded calls (several logs are merged)',
    run: async (argv) => (await import('./generate.js')).generateCommand(argv),
  },
  scan: {
    usage: 'scan PATH... [options]',
    summary: 'policy from application code (JS/TS, Python, Go)',
    run: async (argv) => (await import('./scan.js')).scanCommand(argv),
  },
  report: {
    usage: 'report CALLS.ndjson... [-o report.html]',
    summary: 'the capture page as one self-contained HTML file',
    run: async (argv) => (await import('./report.js')).reportCommand(argv),
  },
  diff: {
    usage: 'diff POLICY CALLS.ndjson...',
    summary: 'unused, missing and over-broad permissions',
    run: async (argv) => (await import('./diff.js')).diffCommand(argv),
  },
  check: {
    usage: 'check POLICY CALLS.ndjson...',
    summary: 'does the policy allow every recorded call?',
    run: async (argv) => (await import('./check.js')).checkCommand(argv),
  },
  lint: {
    usage: 'lint POLICY',
    summary: 'mistakes a reviewer would catch (AWS policy, GCP or Azure role)',
    run: async (argv) => (await import('./lint.js')).lintCommand(argv),
  },
  refine: {
    usage: 'refine --config FILE [--push]',
    summary: 'refine the policies in the repository, on a branch',
    run: async (argv) => (await import('./refine.js')).refineCommand(argv),
  },
  prune: {
    usage: 'prune ROLE --usage PATH [--apply]',
    summary: 'remove what a live role did not use (with rollback)',
    run: async (argv) => (await import('./prune.js')).pruneCommand(argv),
  },
  data: {
    usage: 'data check [-v]',
    summary: 'how every AWS operation maps to IAM, and what is left',
    run: async (argv) => (await import('./data.js')).dataCommand(argv),
  },
  ca: {
    usage: 'ca [--path | --regenerate]',
    summary: 'the local certificate authority',
    run: async (argv) => (await import('./ca.js')).caCommand(argv),
  },
};

function help(): string {
  const width = Math.max(...Object.values(COMMANDS).map((c) => c.usage.length));
  const lines = [
    ...Object.values(COMMANDS).map((c) => `  leastpriv ${c.usage.padEnd(width)}  ${c.summary}`),
    `  leastpriv ${'--version'.padEnd(width)}  the version`,
  ];
  return `leastpriv: least-privilege IAM policies from what your workload actually does.

Usage:
${lines.join('\n')}

'leastpriv COMMAND --help' (or 'leastpriv help COMMAND') shows a command's options.
Example: leastpriv run -o policy.json --calls calls.ndjson -- terraform apply
`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === 'help' && rest[0] !== undefined) {
    const command = COMMANDS[rest[0]];
    if (!command) throw new LeastprivError('usage', `unknown command '${rest[0]}'; see 'leastpriv --help'`);
    return command.run(['--help']);
  }
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    process.stdout.write(help());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write('0.1.0\n');
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) throw new LeastprivError('usage', `unknown command '${name}'; see 'leastpriv --help'`);
  return command.run(rest);
}

/**
 * Exits once what was written to stdout and stderr has been handed to the OS: on a pipe, Node
 * writes asynchronously, and exiting at once cuts a long summary at 64 KiB.
 */
function exit(code: number): void {
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

main(process.argv.slice(2)).then(exit, (err: unknown) => {
  if (err instanceof LeastprivError) {
    process.stderr.write(`leastpriv: ${err.message}\n`);
    exit(2);
    return;
  }
  process.stderr.write(`leastpriv: internal error, please report it: ${(err as Error).stack ?? err}\n`);
  exit(70);
});
