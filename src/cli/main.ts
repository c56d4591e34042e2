#!/usr/bin/env node
import { LeastprivError } from '../errors.js';
import { caCommand } from './ca.js';
import { proxyCommand } from './proxy.js';
import { runCommand } from './run.js';

const HELP = `leastpriv: least-privilege IAM policies from what your workload actually does.

Usage:
  leastpriv run [options] -- COMMAND [ARGS...]   run a command through the proxy, write its policy
  leastpriv proxy [--host H] [--port P] [options] run the proxy until stopped
  leastpriv ca [--path | --regenerate]           the local certificate authority

'leastpriv COMMAND --help' shows a command's options.
Example: leastpriv run -o policy.json --calls calls.ndjson -- terraform apply
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run':
      return runCommand(rest);
    case 'proxy':
      return proxyCommand(rest);
    case 'ca':
      return caCommand(rest);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(HELP);
      return command === undefined ? 2 : 0;
    case '--version':
    case '-V':
      process.stdout.write('0.1.0\n');
      return 0;
    default:
      throw new LeastprivError('usage', `unknown command '${command}'; see 'leastpriv --help'`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exit(code);
  },
  (err: unknown) => {
    if (err instanceof LeastprivError) {
      process.stderr.write(`leastpriv: ${err.message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`leastpriv: internal error, please report it: ${(err as Error).stack ?? err}\n`);
      process.exitCode = 70;
    }
  },
);
