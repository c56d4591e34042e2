import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { describe, it } from 'node:test';
import { csmEvent, parseDatagram } from '../../../src/capture/csm/event.js';
import { startCsmListener } from '../../../src/capture/csm/listener.js';

const apiCall = (over: Record<string, unknown> = {}) => ({
  Version: 1,
  ClientId: '',
  Type: 'ApiCall',
  Service: 'DynamoDB',
  Api: 'ListTables',
  Timestamp: Date.parse('2026-11-21T18:00:00Z'),
  AttemptCount: 1,
  Region: 'eu-west-1',
  FinalHttpStatusCode: 200,
  Latency: 12,
  MaxRetriesExceeded: 0,
  ...over,
});

describe('CSM events', () => {
  it('turns an ApiCall into an operation with no parameters', () => {
    assert.deepEqual(csmEvent(apiCall()), {
      kind: 'call',
      operation: {
        provider: 'aws',
        service: 'dynamodb',
        operation: 'ListTables',
        region: 'eu-west-1',
        partition: 'aws',
        account: null,
        params: {},
      },
      time: '2026-11-21T18:00:00.000Z',
      status: 200,
      error: null,
    });
  });

  it('matches SDK service ids to the API index', () => {
    const service = (Service: string, Api: string) => {
      const e = csmEvent(apiCall({ Service, Api }));
      return e.kind === 'call' ? `${e.operation.service}:${e.operation.operation}` : e.kind;
    };
    assert.equal(service('S3', 'GetObject'), 's3:GetObject');
    assert.equal(service('CloudWatch Logs', 'DescribeLogGroups'), 'logs:DescribeLogGroups');
    assert.equal(service('CloudWatch', 'PutMetricData'), 'monitoring:PutMetricData');
    assert.equal(service('SFN', 'StartExecution'), 'states:StartExecution');
    assert.equal(
      service('Elastic Load Balancing v2', 'DescribeTargetGroups'),
      'elasticloadbalancingv2:DescribeTargetGroups',
    );
    assert.equal(service('STS', 'GetCallerIdentity'), 'sts:GetCallerIdentity');
    assert.equal(service('No Such Service', 'Do'), 'unresolved');
  });

  it('keeps the final error, drops attempts, and counts the malformed', () => {
    const denied = csmEvent(
      apiCall({ FinalHttpStatusCode: 400, FinalAwsException: 'AccessDeniedException' }),
    );
    assert.equal(denied.kind === 'call' && denied.error, 'AccessDeniedException');
    const network = csmEvent(
      apiCall({ FinalHttpStatusCode: undefined, FinalSdkException: 'EndpointConnectionError' }),
    );
    assert.equal(network.kind === 'call' && network.error, 'EndpointConnectionError');
    assert.deepEqual(csmEvent({ Type: 'ApiCallAttempt', AccessKey: 'AKIA...', SessionToken: 'secret' }), {
      kind: 'attempt',
    });
    assert.equal(csmEvent({ Type: 'ApiCall' }).kind, 'malformed');
    assert.equal(parseDatagram(Buffer.from('{nope'))[0]?.kind, 'malformed');
    assert.equal(parseDatagram(Buffer.from(''))[0]?.kind, 'malformed');
    const two = parseDatagram(
      Buffer.from(`${JSON.stringify(apiCall())}\n${JSON.stringify(apiCall({ Api: 'DescribeTable' }))}\n`),
    );
    assert.deepEqual(
      two.map((e) => e.kind),
      ['call', 'call'],
    );
  });

  it('listens on UDP and survives malformed datagrams', async () => {
    const seen: string[] = [];
    const listener = await startCsmListener({
      host: '127.0.0.1',
      port: 0,
      onCall: (e) => seen.push(e.kind === 'call' ? e.operation.operation : `?${e.operation}`),
    });
    const client = createSocket('udp4');
    const send = (text: string | Buffer) =>
      new Promise<void>((r) => client.send(text, listener.port, '127.0.0.1', () => r()));
    await send(JSON.stringify(apiCall()));
    await send('not json at all');
    await send(Buffer.from([0xff, 0x00, 0x7b]));
    await send(JSON.stringify({ Type: 'ApiCallAttempt' }));
    await send(JSON.stringify(apiCall({ Api: 'DescribeTable' })));
    for (let i = 0; i < 50 && listener.stats.datagrams < 5; i++) await new Promise((r) => setTimeout(r, 10));
    client.close();
    await listener.close();
    assert.deepEqual(seen, ['ListTables', 'DescribeTable']);
    assert.equal(listener.stats.malformed, 2);
    assert.equal(listener.stats.attempts, 1);
    assert.equal(listener.stats.calls, 2);
  });
});

