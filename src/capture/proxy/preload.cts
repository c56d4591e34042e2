/**
 * Loaded into Node.js programs that `leastpriv run` starts (NODE_OPTIONS=--require).
 * Node.js ignores HTTPS_PROXY and the AWS SDK makes its own agents, so this routes TLS
 * connections to cloud API hosts to the proxy's direct-TLS port instead; the host name still
 * travels as SNI and the certificate check still happens (NODE_EXTRA_CA_CERTS holds our CA).
 * Every other connection is left alone.
 */
import tls = require('node:tls');

const target = process.env.LEASTPRIV_DIRECT ?? '';
const domains = (process.env.LEASTPRIV_DOMAINS ?? '').split(',').filter(Boolean);
const colon = target.lastIndexOf(':');
const proxyHost = target.slice(0, colon);
const proxyPort = Number(target.slice(colon + 1));

function intercepted(host: unknown): host is string {
  if (typeof host !== 'string') return false;
  const h = host.toLowerCase().replace(/\.$/, '');
  return domains.some((d) => h === d || h.endsWith(`.${d}`));
}

if (proxyHost && proxyPort > 0 && domains.length > 0) {
  const original = tls.connect;
  const patched = function connect(this: unknown, ...args: unknown[]) {
    const [first, second] = args;
    if (first !== null && typeof first === 'object' && !Array.isArray(first)) {
      const options = first as tls.ConnectionOptions;
      const name = options.servername || options.host;
      const port = Number(options.port ?? 443);
      if (!options.socket && !options.path && port === 443 && intercepted(name)) {
        const rerouted: tls.ConnectionOptions = {
          ...options,
          host: proxyHost,
          port: proxyPort,
          servername: name,
        };
        delete rerouted.lookup;
        return (original as (o: tls.ConnectionOptions, cb?: () => void) => tls.TLSSocket).call(
          tls,
          rerouted,
          second as () => void,
        );
      }
    }
    return (original as (...a: unknown[]) => tls.TLSSocket).apply(tls, args);
  };
  tls.connect = patched as typeof tls.connect;
}
