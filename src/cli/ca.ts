import { leastprivHome, loadOrCreateCa } from '../capture/proxy/ca.js';
import { LeastprivError } from '../errors.js';
import { parse } from './args.js';

export const CA_HELP = `Usage: leastpriv ca [--path | --regenerate]

leastpriv's local certificate authority, made on first use under $LEASTPRIV_HOME/ca
(default ~/.leastpriv/ca). It can sign only for cloud API domains (X.509 Name Constraints).

  --path         print the CA certificate's path (default)
  --regenerate   replace the CA with a new one
  -h, --help     this help
`;

export function caCommand(argv: string[]): number {
  const { values } = parse(
    argv,
    {
      path: { type: 'boolean', default: false },
      regenerate: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    'ca',
  );
  if (values.help) {
    process.stdout.write(CA_HELP);
    return 0;
  }
  let ca: ReturnType<typeof loadOrCreateCa>;
  try {
    ca = loadOrCreateCa(leastprivHome(), { regenerate: values.regenerate });
  } catch (err) {
    throw new LeastprivError('ca', (err as Error).message);
  }
  if (values.regenerate)
    process.stderr.write(
      `leastpriv: new CA written; clients that trusted the old one must be given ${ca.certPath}\n`,
    );
  process.stdout.write(`${ca.certPath}\n`);
  return 0;
}
