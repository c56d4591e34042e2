/**
 * Azure Resource Manager's known request paths (`data/azure/paths.json`, generated from the
 * management clients Debian ships with the Azure CLI), by resource provider namespace. Loaded
 * once, on first use.
 */
import { readFileSync } from 'node:fs';
import { dataFile } from './api-index.js';

export interface AzurePaths {
  /** Whether the index has paths of this namespace at all (`microsoft.storage`). */
  covers(namespace: string): boolean;
  /** Whether a request (method, path) is one of the namespace's known paths. */
  known(method: string, path: string): boolean;
  source: string;
}

let loaded: AzurePaths | null = null;

/** The namespace of a path: the segment after its last `/providers/`, lower case. */
export function namespaceOf(path: string): string | null {
  const segs = path.toLowerCase().split('/');
  const at = segs.lastIndexOf('providers');
  return at >= 0 && segs[at + 1] ? (segs[at + 1] as string) : null;
}

export function azurePaths(): AzurePaths {
  if (loaded) return loaded;
  const raw = JSON.parse(readFileSync(dataFile('azure/paths.json'), 'utf8')) as {
    source: string;
    paths: string[];
  };
  const byNamespace = new Map<string, RegExp[]>();
  for (const entry of raw.paths) {
    const [method, path = ''] = entry.split(' ');
    const ns = namespaceOf(path);
    if (!ns) continue;
    const body = path
      .split(/(\{\+?\})/)
      .map((part) =>
        part === '{}' ? '[^/]+' : part === '{+}' ? '.+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
      )
      .join('');
    const list = byNamespace.get(ns) ?? [];
    list.push(new RegExp(`^${method} ${body}$`));
    byNamespace.set(ns, list);
  }
  loaded = {
    source: raw.source,
    covers: (ns) => byNamespace.has(ns.toLowerCase()),
    known: (method, path) => {
      const p = path.toLowerCase().replace(/\/+$/, '');
      const ns = namespaceOf(p);
      const list = ns ? byNamespace.get(ns) : undefined;
      return !!list?.some((re) => re.test(`${method} ${p}`));
    },
  };
  return loaded;
}
