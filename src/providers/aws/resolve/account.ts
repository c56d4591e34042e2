/** The account a session runs in, learned from an sts GetCallerIdentity answer. */
import type { ObservedCall, Resolution } from '../../../model/index.js';
import { decodeCbor } from './cbor.js';

const XML_ACCOUNT = /<Account>\s*(\d{12})\s*<\/Account>/;
const JSON_ACCOUNT = /"Account"\s*:\s*"(\d{12})"/;

/**
 * The account id in a successful sts GetCallerIdentity response (XML, JSON or CBOR), or null
 * for any other call.
 */
export function learnAccount(call: ObservedCall, resolution: Resolution): string | null {
  if (resolution.kind !== 'resolved') return null;
  const op = resolution.operation;
  if (op.service !== 'sts' || op.operation !== 'GetCallerIdentity') return null;
  const response = call.response;
  if (!response || response.status < 200 || response.status >= 300) return null;
  const body = response.body;
  if ((response.headers['content-type'] ?? '').includes('cbor')) {
    try {
      const v = decodeCbor(body) as Record<string, unknown> | null;
      const account = v && typeof v === 'object' ? v.Account : undefined;
      return typeof account === 'string' && /^\d{12}$/.test(account) ? account : null;
    } catch {
      return null;
    }
  }
  const text = Buffer.from(body).toString('utf8');
  return (XML_ACCOUNT.exec(text) ?? JSON_ACCOUNT.exec(text))?.[1] ?? null;
}
