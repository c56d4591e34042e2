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

/**
 * Reads tls.connect's argument forms into one options object: (options[, cb]),
 * (port[, host][, options][, cb]) as http2 uses, and (path[, options][, cb]).
 */
function normalize(args: unknown[]): { options: tls.ConnectionOptions; callback: unknown } | null {
  const [a, b, c, d] = args;
  if (a !== null && typeof a === 'object' && !Array.isArray(a)) {
    return { options: a as tls.ConnectionOptions, callback: b };
  }
  if (typeof a !== 'number' && !(typeof a === 'string' && /^\d+$/.test(a))) return null;
  const options: tls.ConnectionOptions = { port: Number(a) };
  let rest = [b, c, d];
  if (typeof rest[0] === 'string') {
    options.host = rest[0];
    rest = rest.slice(1);
  }
  if (rest[0] !== null && typeof rest[0] === 'object') {
    Object.assign(options, rest[0], { port: options.port, ...(options.host ? { host: options.host } : {}) });
    rest = rest.slice(1);
  }
  return { options, callback: rest[0] };
}

if (proxyHost && proxyPort > 0 && domains.length > 0) {
  const original = tls.connect as (...a: unknown[]) => tls.TLSSocket;
  const patched = function connect(this: unknown, ...args: unknown[]) {
    const parsed = normalize(args);
    if (parsed) {
      const { options, callback } = parsed;
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
        return typeof callback === 'function'
          ? original.call(tls, rerouted, callback)
          : original.call(tls, rerouted);
      }
    }
    return original.apply(tls, args);
  };
  tls.connect = patched as typeof tls.connect;
}
