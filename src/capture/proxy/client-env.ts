import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { INTERCEPTED_DOMAINS } from './hosts.js';

/** Every variable a common client reads its CA bundle from: all point at one bundle. */
export const CA_BUNDLE_VARS = [
  'AWS_CA_BUNDLE',
  'REQUESTS_CA_BUNDLE',
  'SSL_CERT_FILE',
  'CURL_CA_BUNDLE',
  'NODE_EXTRA_CA_CERTS',
] as const;

const SYSTEM_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
  '/etc/ssl/cert.pem',
];

/** Hosts a client must reach directly: loopback and the instance and container credential endpoints. */
const ALWAYS_DIRECT = ['localhost', '127.0.0.1', '::1', '169.254.169.254', '169.254.170.2'];

/**
 * Writes `<home>/ca-bundle.pem`: the system roots, every bundle the user's environment
 * already named (a corporate CA keeps working), and leastpriv's CA.
 */
export function writeCaBundle(home: string, caPem: string, env: NodeJS.ProcessEnv): string {
  const seen = new Set<string>();
  const parts: string[] = [];
  const files = [...CA_BUNDLE_VARS.map((v) => env[v]), ...SYSTEM_BUNDLES];
  for (const file of files) {
    if (!file || seen.has(file)) continue;
    seen.add(file);
    try {
      parts.push(readFileSync(file, 'utf8').trim());
    } catch {
      // not present on this system
    }
  }
  parts.push(caPem.trim());
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const path = join(home, 'ca-bundle.pem');
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${parts.join('\n')}\n`, { mode: 0o644 });
  renameSync(tmp, path);
  return path;
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
  bundlePath: string;
}

/** The environment a command runs in so that its cloud API calls pass through the proxy. */
export function clientEnv(base: NodeJS.ProcessEnv, input: ClientEnvInput): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy']) env[name] = input.proxyUrl;
  const noProxy = noProxyFor(base.NO_PROXY ?? base.no_proxy);
  env.NO_PROXY = noProxy;
  env.no_proxy = noProxy;
  for (const name of CA_BUNDLE_VARS) env[name] = input.bundlePath;
  env.LEASTPRIV_DIRECT = `${input.directHost}:${input.directPort}`;
  env.LEASTPRIV_DOMAINS = INTERCEPTED_DOMAINS.join(',');
  const preload = `--require ${JSON.stringify(preloadPath())}`;
  env.NODE_OPTIONS = base.NODE_OPTIONS ? `${base.NODE_OPTIONS} ${preload}` : preload;
  return env;
}

/** The CA setting a client ignored, named from its User-Agent where it sent one. */
export function caSettingFor(userAgent: string | null): string {
  const ua = (userAgent ?? '').toLowerCase();
  if (ua.includes('curl')) return 'CURL_CA_BUNDLE (curl: --cacert)';
  if (ua.includes('aws-cli') || ua.includes('boto'))
    return 'AWS_CA_BUNDLE (AWS CLI: --ca-bundle; boto3: verify=)';
  if (ua.includes('python')) return 'REQUESTS_CA_BUNDLE or SSL_CERT_FILE (Python)';
  if (ua.includes('terraform') || ua.includes('aws-sdk-go'))
    return 'AWS_CA_BUNDLE (the Terraform AWS provider and other AWS SDK for Go programs use only it when it is set)';
  if (ua.includes('go-http-client'))
    return 'SSL_CERT_FILE (Go programs), or AWS_CA_BUNDLE for AWS SDK for Go programs';
  if (ua.includes('aws-sdk-js') || ua.includes('node')) return 'NODE_EXTRA_CA_CERTS (Node.js)';
  if (ua.includes('java')) return 'JAVA_TOOL_OPTIONS -Djavax.net.ssl.trustStore (Java)';
  return `${CA_BUNDLE_VARS.join(', ')} (whichever the client reads)`;
}
