/** Benchmark: mapping (authorize) and policy building for 100,000 recorded calls. */
import { performance } from 'node:perf_hooks';
import type { Operation } from '../src/model/index.js';
import { buildPolicy, type PolicyEntry } from '../src/policy/index.js';
import { authorizeAws } from '../src/providers/aws/authorize/index.js';

const CALLS = 100_000;
const ACCOUNT = '123456789012';

function operation(i: number): Operation {
  const base = {
    provider: 'aws' as const,
    region: i % 5 ? 'us-east-1' : 'eu-west-1',
    partition: 'aws',
    account: ACCOUNT,
  };
  switch (i % 10) {
    case 0:
      return {
        ...base,
        service: 's3',
        operation: 'GetObject',
        params: { Bucket: `data-${i % 3}`, Key: `logs/${i % 500}.gz` },
      };
    case 1:
      return {
        ...base,
        service: 's3',
        operation: 'PutObject',
        params: { Bucket: 'out', Key: `reports/${i % 200}.json` },
      };
    case 2:
      return {
        ...base,
        service: 's3',
        operation: 'ListObjectsV2',
        params: { Bucket: 'data-0', Prefix: `logs/${i % 4}/` },
      };
    case 3:
      return {
        ...base,
        service: 'dynamodb',
        operation: 'Query',
        params: { TableName: `Orders${i % 4}`, IndexName: 'ByDay' },
      };
    case 4:
      return { ...base, service: 'dynamodb', operation: 'PutItem', params: { TableName: `Orders${i % 4}` } };
    case 5:
      return {
        ...base,
        service: 'sqs',
        operation: 'SendMessageBatch',
        params: { QueueUrl: `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/jobs-${i % 8}` },
      };
    case 6:
      return { ...base, service: 'lambda', operation: 'Invoke', params: { FunctionName: `fn-${i % 12}` } };
    case 7:
      return { ...base, service: 'sts', operation: 'GetCallerIdentity', params: {} };
    case 8:
      return {
        ...base,
        service: 'dynamodb',
        operation: 'TransactWriteItems',
        params: { TransactItems: [{ Put: { TableName: 'Orders0' } }, { Update: { TableName: 'Stock' } }] },
      };
    default:
      return { ...base, service: 'monitoring', operation: 'PutMetricData', params: { Namespace: 'App' } };
  }
}

export async function benchPolicy(): Promise<{ name: string; value: number; unit: string }[]> {
  const ops = Array.from({ length: CALLS }, (_, i) => operation(i));
  authorizeAws(ops[0] as Operation); // load the catalog outside the timing
  const t0 = performance.now();
  const entries: PolicyEntry[] = [];
  for (let i = 0; i < ops.length; i++) {
    const requirements = authorizeAws(ops[i] as Operation);
    if (requirements) entries.push({ requirements, callIds: [i + 1] });
  }
  const t1 = performance.now();
  const built = buildPolicy(entries, { requestedRegions: true });
  const t2 = performance.now();
  if (built.documents.length === 0) throw new Error('no policy built');
  return [
    { name: 'authorize 100k calls', value: Math.round(t1 - t0), unit: 'ms' },
    { name: 'build policy from 100k calls', value: Math.round(t2 - t1), unit: 'ms' },
    { name: 'authorize + policy, 100k calls', value: Math.round(t2 - t0), unit: 'ms' },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await benchPolicy()) process.stdout.write(`${r.name}: ${r.value} ${r.unit}\n`);
}
