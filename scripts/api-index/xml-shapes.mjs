/**
 * Input shapes for the API index: how the XML a REST-XML operation sends, or the form a query
 * or EC2 operation sends, maps back to the model's member names. The resolver parses XML by
 * element name and forms by key; these descriptions rename elements (keys) to members, turn
 * flattened and wrapped lists into lists (even of one element) and maps into maps.
 *
 * Flavors: 'xml' (REST-XML bodies), 'query' (awsQuery forms: `X.member.N`, `X.entry.N.key`,
 * flattened `X.N`), 'ec2' (ec2Query forms: `X.N`, keys from ec2QueryName or capitalized).
 *
 * Graph nodes (built from v2 models or v3 schemas, shared per source shape):
 *   { k: 'S', m: [[wireName, member, child | null, flat]] }  structure
 *   { k: 'L', item: element name when wrapped, child, need }  list (need: the item name matters)
 *   { k: 'M', key, value: element names, child }              map (of the value's shape)
 * Scalars are null.
 *
 * Encoded per service as a table `t` (an array; ids are indexes), minimized so that equal shapes
 * share one entry, and pruned: a structure whose elements all carry their member names and need
 * no list or map handling is not described at all.
 *   structure  {xmlName: entry}; entry: "Member" (renamed, nothing inside to map),
 *              id (same name, child shape id), ["Member", id] (renamed), ["Member", id, 1] (flattened)
 *   list       ["L", item element name, id?]
 *   map        ["M", key element name, value element name, id?]
 */

// ---------------------------------------------------------------- v2 models

const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);

/** A list node: wrapped items are named `item`; in EC2 forms lists are never wrapped. */
const listNode = (item, flavor) =>
  flavor === 'ec2'
    ? { k: 'L', item: 'member', child: null, need: false }
    : { k: 'L', item, child: null, need: flavor === 'xml' || item !== 'member' };

/**
 * The shape of a v2 shape reference (merged with its named shape), or null for scalars.
 * `memo` is per model and flavor.
 */
export function v2XmlNode(model, ref, memo = new Map(), flavor = 'xml') {
  const named = ref?.shape;
  if (named && memo.has(named)) return memo.get(named);
  const shape = mergeV2(model, ref);
  let node = null;
  if (shape.type === 'structure') {
    node = { k: 'S', m: [] };
    if (named) memo.set(named, node);
    for (const [member, mref] of Object.entries(shape.members ?? {})) {
      if (mref.location || (flavor === 'xml' && mref.xmlAttribute)) continue;
      const m = mergeV2(model, mref);
      if (flavor === 'xml' && m.xmlAttribute) continue;
      const child = v2XmlNode(model, mref, memo, flavor);
      let wire = mref.locationName ?? m.locationName ?? member;
      if (flavor === 'ec2') wire = mref.queryName ?? (mref.locationName ? cap(mref.locationName) : member);
      const flat = flavor !== 'ec2' && !!m.flattened && child !== null && child.k !== 'S';
      node.m.push([wire, member, child, flat]);
      // aws-sdk v2 names flattened list items after the list's member; botocore after the member
      const itemName = flat && child.k === 'L' ? m.member?.locationName : undefined;
      if (itemName && itemName !== wire) node.m.push([itemName, member, child, flat, 'alias']);
    }
    node.m = unique(node.m);
  } else if (shape.type === 'list') {
    node = listNode(shape.member?.locationName ?? 'member', flavor);
    if (named) memo.set(named, node);
    node.child = v2XmlNode(model, shape.member, memo, flavor);
  } else if (shape.type === 'map') {
    const key = shape.key ?? {};
    const value = shape.value ?? {};
    node = {
      k: 'M',
      key: (flavor === 'ec2' ? key.queryName : undefined) ?? key.locationName ?? 'key',
      value: (flavor === 'ec2' ? value.queryName : undefined) ?? value.locationName ?? 'value',
      child: null,
    };
    if (named) memo.set(named, node);
    node.child = v2XmlNode(model, shape.value, memo, flavor);
  }
  return node;
}

