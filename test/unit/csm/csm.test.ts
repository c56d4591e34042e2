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
