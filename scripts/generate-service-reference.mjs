#!/usr/bin/env node
/**
 * Generates data/aws-sr/operations.json: AWS's own operation → IAM action table, from the
 * service reference information AWS publishes (one JSON document per IAM service prefix, each
 * operation with its `AuthorizedActions`, some with context such as `iam:PassedToService`).
 * https://docs.aws.amazon.com/service-authorization/latest/reference/service-reference.html
 *
 * Input: data/sources/aws-service-reference/<prefix>.json.gz (verbatim documents) and its
 * sources.json (where and when each was retrieved). No machine without internet access can
 * reach AWS, so the documents are stored in the repository and this script only reads them:
 * the same inputs give the same bytes.
 *
 * Refresh (needs internet access):
 *   npm run data -- --service-reference https://servicereference.us-east-1.amazonaws.com/
 *   npm run data -- --service-reference DIR      (a folder of <prefix>.json or .json.gz files)
 * Only prefixes named with `--only a,b` are fetched from a URL when given; otherwise every
 * prefix of the published index.
 *
 * Output format: { source, documents: {prefix: modified}, dropped: [...], operations: {
 *   prefix: { Operation: 1 | [[ "prefix:Action", {contextKey: [values]}? ], ...] } } }
 * `1` means exactly the action of the same name in the same prefix (the default rule).
 * Actions that the Service Authorization Reference (data/aws-sar) lacks are dropped and listed.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { emit } from './lib/emit.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = join(root, 'data', 'sources', 'aws-service-reference');
const sarDir = join(root, 'data', 'aws-sar');
const outDir = join(root, 'data', 'aws-sr');

function argValue(name) {
  const i = process.argv.indexOf(name);
  if (i < 0) return null;
  const v = process.argv[i + 1];
  if (!v || v.startsWith('--')) {
    process.stderr.write(`${name} needs a value: a URL or a folder\n`);
    process.exit(2);
  }
  return v;
}

function readSources() {
  const file = join(sourceDir, 'sources.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { files: {} };
}

function writeSources(sources) {
  const files = {};
  for (const k of Object.keys(sources.files).sort()) files[k] = sources.files[k];
  writeFileSync(join(sourceDir, 'sources.json'), `${JSON.stringify({ ...sources, files }, null, 1)}\n`);
}

function store(prefix, text, meta, sources) {
  const doc = JSON.parse(text);
  if (doc.Name !== prefix || !Array.isArray(doc.Actions)) {
    throw new Error(`${meta.url}: not the service reference document of ${prefix}`);
  }
  writeFileSync(join(sourceDir, `${prefix}.json.gz`), gzipSync(Buffer.from(text), { level: 9 }));
  sources.files[prefix] = meta;
}

async function refreshFromUrl(url) {
  const only = argValue('--only')?.split(',');
  const sources = readSources();
  const index = await (await fetch(url)).json();
  if (!Array.isArray(index)) throw new Error(`${url}: the service index is not a list`);
  const retrieved = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  for (const entry of index) {
    if (only && !only.includes(entry.service)) continue;
    const res = await fetch(entry.url);
    if (!res.ok) throw new Error(`${entry.url}: HTTP ${res.status}`);
    const modified =
      typeof entry.modified === 'number'
        ? new Date(entry.modified * 1000).toISOString().replace(/\.\d+Z$/, 'Z')
        : (entry.modified ?? null);
    store(entry.service, await res.text(), { url: entry.url, modified, retrieved }, sources);
    process.stdout.write(`fetched ${entry.service}\n`);
  }
  writeSources(sources);
}

function refreshFromDir(dir) {
  const sources = readSources();
  const retrieved = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  for (const f of readdirSync(dir).sort()) {
    const m = /^(.+?)\.json(\.gz)?$/.exec(f);
    if (!m || m[1] === 'sources') continue;
    const raw = readFileSync(join(dir, f));
    const text = (m[2] ? gunzipSync(raw) : raw).toString('utf8');
    store(m[1], text, { url: `file:${f}`, modified: null, retrieved }, sources);
  }
  writeSources(sources);
}

function sarActions(prefix, memo) {
  if (!memo.has(prefix)) {
    const file = join(sarDir, `${prefix}.json`);
    memo.set(prefix, existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')).actions : null);
  }
  return memo.get(prefix);
}

function generate() {
  const sources = readSources();
  const memo = new Map();
  const operations = {};
  const documents = {};
  const dropped = [];
  let total = 0;
  let withoutTable = 0;
  for (const f of readdirSync(sourceDir)
    .filter((x) => x.endsWith('.json.gz'))
    .sort()) {
    const prefix = f.slice(0, -'.json.gz'.length);
    const doc = JSON.parse(gunzipSync(readFileSync(join(sourceDir, f))).toString('utf8'));
    documents[prefix] = sources.files[prefix]?.modified ?? null;
    const ops = {};
    for (const op of [...(doc.Operations ?? [])].sort((a, b) => (a.Name < b.Name ? -1 : 1))) {
      total++;
      if (!Array.isArray(op.AuthorizedActions)) {
        withoutTable++;
        continue;
      }
      const list = [];
      for (const a of op.AuthorizedActions) {
        const actions = sarActions(a.Service, memo);
        const canonical = actions?.[a.Name.toLowerCase()]?.[0];
        if (!canonical) {
          dropped.push(
            `${prefix} ${op.Name}: ${a.Service}:${a.Name} is not in the Service Authorization Reference`,
          );
          continue;
        }
        const entry = [`${a.Service}:${canonical}`];
        if (a.Context && Object.keys(a.Context).length) {
          const ctx = {};
          for (const k of Object.keys(a.Context).sort()) ctx[k] = [...a.Context[k]].sort();
          entry.push(ctx);
        }
        list.push(entry);
      }
      list.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
      const isDefault =
        list.length === 1 &&
        list[0].length === 1 &&
        list[0][0].toLowerCase() === `${prefix}:${op.Name}`.toLowerCase();
      ops[op.Name] = isDefault ? 1 : list;
    }
    operations[prefix] = ops;
  }
  mkdirSync(outDir, { recursive: true });
  const lines = [
    '{"format":1,',
    `"source":${JSON.stringify(sources.source ?? 'AWS service reference information')},`,
    `"documentation":${JSON.stringify(sources.documentation ?? null)},`,
    `"documents":${JSON.stringify(documents)},`,
    `"dropped":${JSON.stringify(dropped)},`,
    '"operations":{',
  ];
  const prefixes = Object.keys(operations);
  prefixes.forEach((p, pi) => {
    lines.push(`${JSON.stringify(p)}:{`);
    const names = Object.keys(operations[p]);
    names.forEach((n, i) => {
      lines.push(
        `${JSON.stringify(n)}:${JSON.stringify(operations[p][n])}${i < names.length - 1 ? ',' : ''}`,
      );
    });
    lines.push(`}${pi < prefixes.length - 1 ? ',' : ''}`);
  });
  lines.push('}}');
  const text = `${lines.join('\n')}\n`;
  JSON.parse(text);
  emit(join(outDir, 'operations.json'), text);
  for (const d of dropped) process.stderr.write(`dropped: ${d}\n`);
  process.stdout.write(
    `data/aws-sr/operations.json: ${prefixes.length} prefixes, ${total} operations (${withoutTable} without a table), ${dropped.length} actions dropped\n`,
  );
}

const ref = argValue('--service-reference');
if (ref) {
  mkdirSync(sourceDir, { recursive: true });
  if (/^https?:\/\//.test(ref)) await refreshFromUrl(ref);
  else refreshFromDir(ref);
}
generate();
