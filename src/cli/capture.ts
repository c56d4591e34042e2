import { readFileSync } from 'node:fs';
import { type LoadedCa, leastprivHome, loadOrCreateCa } from '../capture/proxy/ca.js';
import { type ProxyServer, startProxy, type TlsRejection, type Upstream } from '../capture/proxy/server.js';
import { LeafIssuer } from '../capture/proxy/x509.js';
import { LeastprivError } from '../errors.js';
import { Session } from '../index.js';
import type { Format } from '../output/policy.js';
import { PROVIDERS, type ProviderId, providerOfHost } from '../providers/index.js';
import { COMPACT_THRESHOLD, parseAccountId, parsePolicyFormat, parseSize } from './args.js';

export interface CaptureValues {
  output?: string | undefined;
  format?: string | undefined;
  calls?: string | undefined;
  'account-id'?: string | undefined;
  'wildcard-resources'?: boolean | undefined;
  compact?: boolean | undefined;
  upstream?: string | undefined;
  'upstream-ca'?: string | undefined;
  'body-limit'?: string | undefined;
}

export interface Capture {
  home: string;
  ca: LoadedCa;
  proxy: ProxyServer;
  session: Session;
  format: Format;
  upstreamLabel: string;
}

type Single = Exclude<Upstream, { kind: 'routed' }>;

/**
 * `--upstream`: `aws` (the real endpoints, the default), `stub`, or a URL (moto, LocalStack,
 * an emulator) for every cloud; or per cloud, comma-separated: `gcp=http://127.0.0.1:8085`,
 * `aws=http://127.0.0.1:5000,gcp=stub` (a cloud not named goes to its real endpoints).
 */
export function parseUpstream(
  value: string | undefined,
  session: Session,
): { upstream: Upstream; label: string } {
  const one = (v: string, flag: string): { upstream: Single; label: string } => {
    if (v === 'aws' || v === 'real') return { upstream: { kind: 'aws' }, label: 'the real endpoints' };
    if (v === 'stub') {
      return {
        upstream: { kind: 'stub', respond: (call) => session.stub(call) },
        label: 'local stub answers',
      };
    }
    let url: URL;
    try {
      url = new URL(v);
    } catch {
      throw new LeastprivError(
        'usage',
        `${flag} '${v}' is not a URL: use http://host:port of a compatible endpoint (moto, an emulator), 'stub' or 'aws'`,
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new LeastprivError('usage', `${flag} '${v}' must be an http:// or https:// URL`);
    }
    return { upstream: { kind: 'url', url }, label: url.origin };
  };
  if (value === undefined || value === 'aws') return { upstream: { kind: 'aws' }, label: 'AWS' };
  if (!/^[a-z0-9.-]+=/.test(value)) return one(value, '--upstream');
  // Per cloud (`gcp=URL`), or per host suffix (`blob.core.windows.net=URL`: Azurite for Blob
  // Storage), the most specific first.
  const byHost: [string, { upstream: Single; label: string }][] = [];
  const routes = new Map<ProviderId, { upstream: Single; label: string }>();
  for (const part of value.split(',')) {
    const m = /^([a-z0-9.-]+)=(.+)$/.exec(part.trim());
    const key = m?.[1];
    if (m && key?.includes('.') && providerOfHost(key)) {
      byHost.push([key, one(m[2] as string, `--upstream ${key}=`)]);
      continue;
    }
    const id = key as ProviderId | undefined;
    if (!m || !id || !PROVIDERS.some((p) => p.id === id))
      throw new LeastprivError(
        'usage',
        `--upstream '${part}': name a cloud (${PROVIDERS.map((p) => p.id).join(', ')}) or an API host suffix (blob.core.windows.net) and where its calls go, e.g. gcp=http://127.0.0.1:8085`,
      );
    routes.set(id, one(m[2] as string, `--upstream ${id}=`));
  }
  byHost.sort((a, b) => b[0].length - a[0].length);
  const real: Single = { kind: 'aws' };
  return {
    upstream: {
      kind: 'routed',
      route: (host) => {
        const h = host.toLowerCase();
        const hit = byHost.find(([suffix]) => h === suffix || h.endsWith(`.${suffix}`));
        if (hit) return hit[1].upstream;
        const id = providerOfHost(h);
        return (id && routes.get(id)?.upstream) || real;
      },
    },
    label: [...byHost, ...routes].map(([k, r]) => `${k}: ${r.label}`).join(', '),
  };
}

function readCaFile(path: string | undefined): string[] {
  if (path === undefined) return [];
  try {
    return [readFileSync(path, 'utf8')];
  } catch (err) {
    throw new LeastprivError('bad-input', `--upstream-ca ${path}: ${(err as Error).message}`);
  }
}

export async function startCapture(
  values: CaptureValues,
  listen: { host: string; port: number },
  hooks: { onTlsReject?: (r: TlsRejection) => void; log?: (line: string) => void },
): Promise<Capture> {
  const format = parsePolicyFormat(values.format);
  const accountId = parseAccountId(values['account-id']);
  const bodyLimit = parseSize(values['body-limit'] ?? '1MiB', '--body-limit');
  const upstreamCa = readCaFile(values['upstream-ca']);
  const home = leastprivHome();
  let ca: LoadedCa;
  try {
    ca = loadOrCreateCa(home);
  } catch (err) {
    throw new LeastprivError('ca', (err as Error).message);
  }
  const leafs = new LeafIssuer(ca.certPem, ca.keyPem);
  const session = new Session({
    accountId,
    wildcardResources: values['wildcard-resources'] ?? false,
    compactThreshold: values.compact ? COMPACT_THRESHOLD : 0,
  });
  const { upstream, label } = parseUpstream(values.upstream, session);
  let proxy: ProxyServer;
  try {
    proxy = await startProxy({
      host: listen.host,
      port: listen.port,
      leafs,
      upstream,
      bodyLimit,
      upstreamCa,
      onCall: (call) => session.add(call),
      ...(hooks.onTlsReject ? { onTlsReject: hooks.onTlsReject } : {}),
      ...(hooks.log ? { log: hooks.log } : {}),
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const hint = e.code === 'EADDRINUSE' ? ': the port is taken, choose another with --port' : '';
    throw new LeastprivError(
      'listen',
      `cannot listen on ${listen.host}:${listen.port}${hint} (${e.message})`,
    );
  }
  return { home, ca, proxy, session, format, upstreamLabel: label };
}

export interface Stopping {
  /** Resolves once the proxy is closed and every call it saw is in the session. */
  done: Promise<void>;
  /** Stops waiting for calls in flight: they are recorded as seen so far, without a response. */
  now: () => void;
}

/**
 * Closes the proxy: waits up to `graceMs` for calls in flight, then cuts them. A call that was
 * cut is recorded as far as it went (no response: status null), so it is waited for too: the
 * outputs are written only after it is in the session.
 */
export function stopCapture(capture: Capture, graceMs = 2000): Stopping {
  let cut: () => void = () => {};
  const cutNow = new Promise<void>((resolve) => {
    cut = resolve;
  });
  let cutting = false;
  const done = (async () => {
    await Promise.race([capture.proxy.close(graceMs), cutNow]);
    if (cutting) await capture.proxy.close(0);
    // Cut connections report their calls once their sockets have closed: a few ticks later.
    const deadline = Date.now() + 2000;
    while (capture.proxy.inflight() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setImmediate(r));
  })();
  return {
    done,
    now: () => {
      cutting = true;
      cut();
    },
  };
}
