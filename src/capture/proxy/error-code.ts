import { gunzipSync, inflateSync } from 'node:zlib';

/**
 * The error code of a failed response: AWS's `x-amzn-ErrorType`, a JSON `__type` or `code`, an
 * XML `<Code>`; Google Cloud's JSON `error.status`; null when the response carries none.
 */
export function errorCodeOf(
  status: number,
  headers: Record<string, string>,
  body: Uint8Array,
): string | null {
  if (status < 300) return null;
  const fromHeader = headers['x-amzn-errortype'] ?? headers['x-amzn-query-error'];
  if (fromHeader) return clean(fromHeader.split(':')[0] ?? fromHeader);
  const text = decode(headers['content-encoding'], body);
  if (text === null) return null;
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) {
    try {
      const parsed = JSON.parse(trimmed) as Record<string, unknown>;
      // Google Cloud: {"error": {"code": 403, "status": "PERMISSION_DENIED", "message": ...}}.
      const google = parsed.error as { status?: unknown } | undefined;
      if (google && typeof google === 'object' && typeof google.status === 'string') return google.status;
      const code = parsed.__type ?? parsed.code ?? parsed.Code;
      return typeof code === 'string' ? clean(code) : null;
    } catch {
      return null;
    }
  }
  const m = /<Code>\s*([^<\s]+)\s*<\/Code>/.exec(trimmed);
  return m?.[1] ? clean(m[1]) : null;
}

/** `com.amazonaws.dynamodb.v20120810#ResourceNotFoundException` → `ResourceNotFoundException`. */
function clean(code: string): string {
  const hash = code.lastIndexOf('#');
  return (hash === -1 ? code : code.slice(hash + 1)).trim();
}

function decode(encoding: string | undefined, body: Uint8Array): string | null {
  try {
    if (encoding === 'gzip') return gunzipSync(body).toString('utf8');
    if (encoding === 'deflate') return inflateSync(body).toString('utf8');
    return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  } catch {
    return null;
  }
}
