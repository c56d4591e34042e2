import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readIfExists } from './ca.js';
import { INTERCEPTED_DOMAINS } from './hosts.js';
import { pemCertificates, trustStore } from './pkcs12.js';

/** Every variable a common client reads its CA bundle from: all point at one bundle. */
export const CA_BUNDLE_VARS = [
  'AWS_CA_BUNDLE',
  'REQUESTS_CA_BUNDLE',
  'SSL_CERT_FILE',
  'CURL_CA_BUNDLE',
  'NODE_EXTRA_CA_CERTS',
  // gcloud: read instead of REQUESTS_CA_BUNDLE when set (a corporate CA, say), so it must name
  // the same bundle, or gcloud rejects the proxy's certificates.
  'CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE',
  // gRPC's C core (Python and other gRPC clients, Google Cloud's libraries on gRPC).
  'GRPC_DEFAULT_SSL_ROOTS_FILE_PATH',
] as const;

const SYSTEM_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
  '/etc/ssl/cert.pem',
];

/** Hosts a client must reach directly: loopback and the instance and container credential endpoints. */
const ALWAYS_DIRECT = ['localhost', '127.0.0.1', '::1', '169.254.169.254', '169.254.170.2'];

export interface TrustFiles {
  /** PEM: for every client that reads a CA bundle. */
  bundle: string;
  /** PKCS #12, no password: for Java (`javax.net.ssl.trustStore`). */
  javaTrustStore: string;
}

/**
 * Writes `<home>/ca-bundle.pem`: the system roots, every bundle the user's environment
 * already named (a corporate CA keeps working), and leastpriv's CA; and the same
 * certificates as a Java trust store, `<home>/ca-truststore.p12`.
 */
export function writeTrustFiles(home: string, caPem: string, env: NodeJS.ProcessEnv): TrustFiles {
  const seen = new Set<string>();
  const parts: string[] = [];
  const bundle = join(home, 'ca-bundle.pem');
  const javaTrustStore = join(home, 'ca-truststore.p12');
  // Never our own bundle (a shell set up from `leastpriv proxy` points at it): it would grow.
  const files = [...CA_BUNDLE_VARS.map((v) => env[v]), ...SYSTEM_BUNDLES];
  for (const file of files) {
    if (!file || seen.has(file) || resolve(file) === resolve(bundle)) continue;
    seen.add(file);
    try {
      parts.push(readFileSync(file, 'utf8').trim());
    } catch {
      // not present on this system
    }
  }
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const text = `${[...parts, caPem.trim()].join('\n')}\n`;
  // The same certificates as last time: both files are already right (the bundle is written
  // last, so an interrupted write never leaves a stale trust store behind a matching bundle).
  if (existsSync(javaTrustStore) && readIfExists(bundle) === text) return { bundle, javaTrustStore };
  const ours = pemCertificates(caPem);
  const others = pemCertificates(parts.join('\n')).filter((der) => !ours.some((o) => o.equals(der)));
  replaceFile(
    javaTrustStore,
    trustStore([
      ...ours.map((der) => ({ alias: 'leastpriv-ca', der })),
      ...others.map((der, i) => ({ alias: `root-${i + 1}`, der })),
    ]),
  );
  replaceFile(bundle, text);
  return { bundle, javaTrustStore };
}

function replaceFile(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data, { mode: 0o644 });
  renameSync(tmp, path);
}

/** Keeps the user's NO_PROXY entries except those that would send cloud API traffic around the proxy. */
export function noProxyFor(existing: string | undefined): string {
  const entries = (existing ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '' && !exemptsCloud(e));
  for (const host of ALWAYS_DIRECT) if (!entries.includes(host)) entries.push(host);
  return entries.join(',');
}

function exemptsCloud(entry: string): boolean {
  if (entry === '*') return true;
  const e = entry
    .replace(/^\*?\./, '')
    .replace(/:\d+$/, '')
    .toLowerCase();
  return INTERCEPTED_DOMAINS.some((d) => e === d || e.endsWith(`.${d}`) || d.endsWith(`.${e}`));
}

/** Path of the Node.js preload that routes cloud API connections of Node programs to the proxy. */
export function preloadPath(): string {
  return fileURLToPath(new URL('./preload.cjs', import.meta.url));
}

export interface ClientEnvInput {
  proxyUrl: string;
  directHost: string;
  directPort: number;
  trust: TrustFiles;
}

