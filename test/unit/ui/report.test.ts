import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Session } from '../../../src/index.js';
import { parseCallsLog } from '../../../src/input/index.js';
import type { CallRecord } from '../../../src/model/index.js';
import { renderPolicy } from '../../../src/output/policy.js';
import { embedJson } from '../../../src/ui/page.js';
import { renderReport, reportData } from '../../../src/ui/report.js';
import { uiCall, uiSnapshot } from '../../../src/ui/view.js';

const FIXTURES = fileURLToPath(new URL('../../../../test/fixtures/policy/', import.meta.url));

function fixtureSession(...extra: CallRecord[]): Session {
  const s = new Session({ accountId: null, wildcardResources: false });
  for (const name of ['calls.ndjson', 'calls-2.ndjson']) {
    const parsed = parseCallsLog(readFileSync(join(FIXTURES, name), 'utf8'), name);
    assert.ok(parsed.ok);
    for (const r of parsed.value) s.addRecord(r);
  }
  for (const r of extra) s.addRecord(r);
  return s;
}

const record = (extra: Partial<CallRecord>): CallRecord => ({
  time: '2026-11-21T18:00:09.000Z',
  source: 'proxy',
  provider: 'aws',
  service: 's3',
  operation: 'GetObject',
  region: 'us-east-1',
  account: '123456789012',
  status: 200,
  error: null,
  actions: ['s3:GetObject'],
  resources: ['arn:aws:s3:::artifacts/x'],
  unresolved: null,
  ...extra,
});