/**
 * One member per wire name: the first in model order (SQS ReceiveMessage sends `AttributeName`
 * for `AttributeNames`, which the newer `MessageSystemAttributeNames` shares); an alias only
 * where no member has that name.
 */
function unique(entries) {
  const taken = new Set(entries.filter((e) => !e[4]).map((e) => e[0]));
  const seen = new Set();
  return entries.filter(([wire, , , , alias]) => {
    if (seen.has(wire) || (alias && taken.has(wire))) return false;
    seen.add(wire);
    return true;
  });
}

function mergeV2(model, ref) {
  let s = ref;
  for (let i = 0; i < 20 && s?.shape; i++) s = { ...model.shapes[s.shape], ...s, shape: undefined };
  return s ?? {};
}

// ---------------------------------------------------------------- v3 schemas

function deref(s) {
  let x = s;
  for (let i = 0; i < 10 && typeof x === 'function'; i++) x = x();
  return x;
}

const objectTraits = (t) => (t && typeof t === 'object' ? t : {});

/**
 * Resolves a schema reference: [target schema, member traits, merged traits]. Member traits of
 * an outer wrapper win over inner ones; the target's own traits come under both.
 */
export function v3Resolve(ref) {
  let x = deref(ref);
  const stack = [];
  for (let i = 0; i < 10 && Array.isArray(x) && x.length === 2; i++) {
    stack.push(objectTraits(x[1]));
    x = deref(x[0]);
  }
  const memberTraits = Object.assign({}, ...stack.reverse());
  let own = {};
  if (Array.isArray(x) && x.length >= 5) own = objectTraits(x[3]);
  // simple named schema [0, ns, name, traits, target]
  for (let i = 0; i < 10 && Array.isArray(x) && x[0] === 0; i++) x = deref(x[4]);
  return [x, memberTraits, { ...own, ...memberTraits }];
}

/**
 * The shape of a v3 schema (already resolved with v3Resolve), or null for scalars. `memo` is
 * per client package and flavor.
 */
export function v3XmlNode(schema, memo = new Map(), flavor = 'xml') {
  const x = schema;
  if (typeof x === 'number') {
    if (x >= 64 && x < 128) return listNode('member', flavor);
    if (x >= 128 && x < 256) return { k: 'M', key: 'key', value: 'value', child: null };
    return null;
  }
  if (!Array.isArray(x)) return null;
  if (memo.has(x)) return memo.get(x);
  const kind = x[0];
  if (kind === 3 || kind === -3 || kind === 4) {
    const node = { k: 'S', m: [] };
    memo.set(x, node);
    const names = x[4] ?? [];
    const schemas = x[5] ?? [];
    names.forEach((member, i) => {
      const [target, memberTraits, traits] = v3Resolve(schemas[i]);
      if (flavor === 'xml' && traits.xmlAttribute) return;
      const child = v3XmlNode(target, memo, flavor);
      let wire;
      // the v3 XML serializer names structure members by member traits only, others by merged
      if (flavor === 'xml') wire = (child?.k === 'S' ? memberTraits.xmlName : traits.xmlName) ?? member;
      else if (flavor === 'ec2') wire = traits.ec2QueryName ?? cap(traits.xmlName ?? member);
      else wire = traits.xmlName ?? member;
      const flat = flavor !== 'ec2' && !!traits.xmlFlattened && child !== null && child.k !== 'S';
      node.m.push([wire, member, child, flat]);
    });
    node.m = unique(node.m);
    return node;
  }
  if (kind === 1) {
    const [target, , traits] = v3Resolve(x[4]);
    const node = listNode(traits.xmlName ?? 'member', flavor);
    memo.set(x, node);
    node.child = v3XmlNode(target, memo, flavor);
    return node;
  }
  if (kind === 2) {
    const [, , keyTraits] = v3Resolve(x[4]);
    const [target, , valueTraits] = v3Resolve(x[5]);
    const ec2 = flavor === 'ec2';
    const node = {
      k: 'M',
      key: (ec2 ? keyTraits.ec2QueryName : undefined) ?? keyTraits.xmlName ?? 'key',
      value: (ec2 ? valueTraits.ec2QueryName : undefined) ?? valueTraits.xmlName ?? 'value',
      child: null,
    };
    memo.set(x, node);
    node.child = v3XmlNode(target, memo, flavor);
    return node;
  }
  return null;
}

