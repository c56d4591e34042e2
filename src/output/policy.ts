import { LeastprivError } from '../errors.js';
import type { PolicyDocument } from '../model/index.js';
import { renderCloudFormation } from './cloudformation.js';
import { type PolicyReport, renderMarkdown } from './markdown.js';
import { renderTerraform } from './terraform.js';

export type { PolicyReport } from './markdown.js';

export const FORMATS = ['json', 'terraform', 'cloudformation', 'markdown'] as const;
export type Format = (typeof FORMATS)[number];

export function parseFormat(value: string): Format {
  if ((FORMATS as readonly string[]).includes(value)) return value as Format;
  throw new LeastprivError('usage', `unknown format '${value}': use one of ${FORMATS.join(', ')}`);
}

/**
 * Renders the policy documents as one text. JSON: one document, or an array for a split policy
 * (written to a file, a split policy is one file per document: `renderPolicyFiles`). Markdown
 * names the calls behind each statement when given the report.
 */
export function renderPolicy(
  documents: readonly PolicyDocument[],
  format: Format,
  report?: PolicyReport,
): string {
  switch (format) {
    case 'terraform':
      return renderTerraform(documents);
    case 'cloudformation':
      return renderCloudFormation(documents);
    case 'markdown':
      return renderMarkdown(documents, report);
    default: {
      // A split policy on one stream is an array, which leastpriv's own commands read back; to a
      // file it is one document per file (`renderPolicyFiles`), each as IAM takes it.
      const value = documents.length === 1 ? documents[0] : documents;
      return `${JSON.stringify(value, null, 2)}\n`;
    }
  }
}

/** `policy.json` → `policy.2.json` for the second document (`policy` → `policy.2`). */
export function numberedPath(path: string, index: number): string {
  if (index === 0) return path;
  const slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  const dot = path.lastIndexOf('.');
  const n = index + 1;
  return dot > slash + 1 ? `${path.slice(0, dot)}.${n}${path.slice(dot)}` : `${path}.${n}`;
}

/**
 * The files a policy is written as: JSON, one file per document (`policy.json`,
 * `policy.2.json`, ...), each a document IAM takes as it is; the other formats, one file that
 * holds every document.
 */
export function renderPolicyFiles(
  documents: readonly PolicyDocument[],
  format: Format,
  path: string,
  report?: PolicyReport,
): { path: string; text: string }[] {
  if (format !== 'json' || documents.length <= 1)
    return [{ path, text: renderPolicy(documents, format, report) }];
  return documents.map((d, i) => ({ path: numberedPath(path, i), text: `${JSON.stringify(d, null, 2)}\n` }));
}