/** The text between `<tag ...>` and `</tag>`, for every such element. */
function elements(html: string, tag: string): { attrs: string; body: string }[] {
  return [...html.matchAll(new RegExp(`<${tag}([^>]*)>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => ({
    attrs: m[1] ?? '',
    body: m[2] ?? '',
  }));
}

describe('ui/report: the static page', () => {
  it('embeds exactly the view of the calls, which round-trips', () => {
    const session = fixtureSession();
    const html = renderReport(session);
    const data = reportData(html);
    assert.deepEqual(data, uiSnapshot(session));
    assert.ok(data);
    assert.equal(data.calls.length, 9);
    assert.deepEqual(
      data.calls.map((c) => `${c.id} ${c.service}:${c.operation} ${c.status}`),
      [
        '1 s3:GetObject 200',
        '2 s3:ListObjectsV2 200',
        '3 dynamodb:PutItem 200',
        '4 lambda:CreateFunction 201',
        '5 ec2:DescribeInstances 200',
        '6 sts:GetCallerIdentity 200',
        '7 null:null 200',
        '8 sqs:SendMessage 200',
        '9 s3:GetObject 200',
      ],
    );
    // The policy texts are what `generate` writes, byte for byte.
    const built = session.policy();
    assert.equal(data.policy.json, renderPolicy(built.documents, 'json'));
    assert.equal(data.policy.terraform, renderPolicy(built.documents, 'terraform'));
    assert.equal(data.policy.cloudformation, renderPolicy(built.documents, 'cloudformation'));
    // Each statement knows its calls (the --explain data).
    const s3 = data.policy.statements.find((s) => s.actions.includes('s3:GetObject'));
    assert.ok(s3, JSON.stringify(data.policy.statements.map((s) => s.sid)));
    assert.deepEqual(s3.calls, [1, 9]);
    assert.deepEqual(s3.explain, [
      { text: 'GetObject → s3:GetObject (GET artifacts.s3.amazonaws.com/build/app.zip)', count: 1 },
      { text: 'GetObject → s3:GetObject (GET artifacts.s3.amazonaws.com/build/lib.zip)', count: 1 },
    ]);
    assert.equal(s3.explainMore, 0);
    assert.deepEqual(
      data.policy.statements.map((s) => s.sid),
      built.documents.flatMap((d) => d.Statement.map((st) => st.Sid)),
    );
    // The unresolved call keeps its reason, with what it means.
    const unresolved = data.calls.find((c) => c.unresolved !== null);
    assert.equal(unresolved?.unresolved, 'unknown-service');
    assert.match(data.reasons['unknown-service'] ?? '', /no known service/);
  });

  it('loads nothing from anywhere: no URL, a CSP that allows only its own script and style', () => {
    const html = renderReport(fixtureSession());
    assert.doesNotMatch(html, /https?:\/\//i);
    assert.doesNotMatch(html, /\bsrc\s*=/i);
    assert.doesNotMatch(html, /url\(/i);
    assert.doesNotMatch(html, /@import/i);
    const hrefs = [...html.matchAll(/\bhref="([^"]*)"/g)].map((m) => m[1]);
    assert.deepEqual(hrefs, ['data:,']);
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
    assert.ok(csp, 'no CSP meta');
    const directives = csp.split('; ');
    assert.ok(directives.includes("default-src 'none'"), csp);
    assert.ok(directives.includes("connect-src 'none'"), csp);
    // The inline script and style are the ones the CSP names by hash (and nothing else runs).
    const scripts = elements(html, 'script');
    assert.deepEqual(
      scripts.map((s) => s.attrs),
      [' type="application/json" id="leastpriv-data"', ''],
    );
    const hash = (t: string) => `'sha256-${createHash('sha256').update(t).digest('base64')}'`;
    assert.ok(directives.includes(`script-src ${hash(scripts[1]?.body ?? '')}`), csp);
    const styles = elements(html, 'style');
    assert.equal(styles.length, 1);
    assert.ok(directives.includes(`style-src ${hash(styles[0]?.body ?? '')}`), csp);
  });

  it('keeps hostile text inert: it round-trips and never closes the data element', () => {
    const evil = '</script><script>alert(1)</script><!-- \u2028\u2029 & > "';
    const session = fixtureSession(
      record({
        operation: evil,
        host: 'x.s3.amazonaws.com',
        method: 'GET',
        path: `/${evil}?X-Amz-Signature=abc`,
      }),
    );
    const html = renderReport(session);
    assert.equal(elements(html, 'script').length, 2);
    assert.equal(html.match(/<script/g)?.length, 2);
    const data = reportData(html);
    assert.deepEqual(data, uiSnapshot(session));
    const last = data?.calls.at(-1);
    assert.equal(last?.operation, evil);
    // The query (presigned URLs carry signatures there) is never shown.
    assert.equal(last?.where, `GET x.s3.amazonaws.com/${evil}`);
    assert.doesNotMatch(html, /X-Amz-Signature/);
    assert.equal(JSON.parse(embedJson(evil)), evil);
  });

  it('keeps the first 200 explain lines of a statement, and counts the rest', () => {
    const s = new Session({ accountId: null, wildcardResources: false });
    for (let i = 0; i < 250; i++) {
      const resources = [`arn:aws:s3:::b/k${i}`];
      s.addRecord(record({ resources, host: 'b.s3.amazonaws.com', method: 'GET', path: `/k${i}` }));
    }
    const [st] = uiSnapshot(s).policy.statements;
    assert.equal(st?.calls.length, 250);
    assert.equal(st?.explain.length, 200);
    assert.deepEqual(st?.explain[199], {
      text: 'GetObject → s3:GetObject (GET b.s3.amazonaws.com/k199)',
      count: 1,
    });
    assert.equal(st?.explainMore, 50);
  });

  it('is the same bytes for the same calls', () => {
    assert.equal(renderReport(fixtureSession()), renderReport(fixtureSession()));
  });

  it('marks a denied call, whose actions are the permissions that were missing', () => {
    const row = uiCall(
      3,
      record({
        status: 403,
        error: 'AccessDenied',
        actions: ['s3:PutObject'],
        resources: ['arn:aws:s3:::b/k'],
      }),
    );
    assert.equal(row.denied, true);
    assert.deepEqual(row.actions, ['s3:PutObject']);
    assert.equal(uiCall(4, record({ status: 404, error: 'NoSuchKey' })).denied, false);
    assert.equal(uiCall(5, record({ source: 'cloudtrail' })).where, null);
  });
});
