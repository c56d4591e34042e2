/** Compaction: many sibling ARNs become the narrowest wildcard that covers them. */

const SEPARATOR = /[/:]/;

/**
 * The ARN up to (and including) its last `/` or `:` separator past the ARN header; the header
 * itself for resources named right after the account (SQS queues, SNS topics).
 */
function parent(arn: string): string | null {
  if (!arn.startsWith('arn:')) return null;
  let colons = 0;
  let headerEnd = -1;
  for (let i = 0; i < arn.length; i++) {
    if (arn[i] === ':' && ++colons === 5) {
      headerEnd = i;
      break;
    }
  }
  if (headerEnd < 0) return null;
  for (let i = arn.length - 1; i > headerEnd; i--) {
    if (SEPARATOR.test(arn[i] ?? '')) return arn.slice(0, i + 1);
  }
  return headerEnd + 1 < arn.length ? arn.slice(0, headerEnd + 1) : null;
}

/** The items' longest common prefix, never ending inside an escape (`${*}`, `${?}`, `${$}`). */
function commonPrefix(items: string[]): string {
  let prefix = items[0] ?? '';
  for (const s of items) {
    let i = 0;
    while (i < prefix.length && i < s.length && prefix[i] === s[i]) i++;
    prefix = prefix.slice(0, i);
  }
  const open = prefix.lastIndexOf('${');
  if (open >= 0 && prefix.indexOf('}', open) < 0) prefix = prefix.slice(0, open);
  else if (prefix.endsWith('$')) prefix = prefix.slice(0, -1);
  return prefix;
}

/**
 * Resources with more than `threshold` siblings under one parent replaced by the siblings'
 * longest common prefix and `*` (`arn:aws:s3:::bucket/logs/*`). Other resources are unchanged.
 */
export function compactResources(resources: string[], threshold: number): string[] {
  if (threshold <= 0 || resources.length <= threshold) return resources;
  const groups = new Map<string, string[]>();
  const out = new Set<string>();
  for (const r of resources) {
    // a wildcard stays as it is; an escaped `${*}` is a literal character
    const p = r.replace(/\$\{[*?$]\}/g, '').includes('*') ? null : parent(r);
    if (!p) {
      out.add(r);
      continue;
    }
    const list = groups.get(p) ?? [];
    list.push(r);
    groups.set(p, list);
  }
  for (const list of groups.values()) {
    if (list.length > threshold) out.add(`${commonPrefix(list)}*`);
    else for (const r of list) out.add(r);
  }
  // A wildcard may now cover resources listed on their own.
  const wildcards = [...out].filter((r) => r.endsWith('*'));
  return [...out]
    .filter((r) => r.endsWith('*') || !wildcards.some((w) => r.startsWith(w.slice(0, -1))))
    .sort();
}
