import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Aggregator } from '../../../src/capture/cloudtrail/aggregate.js';
import { NO_FILTERS } from '../../../src/capture/cloudtrail/filters.js';
import { readText } from '../../../src/capture/cloudtrail/read.js';
import { isTrailRecord, type TrailEvent, trailEvent } from '../../../src/capture/cloudtrail/records.js';
import { detach, scanDocument, scanRecord } from '../../../src/capture/cloudtrail/scan.js';
import { rng } from '../evaluate/corpus.js';

/** Strings that are hard to skip: quotes, backslashes, brackets, escapes, non-ASCII. */
const NASTY = [
  'plain',
  'a"b',
  'back\\slash\\',
  '\\"',
  '{[}]',
  'line\nbreak\ttab',
  'é ü 日本',
  '😀',
  '',
  '\u0000\u001f',
];

function value(r: () => number, depth: number): unknown {
  const k = Math.floor(r() * (depth > 3 ? 6 : 9));
  switch (k) {
    case 0:
      return null;
    case 1:
      return r() < 0.5;
    case 2:
      return [0, -1.5, 1e21, 12345678901234, 3.25e-7][Math.floor(r() * 5)];
    case 3:
    case 4:
    case 5:
      return NASTY[Math.floor(r() * NASTY.length)] + String(Math.floor(r() * 10));
    case 6:
    case 7: {
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(r() * 4); i > 0; i--)
        o[NASTY[Math.floor(r() * NASTY.length)] ?? 'k'] = value(r, depth + 1);
      return o;
    }
    default:
      return Array.from({ length: Math.floor(r() * 4) }, () => value(r, depth + 1));
  }
}

function identity(r: () => number): unknown {
  switch (Math.floor(r() * 5)) {
    case 0:
      return undefined;
    case 1:
      return null;
    case 2:
      return {
        type: 'AssumedRole',
        arn: 'arn:aws:sts::111122223333:assumed-role/R/s',
        accountId: '111122223333',
        sessionContext: {
          attributes: { creationDate: '2026-11-01T00:00:00Z', mfaAuthenticated: 'false' },
          sessionIssuer:
            r() < 0.8 ? { type: 'Role', arn: `arn:aws:iam::111122223333:role/p/${value(r, 3)}` } : null,
        },
      };
    case 3:
      return { type: 'AWSService', invokedBy: r() < 0.5 ? 'lambda.amazonaws.com' : 7, extra: value(r, 1) };
    default:
      return { type: 'IAMUser', arn: 'arn:aws:iam::1:user/a"b', userName: 'a"b', accountId: null };
  }
}

function record(r: () => number): Record<string, unknown> {
  const rec: Record<string, unknown> = {
    eventVersion: '1.09',
    userIdentity: identity(r),
    eventTime: '2026-11-01T00:00:00Z',
    eventSource: r() < 0.9 ? 's3.amazonaws.com' : 'a"b.amazonaws.com',
    eventName: r() < 0.05 ? 12 : 'GetObject',
    awsRegion: 'us-east-1',
    userAgent: value(r, 2),
    requestParameters: r() < 0.2 ? null : value(r, 0),
    responseElements: value(r, 0),
    resources: r() < 0.5 ? undefined : [{ ARN: 'arn:aws:s3:::b/k"{' }, value(r, 2)],
    errorCode: r() < 0.3 ? 'AccessDenied' : r() < 0.5 ? null : undefined,
    eventType: r() < 0.9 ? 'AwsApiCall' : 'AwsConsoleSignIn',
    recipientAccountId: r() < 0.8 ? '111122223333' : undefined,
    apiVersion: r() < 0.2 ? '2006-03-01' : undefined,
  };
  // Keys in a shuffled order, as nothing promises one.
  const keys = Object.keys(rec).sort(() => r() - 0.5);
  return Object.fromEntries(keys.map((k) => [k, rec[k]]));
}

/** What JSON.parse makes of a document: the comparison the scanner must match. */
function parsed(text: string): { events: TrailEvent[]; invalid: number } {
  const records = (JSON.parse(text) as { Records: unknown[] }).Records;
  const events = records.filter(isTrailRecord).map(trailEvent);
  return { events, invalid: records.length - events.length };
}

/** Text fields compared by what they hold, not by spacing. */
const comparable = (e: TrailEvent) => ({
  ...e,
  requestParameters: e.requestParameters === undefined ? undefined : JSON.parse(e.requestParameters),
  resources: e.resources === undefined ? undefined : JSON.parse(e.resources),
});