/** The environment a command runs in so that its cloud API calls pass through the proxy. */
export function clientEnv(base: NodeJS.ProcessEnv, input: ClientEnvInput): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy']) env[name] = input.proxyUrl;
  const noProxy = noProxyFor(base.NO_PROXY ?? base.no_proxy);
  env.NO_PROXY = noProxy;
  env.no_proxy = noProxy;
  for (const name of CA_BUNDLE_VARS) env[name] = input.trust.bundle;
  env.LEASTPRIV_DIRECT = `${input.directHost}:${input.directPort}`;
  env.LEASTPRIV_DOMAINS = INTERCEPTED_DOMAINS.join(',');
  const preload = `--require ${JSON.stringify(preloadPath())}`;
  env.NODE_OPTIONS = base.NODE_OPTIONS ? `${base.NODE_OPTIONS} ${preload}` : preload;
  const java = javaOptions(input.proxyUrl, noProxy, input.trust.javaTrustStore);
  env.JAVA_TOOL_OPTIONS = base.JAVA_TOOL_OPTIONS ? `${base.JAVA_TOOL_OPTIONS} ${java}` : java;
  return env;
}

/**
 * Java ignores the proxy variables and CA bundles: every JVM the command starts reads these
 * system properties from JAVA_TOOL_OPTIONS instead (the JDK's HTTP clients and the AWS SDK for
 * Java honour them).
 */
