import { LeastprivError } from '../errors.js';
import type { PolicyDocument } from '../model/index.js';

export const FORMATS = ['json'] as const;
export type Format = (typeof FORMATS)[number];

export function parseFormat(value: string): Format {
  if ((FORMATS as readonly string[]).includes(value)) return value as Format;
  throw new LeastprivError('usage', `unknown format '${value}': use one of ${FORMATS.join(', ')}`);
}

/** Renders the policy documents; several documents (a split policy) become a JSON array. */
export function renderPolicy(documents: readonly PolicyDocument[], _format: Format): string {
  const value = documents.length === 1 ? documents[0] : documents;
  return `${JSON.stringify(value, null, 2)}\n`;
}
