/**
 * Table-driven resolution cases: raw requests (recorded from the AWS CLI, boto3, SDK v3 and
 * Terraform against moto, or constructed from what those clients send) with the expected
 * service, operation and parameters. One suite per JSON file; the folder path is its name.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { ObservedCall } from '../../../src/model/index.js';
import { learnAccount, resolveAws } from '../../../src/providers/aws/resolve/index.js';
import { observed } from './synthesize.js';

interface Case {
  name: string;
  context?: { accountId: string | null; learnedAccount: string | null };
  request: {
    host: string;
    method: string;
    path: string;
    query?: string;
    headers?: Record<string, string>;
    body?: string;
    bodyBase64?: string;
    bodyTruncated?: boolean;
  };
  response?: { status: number; headers?: Record<string, string>; body?: string };
  expect: {
    service?: string;
    operation?: string;
    region?: string;
    partition?: string;
    protocol?: string;
    account?: string | null;
    signingName?: string;
    params?: Record<string, unknown>;
    /** The parameters are exactly `params`, no other member. */
    exactParams?: boolean;
    warnings?: number;
    unresolved?: string;
    learnedAccount?: string | null;
  };
}

const root = fileURLToPath(new URL('../../../../test/cases/resolve/', import.meta.url));

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...files(path));
    else if (name.endsWith('.json') && !path.includes('self-consistency')) out.push(path);
  }
  return out;
}

export function toCall(c: Case): ObservedCall {
  const r = c.request;
  const body = r.bodyBase64 ? Buffer.from(r.bodyBase64, 'base64') : Buffer.from(r.body ?? '', 'utf8');
  const response = c.response
    ? {
        status: c.response.status,
        errorCode: null,
        headers: c.response.headers ?? {},
        body: Buffer.from(c.response.body ?? '', 'utf8'),
        bodyTruncated: false,
      }
    : null;
  return observed({
    host: r.host,
    method: r.method,
    path: r.path,
    query: r.query ?? '',
    headers: r.headers ?? {},
    body: new Uint8Array(body),
    bodyTruncated: r.bodyTruncated ?? false,
    bodySize: body.length,
    response,
  });
}

for (const file of files(root)) {
  const suite = relative(root, file).replace(/\.json$/, '');
  const cases: Case[] = JSON.parse(readFileSync(file, 'utf8'));
  describe(`resolve/${suite}`, () => {
    for (const c of cases) {
      test(c.name, () => {
        const call = toCall(c);
        const ctx = c.context ?? { accountId: null, learnedAccount: null };
        const r = resolveAws(call, ctx);
        const e = c.expect;
        if (e.unresolved) {
          assert.equal(r.kind, 'unresolved', JSON.stringify(r));
          if (r.kind === 'unresolved') {
            assert.equal(r.reason, e.unresolved, r.detail);
            if (e.service) assert.equal(r.service, e.service);
          }
          return;
        }
        assert.equal(r.kind, 'resolved', r.kind === 'unresolved' ? `${r.reason}: ${r.detail}` : '');
        if (r.kind !== 'resolved') return;
        const op = r.operation;
        if (e.service !== undefined) assert.equal(op.service, e.service);
        if (e.operation !== undefined) assert.equal(op.operation, e.operation);
        if (e.region !== undefined) assert.equal(op.region, e.region);
        if (e.partition !== undefined) assert.equal(op.partition, e.partition);
        if (e.protocol !== undefined) assert.equal(op.protocol, e.protocol);
        if (e.account !== undefined) assert.equal(op.account, e.account);
        if (e.signingName !== undefined) assert.equal(op.signingName, e.signingName);
        if (e.warnings !== undefined) assert.equal(op.warnings?.length ?? 0, e.warnings);
        for (const [k, v] of Object.entries(e.params ?? {})) assert.deepEqual(op.params[k], v, `param ${k}`);
        if (e.exactParams) assert.deepEqual(op.params, e.params ?? {}, 'params (exact)');
        if (e.learnedAccount !== undefined) assert.equal(learnAccount(call, r), e.learnedAccount);
      });
    }
  });
}