export function javaOptions(proxyUrl: string, noProxy: string, trustStorePath: string): string {
  const url = new URL(proxyUrl);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const direct = new Set(['localhost', '127.*', '[::1]']);
  for (const entry of noProxy.split(',')) {
    let e = entry.trim();
    // Java matches host names with a leading or trailing `*`, without ports; CIDR ranges it
    // cannot express, and quotes or spaces would break the JVM's option parsing.
    if (e === '' || e.includes('/') || /[\s"'|]/.test(e)) continue;
    const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(e);
    if (bracketed) e = bracketed[1] ?? e;
    else if (!isIPv6(e)) e = e.replace(/:\d+$/, '');
    if (isIPv6(e)) direct.add(`[${e}]`);
    else if (e.startsWith('.')) direct.add(`*${e}`);
    else {
      direct.add(e);
      if (!/^[\d.]+$/.test(e)) direct.add(`*.${e}`);
    }
  }
  return [
    `-Dhttps.proxyHost=${host}`,
    `-Dhttps.proxyPort=${port}`,
    `-Dhttp.proxyHost=${host}`,
    `-Dhttp.proxyPort=${port}`,
    `-Dhttp.nonProxyHosts=${[...direct].join('|')}`,
    jvmQuote(`-Djavax.net.ssl.trustStore=${trustStorePath}`),
    '-Djavax.net.ssl.trustStoreType=PKCS12',
  ].join(' ');
}

/**
 * One JAVA_TOOL_OPTIONS word: the JVM splits on white space and takes quotes (single or double,
 * no escapes) as grouping, so a value is quoted with whichever quote it does not hold; a value
 * holding both is quoted run by run.
 */
export function jvmQuote(v: string): string {
  if (!/[\s"']/.test(v)) return v;
  if (!v.includes('"')) return `"${v}"`;
  if (!v.includes("'")) return `'${v}'`;
  return v
    .split(/(")/)
    .filter((part) => part !== '')
    .map((part) => (part === '"' ? `'"'` : `"${part}"`))
    .join('');
}

/** Whether a User-Agent is a Java client's (they need the trust store, not the bundle). */
export function isJavaAgent(userAgent: string | null): boolean {
  return /java/i.test(userAgent ?? '');
}

/** What to tell the user when a client rejected the proxy's certificate: the setting and the file. */
export function rejectionAdvice(userAgent: string | null, trust: TrustFiles): string {
  const holds = "which holds the system roots and leastpriv's CA";
  if (isJavaAgent(userAgent))
    return `it does not use the trust store set in JAVA_TOOL_OPTIONS (a Java program that sets javax.net.ssl.trustStore itself overrides it). Point javax.net.ssl.trustStore at ${trust.javaTrustStore}, ${holds}`;
  const generic = userAgent === null || caSettingFor(userAgent).includes('whichever');
  return `it ignores the CA bundle set in ${caSettingFor(userAgent)}. Point that setting at ${trust.bundle}, ${holds}${generic ? ` (a Java program: javax.net.ssl.trustStore at ${trust.javaTrustStore})` : ''}`;
}
/** The CA setting a client ignored, named from its User-Agent where it sent one. */
export function caSettingFor(userAgent: string | null): string {
  const ua = (userAgent ?? '').toLowerCase();
  if (ua.includes('curl')) return 'CURL_CA_BUNDLE (curl: --cacert)';
  if (ua.includes('aws-cli') || ua.includes('boto'))
    return 'AWS_CA_BUNDLE (AWS CLI: --ca-bundle; boto3: verify=)';
  if (ua.includes('gcloud') || ua.includes('google-cloud-sdk'))
    return 'CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE or REQUESTS_CA_BUNDLE (gcloud: gcloud config set core/custom_ca_certs_file)';
  if (ua.includes('python')) return 'REQUESTS_CA_BUNDLE or SSL_CERT_FILE (Python)';
  if (ua.includes('terraform') || ua.includes('aws-sdk-go'))
    return 'AWS_CA_BUNDLE (the Terraform AWS provider and other AWS SDK for Go programs use only it when it is set)';
  if (ua.includes('go-http-client'))
    return 'SSL_CERT_FILE (Go programs), or AWS_CA_BUNDLE for AWS SDK for Go programs';
  if (ua.includes('aws-sdk-js') || ua.includes('node')) return 'NODE_EXTRA_CA_CERTS (Node.js)';
  if (ua.includes('java')) return 'JAVA_TOOL_OPTIONS -Djavax.net.ssl.trustStore (Java)';
  return `${CA_BUNDLE_VARS.join(', ')} (whichever the client reads)`;
}

/** Shell-quotes a value for a POSIX shell (`export`, `.`, `eval`). */
export function shellQuote(v: string): string {
  return /^[A-Za-z0-9_./:,@%+=-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`;
}

/** Variables a workload already uses for its own options: ours are appended, never replace them. */
const APPENDED = new Set(['NODE_OPTIONS', 'JAVA_TOOL_OPTIONS']);

/**
 * The variables `clientEnv` sets, as `NAME=value` shell words for another shell (`export` them,
 * `eval` or `.` a file of them). NODE_OPTIONS and JAVA_TOOL_OPTIONS keep that shell's own value
 * in front of ours: `NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }"'--require ...'`.
 */
export function shellAssignments(base: NodeJS.ProcessEnv, input: ClientEnvInput): string[] {
  const own = clientEnv({ NO_PROXY: base.NO_PROXY ?? base.no_proxy }, input);
  const out: string[] = [];
  for (const [name, value] of Object.entries(own)) {
    if (value === undefined) continue;
    if (APPENDED.has(name)) out.push(`${name}="\${${name}:+$${name} }"${shellQuote(value)}`);
    else out.push(`${name}=${shellQuote(value)}`);
  }
  return out;
}

export interface EndpointOverride {
  /** `AWS_ENDPOINT_URL_S3` or `--endpoint-url`. */
  source: string;
  url: string;
}

/** Whether a URL's host is one the proxy intercepts (an AWS endpoint of its own). */
function interceptedUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  return INTERCEPTED_DOMAINS.some((d) => host === d || host.endsWith(`.${d}`));
}

/**
 * Endpoint overrides that send a command's AWS calls straight to another endpoint, around the
 * proxy: AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> in the environment (unless
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true), `--endpoint-url` in the command's arguments.
 * Endpoints on AWS's own domains still pass through the proxy and are not listed.
 */
export function endpointOverrides(env: NodeJS.ProcessEnv, args: readonly string[]): EndpointOverride[] {
  const out: EndpointOverride[] = [];
  if (!/^true$/i.test(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS ?? '')) {
    const names = Object.keys(env)
      .filter((k) => /^AWS_ENDPOINT_URL(_[A-Z0-9_]+)?$/.test(k))
      .sort((a, b) => (a === 'AWS_ENDPOINT_URL' ? -1 : b === 'AWS_ENDPOINT_URL' ? 1 : a.localeCompare(b)));
    for (const name of names) {
      const url = env[name];
      if (url && !interceptedUrl(url)) out.push({ source: name, url });
    }
  }
  args.forEach((arg, i) => {
    const url =
      arg === '--endpoint-url' ? args[i + 1] : arg.startsWith('--endpoint-url=') ? arg.slice(15) : null;
    if (url && !interceptedUrl(url)) out.push({ source: '--endpoint-url', url });
  });
  return out;
}

/** What to tell the user about an endpoint override, before the command starts. */
export function overrideWarning(o: EndpointOverride): string {
  const what = o.source === '--endpoint-url' ? `--endpoint-url ${o.url}` : `${o.source}=${o.url}`;
  const fix = o.source === '--endpoint-url' ? 'drop it' : 'unset it';
  return `${what} sends the command's AWS calls straight there, around leastpriv's proxy, so they are not recorded: ${fix} and give leastpriv --upstream ${o.url} instead`;
}