/** A small deterministic generator (mulberry32): the same datagrams on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Values that a field of a datagram should never hold. */
const HOSTILE: unknown[] = [
  1e20,
  -1e20,
  8.64e15 + 1,
  -1,
  0.5,
  Number.MAX_VALUE,
  '1e20',
  '',
  ' ',
  null,
  true,
  [],
  {},
  [1, 2],
  { $gt: 1 },
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'x'.repeat(5000),
  '\u0000\u0001',
  '../../etc/passwd',
  'us-east-1\n',
  '😀',
  99999,
  -200,
  1e308,
];
const FIELDS = [
  'Type',
  'Service',
  'Api',
  'Timestamp',
  'Region',
  'FinalHttpStatusCode',
  'FinalAwsException',
  'FinalSdkException',
];

/** One malformed datagram: a field given a hostile value, or the text cut or flipped. */
function malformedDatagram(next: () => number): Buffer {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const event: Record<string, unknown> = apiCall();
  // Deep nesting, within what one UDP datagram can carry (64 KiB), now and then: it is slow to parse.
  const mode = next() < 0.03 ? 4 : Math.floor(next() * 4);
  if (mode <= 1) {
    // one or two fields (Type kept an ApiCall half the time, so the rest is read)
    for (let i = 0; i <= mode; i++) event[pick(FIELDS)] = pick(HOSTILE);
    if (next() < 0.5) event.Type = 'ApiCall';
    return Buffer.from(JSON.stringify(event));
  }
  const text = Buffer.from(JSON.stringify(event));
  if (mode === 2) return text.subarray(0, Math.floor(next() * text.length));
  if (mode === 3) {
    const copy = Buffer.from(text);
    for (let i = 0; i < 3; i++) copy[Math.floor(next() * copy.length)] = Math.floor(next() * 256);
    return copy;
  }
  const depth = 20_000 + Math.floor(next() * 10_000);
  const nested = '['.repeat(depth) + ']'.repeat(depth);
  return Buffer.from(next() < 0.5 ? nested : `{"Type":"ApiCall","Service":${nested}}`);
}

