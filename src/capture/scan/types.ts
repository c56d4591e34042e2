/**
 * Code scanning: what one call site in application code is, before it is authorized. A call
 * site names its operation (found from the client's type, never from the method name alone) and
 * the parameters the code passes, folded to constants where the code makes them constant.
 */
import type { UnresolvedReason } from '../../model/index.js';

/**
 * Stands for a part of a value the code does not make constant (a function argument, an unset
 * environment variable): `UNKNOWN`, the number of its note in `CallSite.unknowns`, `x`. Plain
 * lower-case letters and digits, so it survives ARN building and IAM escaping unchanged;
 * `wildcardUnknowns` turns it into `*` in the ARNs that come back.
 */
export const UNKNOWN = 'lpscan0unknown';
/** Every placeholder in a string; group 1 is the note's number. */
export const UNKNOWN_PATTERN = /lpscan0unknown(\d+)x/g;

export type Language = 'javascript' | 'python' | 'go';

export interface CallSite {
  /** The file as given on the command line (relative to the working folder), `/`-separated. */
  file: string;
  /** 1-based line of the call. */
  line: number;
  language: Language;
  /** How the code makes the call: `v3-command`, `v3-aggregated`, `lib-dynamodb`, `boto3-client`, `go-client`... */
  shape: string;
  /** A helper that expands to several operations (`Upload`, `upload_file`, a waiter), when one does. */
  helper?: string;
  service: string | null;
  operation: string | null;
  /** The region the code gives its client, or null when it gives none. */
  region: string | null;
  /** Parameters by model member name; unknown parts of strings are `UNKNOWN`. */
  params: Record<string, unknown>;
  /** What is not constant, one line each: `Key: ${id} (not a constant)`. */
  unknowns: string[];
  /** Why the call site could not be resolved; null when it was. */
  unresolved: { reason: UnresolvedReason; detail: string; candidates?: string[] } | null;
}

export interface ScanResult {
  calls: CallSite[];
  /** Files read, in order. */
  files: string[];
  /** Files that could not be read or parsed, with why. */
  problems: { file: string; problem: string }[];
}