// ---------------------------------------------------------------- table

/** Every node reachable from `roots`, in a deterministic depth-first order. */
function reachable(roots) {
  const seen = new Set();
  const order = [];
  const visit = (n) => {
    if (!n || seen.has(n)) return;
    seen.add(n);
    order.push(n);
    for (const c of children(n)) visit(c);
  };
  for (const r of roots) visit(r);
  return order;
}

function children(n) {
  if (n.k === 'S') return n.m.map((e) => e[2]).filter(Boolean);
  return n.child ? [n.child] : [];
}

/** Nodes that carry information: lists, maps, renames, or structures that contain such. */
function informative(nodes) {
  const needs = new Set();
  const parents = new Map();
  for (const n of nodes) {
    for (const c of children(n)) {
      const list = parents.get(c);
      if (list) list.push(n);
      else parents.set(c, [n]);
    }
    if (n.k === 'M' || (n.k === 'L' && n.need) || (n.k === 'S' && n.m.some(([w, member]) => w !== member)))
      needs.add(n);
  }
  const queue = [...needs];
  while (queue.length) {
    const n = queue.pop();
    for (const p of parents.get(n) ?? []) {
      if (needs.has(p)) continue;
      needs.add(p);
      queue.push(p);
    }
  }
  return needs;
}

/**
 * Builds a service's shape table from its operations' XML input roots. Returns the table and a
 * function from a root node to its id (undefined when the root carries no information).
 */
export function shapeTable(roots) {
  const nodes = reachable(roots);
  const needs = informative(nodes);
  const useful = nodes.filter((n) => needs.has(n));
  const ref = (n) => (n && needs.has(n) ? n : null);
  // local content of a node, with children left out (they are compared by class)
  const local = (n) => {
    if (n.k === 'S')
      return JSON.stringify(
        n.m
          .filter(([xml, member, c]) => xml !== member || ref(c))
          .map(([xml, member, c, flat]) => [xml, member, !!ref(c), flat])
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      );
    return JSON.stringify(
      n.k === 'L' ? ['L', n.item, !!ref(n.child)] : ['M', n.key, n.value, !!ref(n.child)],
    );
  };
  const childRefs = (n) => {
    if (n.k === 'S')
      return n.m
        .filter(([xml, member, c]) => xml !== member || ref(c))
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([, , c]) => ref(c));
    return [ref(n.child)];
  };
  // partition refinement: equal local content and equal child classes → one class
  let cls = new Map(useful.map((n) => [n, local(n)]));
  for (let count = -1; ; ) {
    const sig = new Map(
      useful.map((n) => [n, JSON.stringify([cls.get(n), childRefs(n).map((c) => (c ? cls.get(c) : null))])]),
    );
    const ids = new Map();
    for (const n of useful) if (!ids.has(sig.get(n))) ids.set(sig.get(n), ids.size);
    const next = new Map(useful.map((n) => [n, String(ids.get(sig.get(n)))]));
    cls = next;
    if (ids.size === count) break;
    count = ids.size;
  }
  // ids in depth-first order from the roots (given in a deterministic order)
  const idOf = new Map();
  const rep = [];
  for (const n of useful) {
    const c = cls.get(n);
    if (!idOf.has(c)) {
      idOf.set(c, rep.length);
      rep.push(n);
    }
  }
  const id = (n) => (n && needs.has(n) ? idOf.get(cls.get(n)) : undefined);
  const table = rep.map((n) => {
    if (n.k === 'L') return id(n.child) === undefined ? ['L', n.item] : ['L', n.item, id(n.child)];
    if (n.k === 'M')
      return id(n.child) === undefined ? ['M', n.key, n.value] : ['M', n.key, n.value, id(n.child)];
    const out = {};
    for (const [xml, member, c, flat] of [...n.m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const cid = id(c);
      if (cid === undefined) {
        if (xml !== member) out[xml] = member;
      } else if (flat) out[xml] = [member, cid, 1];
      else out[xml] = xml === member ? cid : [member, cid];
    }
    return out;
  });
  return { table, id };
}