describe('CSM datagrams from an untrusted sender', () => {
  it('counts a datagram with an out-of-range Timestamp (1e20) and keeps listening', async () => {
    const seen: string[] = [];
    const listener = await startCsmListener({
      host: '127.0.0.1',
      port: 0,
      onCall: (e) => seen.push(e.kind === 'call' ? e.operation.operation : `?${e.operation}`),
    });
    const client = createSocket('udp4');
    const send = (text: string) =>
      new Promise<void>((r) => client.send(text, listener.port, '127.0.0.1', () => r()));
    await send(JSON.stringify(apiCall({ Timestamp: 1e20 })));
    await send(JSON.stringify(apiCall({ Api: 'DescribeTable' })));
    for (let i = 0; i < 100 && listener.stats.datagrams < 2; i++) await new Promise((r) => setTimeout(r, 10));
    client.close();
    await listener.close();
    assert.deepEqual(seen, ['DescribeTable']);
    assert.equal(listener.stats.malformed, 1);
    assert.deepEqual(listener.stats.malformedExamples, [
      'Timestamp 100000000000000000000 is not a time (milliseconds since 1970)',
    ]);
  });

  it('checks every field it reads and says which one is wrong', () => {
    const why = (over: Record<string, unknown>) => {
      const e = csmEvent(apiCall(over));
      return e.kind === 'malformed' ? e.why : e.kind;
    };
    assert.equal(
      why({ Timestamp: 1e20 }),
      'Timestamp 100000000000000000000 is not a time (milliseconds since 1970)',
    );
    assert.equal(why({ Timestamp: -1 }), 'Timestamp -1 is not a time (milliseconds since 1970)');
    assert.equal(why({ Timestamp: '2026' }), 'Timestamp "2026" is not a time (milliseconds since 1970)');
    assert.equal(why({ Region: '../x' }), 'Region "../x" is not a region name');
    assert.equal(why({ Region: 7 }), 'Region 7 is not a region name');
    assert.equal(
      why({ FinalHttpStatusCode: 1e20 }),
      'FinalHttpStatusCode 100000000000000000000 is not an HTTP status',
    );
    assert.equal(why({ FinalHttpStatusCode: '200' }), 'FinalHttpStatusCode "200" is not an HTTP status');
    assert.equal(why({ FinalAwsException: { a: 1 } }), 'FinalAwsException {"a":1} is not an error code');
    assert.equal(
      why({ FinalSdkException: 'x'.repeat(300) }).slice(0, 62),
      `FinalSdkException "${'x'.repeat(40)}...`,
    );
    assert.equal(why({ Service: 'S3\n' }), 'Service "S3\\n" is not an SDK service name');
    assert.equal(why({ Api: 'constructor' }), 'unresolved');
    assert.equal(why({ Api: 'Get Object' }), 'Api "Get Object" is not an operation name');
    assert.equal(why({ Service: undefined }), 'an ApiCall without Service or Api');
    // Absent optional fields are fine: now, no region, no status, no error.
    const bare = csmEvent({ Type: 'ApiCall', Service: 'S3', Api: 'ListBuckets' });
    assert.equal(bare.kind, 'call');
  });

  it('never throws on 3000 malformed datagrams, and every event it keeps is well formed (fuzz)', () => {
    const next = random(20261121);
    const kinds = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const data = malformedDatagram(next);
      let events: ReturnType<typeof parseDatagram>;
      try {
        events = parseDatagram(data);
      } catch (err) {
        assert.fail(`datagram ${i} threw ${(err as Error).message}: ${data.toString('utf8').slice(0, 200)}`);
      }
      for (const e of events) {
        kinds.set(e.kind, (kinds.get(e.kind) ?? 0) + 1);
        if (e.kind === 'malformed') {
          assert.ok(
            e.why.length > 0 && e.why.length <= 200,
            `datagram ${i}: a short reason, got ${e.why.length}`,
          );
          continue;
        }
        if (e.kind === 'attempt') continue;
        assert.equal(new Date(e.time).toISOString(), e.time, `datagram ${i}: a valid time`);
        assert.ok(e.status === null || (Number.isInteger(e.status) && e.status >= 100 && e.status <= 599));
        assert.ok(e.error === null || (e.error.length > 0 && e.error.length <= 128));
        const region = e.kind === 'call' ? e.operation.region : e.region;
        assert.ok(region === null || /^[a-z0-9-]{1,32}$/.test(region), `datagram ${i}: region ${region}`);
      }
    }
    // The generator reaches every outcome: the fuzz is not all rejected at the first check.
    assert.ok((kinds.get('malformed') ?? 0) > 1000, JSON.stringify([...kinds]));
    assert.ok((kinds.get('call') ?? 0) > 50, JSON.stringify([...kinds]));
  });

  it('a listener fed 300 malformed datagrams keeps counting and still hears the next call', async () => {
    const next = random(7);
    const seen: string[] = [];
    const listener = await startCsmListener({
      host: '127.0.0.1',
      port: 0,
      onCall: (e) => seen.push(e.kind === 'call' ? e.operation.operation : `?${e.operation}`),
    });
    const client = createSocket('udp4');
    const send = (data: Buffer) =>
      new Promise<void>((r) => client.send(data, listener.port, '127.0.0.1', () => r()));
    let sent = 0;
    for (let i = 0; i < 300; i++) {
      const d = malformedDatagram(next);
      if (d.length === 0 || d.length > 60_000) continue; // UDP carries neither
      await send(d);
      sent++;
    }
    await send(Buffer.from(JSON.stringify(apiCall({ Api: 'DescribeLimits' }))));
    sent++;
    for (let i = 0; i < 300 && listener.stats.datagrams < sent; i++)
      await new Promise((r) => setTimeout(r, 10));
    client.close();
    await listener.close();
    assert.equal(listener.stats.datagrams, sent);
    assert.equal(seen.at(-1), 'DescribeLimits');
    assert.equal(listener.stats.calls + listener.stats.malformed + listener.stats.attempts >= sent, true);
  });
});
