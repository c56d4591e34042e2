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
 * Renders the policy documents. JSON: one document, or an array for a split policy. Markdown
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
      const value = documents.length === 1 ? documents[0] : documents;
      return `${JSON.stringify(value, null, 2)}\n`;
    }
  }
}
