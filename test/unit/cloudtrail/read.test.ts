import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { readStream, readText } from '../../../src/capture/cloudtrail/read.js';
import { parseLakeValue, type TrailEvent, trailEvent } from '../../../src/capture/cloudtrail/records.js';
import { RecordSplitter } from '../../../src/capture/cloudtrail/splitter.js';

const rec = (i: number) => ({
  eventTime: `2026-11-01T00:00:0${i}Z`,
  eventSource: 's3.amazonaws.com',
  eventName: 'GetObject',
  awsRegion: 'us-east-1',
  requestParameters: { bucketName: 'b', key: `k{${i}}"[]\\` },
  resources: [{ ARN: 'arn:aws:s3:::b' }],
});
const RECORDS = [rec(1), rec(2), rec(3)];

/** Splits `text` into chunks of `size` bytes and collects what the splitter hands out. */
function split(text: string, size: number) {
  const out: [string, unknown][] = [];
  const s = new RecordSplitter((kind, t) => out.push([kind, JSON.parse(t)]));
  const buf = Buffer.from(text);
  for (let i = 0; i < buf.length; i += size) s.push(buf.subarray(i, i + size));
  return { out, incomplete: s.incomplete };
}

describe('the record splitter', () => {
  const shapes: [string, string, string][] = [
    ['delivery file', JSON.stringify({ Records: RECORDS }), 'Records'],
    [
      'a key before the records',
      JSON.stringify({ note: 'Records [', Records: RECORDS, after: [1] }),
      'Records',
    ],
    ['top-level array', JSON.stringify(RECORDS, null, 2), 'array'],
    ['NDJSON', RECORDS.map((r) => JSON.stringify(r)).join('\n'), 'single'],
  ];
  for (const [name, text, kind] of shapes) {
    it(`hands out each record of a ${name}, whatever the chunk size`, () => {
      for (const size of [1, 2, 3, 7, 64, 100_000]) {
        const { out, incomplete } = split(text, size);
        assert.deepEqual(
          out,
          RECORDS.map((r) => [kind, r]),
          `chunk size ${size}`,
        );
        assert.equal(incomplete, false);
      }
    });
  }

  it('splits lookup-events output and Lake rows', () => {
    const events = JSON.stringify({
      Events: RECORDS.map((r) => ({ EventName: r.eventName, CloudTrailEvent: JSON.stringify(r) })),
    });
    assert.equal(split(events, 5).out.length, 3);
    const lake = JSON.stringify({ QueryResultRows: [[{ a: 1 }, { b: '[' }], [{ a: 2 }]] });
    assert.deepEqual(split(lake, 3).out, [
      ['QueryResultRows', [{ a: 1 }, { b: '[' }]],
      ['QueryResultRows', [{ a: 2 }]],
    ]);
  });

  it('notices a truncated file', () => {
    const text = JSON.stringify({ Records: RECORDS });
    const { out, incomplete } = split(text.slice(0, -30), 10);
    assert.equal(incomplete, true);
    assert.equal(out.length, 2);
  });
});

describe('reading documents', () => {
  const collect = () => {
    const got: TrailEvent[] = [];
    return { got, sink: (r: TrailEvent) => got.push(r) };
  };

  it('reads every container shape', () => {
    for (const text of [
      JSON.stringify({ Records: RECORDS }),
      JSON.stringify(RECORDS),
      RECORDS.map((r) => JSON.stringify(r)).join('\n'),
      JSON.stringify({ Events: RECORDS.map((r) => ({ CloudTrailEvent: JSON.stringify(r) })) }),
    ]) {
      const { got, sink } = collect();
      assert.deepEqual(readText(text, sink), { kind: 'ok', records: 3, bytes: text.length });
      assert.deepEqual(got, RECORDS.map(trailEvent));
    }
  });

  it('reports JSON that is not CloudTrail, text that is not JSON, and empty files', () => {
    const { sink } = collect();
    assert.equal(readText('{"hello":"world"}', sink).kind, 'skipped');
    assert.match(
      (readText('{"Records":[{"x":1}]}', sink) as { reason: string }).reason,
      /none of its 1 elements/,
    );
    assert.equal((readText('<html>', sink) as { reason: string }).reason, 'not JSON');
    assert.equal((readText('  \n', sink) as { reason: string }).reason, 'empty');
  });

  it('streams gzip, and reports a corrupt one', async () => {
    const gz = gzipSync(JSON.stringify({ Records: RECORDS }));
    const a = collect();
    assert.equal((await readStream(Readable.from([gz.subarray(0, 10), gz.subarray(10)]), a.sink)).kind, 'ok');
    assert.equal(a.got.length, 3);
    const b = collect();
    const bad = await readStream(Readable.from([gz.subarray(0, gz.length - 12)]), b.sink);
    assert.equal(bad.kind, 'skipped');
    assert.match((bad as { reason: string }).reason, /^corrupt gzip/);
  });

  it("reads CloudTrail Lake's struct notation", () => {
    assert.deepEqual(
      parseLakeValue('{type=Role, arn=arn:aws:iam::1:role/R, ctx={a=1, b=null}, list=[x, y]}'),
      {
        type: 'Role',
        arn: 'arn:aws:iam::1:role/R',
        ctx: { a: '1', b: null },
        list: ['x', 'y'],
      },
    );
    assert.deepEqual(parseLakeValue('{"bucketName":"b"}'), { bucketName: 'b' });
  });
});