describe('the record scanner', () => {
  it('reads 2,000 generated records exactly as JSON.parse does, compact and indented', () => {
    const r = rng(42);
    for (let doc = 0; doc < 40; doc++) {
      const Records: unknown[] = Array.from({ length: 50 }, () => record(r));
      if (doc % 7 === 0) Records.push(3, 'x', null, { eventName: 'NoTime' }, []);
      for (const text of [
        JSON.stringify({ Records }),
        JSON.stringify({ Records }, null, doc % 2 ? 2 : '\t'),
      ]) {
        const got = scanDocument(text);
        assert.ok(got, `document ${doc} was not scanned`);
        const want = parsed(text);
        assert.equal(got.invalid, want.invalid);
        assert.deepEqual(got.events.map(comparable), want.events.map(comparable), `document ${doc}`);
      }
      // Compact text: the nested members are the very text JSON.stringify writes.
      const compact = JSON.stringify({ Records });
      assert.deepEqual(scanDocument(compact)?.events, parsed(compact).events);
    }
  });

  it('takes the last of duplicate keys, as JSON.parse does', () => {
    const text =
      '{"Records":[{"eventTime":"t","eventSource":"s3.amazonaws.com","eventName":"A","eventName":"B","awsRegion":"r"}]}';
    assert.equal(scanDocument(text)?.events[0]?.eventName, 'B');
  });

  it('replaces a repeated object key whole, as JSON.parse does', () => {
    const base = '"eventTime":"t","eventSource":"s3.amazonaws.com","eventName":"A","awsRegion":"r"';
    for (const tail of [
      '"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/a"},"userIdentity":{"type":"Root"}',
      '"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/a"},"userIdentity":null',
      '"userIdentity":{"type":"AssumedRole","sessionContext":{"sessionIssuer":{"arn":"arn:x"}},"sessionContext":{}}',
    ]) {
      const text = `{"Records":[{${base},${tail}}]}`;
      assert.deepEqual(scanDocument(text)?.events, parsed(text).events, tail);
    }
  });

  it('never throws on a broken string it reads: JSON.parse reports the file', () => {
    const rec = (name: string) =>
      `{"Records":[{"eventTime":"t","eventSource":"s","eventName":"${name}","awsRegion":"r"}]}`;
    for (const text of [rec('Get\\xObject'), rec('a\tb\\n'), rec('\\u12')]) {
      assert.equal(scanDocument(text), null, text);
      assert.deepEqual(
        readText(text, () => assert.fail('no record')),
        {
          kind: 'skipped',
          reason: 'not JSON',
          records: 0,
          bytes: text.length,
        },
      );
    }
  });

  it('counts a record whose parameters or resources are not JSON as malformed', () => {
    const rec = (source: string, extra: string) =>
      `{"eventTime":"t","eventSource":"${source}","eventName":"GetItem","awsRegion":"us-east-1"${extra}}`;
    const text = `{"Records":[${[
      rec('s3.amazonaws.com', ',"requestParameters":{"bucketName":"b","key":[1}]'),
      rec('s3.amazonaws.com', ',"resources":[{"ARN":"arn:aws:s3:::b"]]'),
      rec('dynamodb.amazonaws.com', ',"requestParameters":{"tableName":"t",}'),
      rec('s3.amazonaws.com', ',"requestParameters":tru'),
      rec('dynamodb.amazonaws.com', ',"requestParameters":{"tableName":"t"}'),
    ].join(',')}]}`;
    const agg = new Aggregator(NO_FILTERS);
    const scanned = scanDocument(text);
    assert.ok(scanned);
    for (const e of scanned.events) agg.add(e);
    assert.equal(agg.stats.malformed, 4);
    assert.equal(agg.stats.kept, 1);
    assert.deepEqual(
      agg.result().map((t) => t.operation?.operation),
      ['GetItem'],
    );
  });

  it('gives up on what it does not expect, so JSON.parse reads it', () => {
    const rec = '{"eventTime":"t","eventSource":"s","eventName":"n","awsRegion":"r"}';
    for (const text of [
      `{"Records":[{"event\\u0054ime":"t","eventSource":"s","eventName":"n","awsRegion":"r"}]}`,
      `{"Records":[${rec}]`,
      `{"Records":[${rec}]} x`,
      `{"Records":[${rec},]}`,
      `{"Records":[${rec}],"next":1}`,
      `{"note":1,"Records":[${rec}]}`,
      `{"Records":{}}`,
      `[${rec}]`,
      `{"Records":[{"eventTime":"t","eventSource":"s","eventName":"n","awsRegion":"r","x":tru"e"}]}`,
      `{"Records":[{"eventTime":"t" "eventSource":"s"}]}`,
      `{"Records":[{"eventTime":"t","eventSource":"s","eventName":"n","awsRegion":"r","x":{"a":"}`,
    ])
      assert.equal(scanDocument(text), null, text);
    assert.deepEqual(scanDocument('{ "Records" : [ ] }'), { events: [], invalid: 0 });
  });

  it('reads one element of the splitter', () => {
    const rec =
      '{"eventTime":"t","eventSource":"s","eventName":"n","awsRegion":"r","requestParameters":{"a":[1]}}';
    const e = scanRecord(` ${rec}\n`);
    assert.ok(e && e !== 'invalid');
    assert.equal(e.requestParameters, '{"a":[1]}');
    assert.equal(scanRecord('{"eventTime":"t"}'), 'invalid');
    assert.equal(scanRecord(`${rec} {}`), null);
    assert.equal(scanRecord('[1]'), null);
    assert.equal(scanRecord(`\u0001${rec}`), null, 'only JSON whitespace around it');
  });

  it('detaches kept strings from the document they were sliced from', () => {
    const s = `${'x'.repeat(100)}2026-11-01T00:00:00Z`;
    assert.equal(detach(s.slice(100)), '2026-11-01T00:00:00Z');
    assert.equal(detach('short'), 'short');
    // Memory: 300 one-MiB documents, one short string kept from each.
    const scan = fileURLToPath(new URL('../../../src/capture/cloudtrail/scan.js', import.meta.url));
    const script = `
      const { detach } = await import(${JSON.stringify(scan)});
      const kept = [];
      for (let i = 0; i < 300; i++) {
        const doc = String(i).padStart(6, '0') + 'z'.repeat(1 << 20);
        kept.push(process.argv[1] === 'detach' ? detach(doc.slice(0, 40)) : doc.slice(0, 40));
      }
      globalThis.gc();
      console.log(Math.round(process.memoryUsage().heapUsed / 1048576));`;
    const heap = (mode: string) => {
      const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script, mode], {
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
      return Number(r.stdout.trim());
    };
    assert.ok(heap('slice') > 250, 'a plain slice keeps its document');
    assert.ok(heap('detach') < 40, 'a detached string does not');
  });
});
