/**
 * A multipart/form-data parser (RFC 7578) for what Discord clients send: `payload_json` plus `files[n]` parts.
 * Binary-safe: parts are located by the boundary bytes, never by decoding the body as text.
 */

export interface MultipartPart {
  /** The `name` of the Content-Disposition, e.g. `payload_json` or `files[0]`. */
  name: string;
  /** The `filename`, when the part is a file. */
  filename: string | null;
  contentType: string | null;
  data: Buffer;
}

export type MultipartError = 'no-boundary' | 'no-first-boundary' | 'unterminated' | 'bad-part-headers' | 'no-name';

export type MultipartResult = { ok: true; value: MultipartPart[] } | { ok: false; error: MultipartError };

/** Reads the boundary parameter of a `multipart/form-data; boundary=...` content type. */
export function multipartBoundary(contentType: string | undefined): string | null {
  if (contentType?.toLowerCase().startsWith('multipart/form-data') !== true) return null;
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2] ?? null;
}

export function parseMultipart(body: Buffer, contentType: string | undefined): MultipartResult {
  const boundary = multipartBoundary(contentType);
  if (boundary === null) return { ok: false, error: 'no-boundary' };
  const delimiter = Buffer.from(`--${boundary}`);
  const separator = Buffer.from(`\r\n--${boundary}`);

  // The first delimiter may follow a preamble; it is at the very start or after a CRLF.
  let position: number;
  if (body.subarray(0, delimiter.length).equals(delimiter)) {
    position = delimiter.length;
  } else {
    const found = body.indexOf(separator);
    if (found < 0) return { ok: false, error: 'no-first-boundary' };
    position = found + separator.length;
  }

  const parts: MultipartPart[] = [];
  for (;;) {
    // After a delimiter: `--` closes the body; otherwise optional whitespace then CRLF opens a part.
    if (body.subarray(position, position + 2).toString('latin1') === '--') return { ok: true, value: parts };
    const lineEnd = body.indexOf('\r\n', position);
    if (lineEnd < 0) return { ok: false, error: 'unterminated' };
    const headerEnd = body.indexOf('\r\n\r\n', lineEnd);
    // A part with no headers has its blank line right after the delimiter line.
    const headersStart = lineEnd + 2;
    const noHeaders = body.subarray(headersStart, headersStart + 2).toString('latin1') === '\r\n';
    const contentStart = noHeaders ? headersStart + 2 : headerEnd + 4;
    if (!noHeaders && headerEnd < 0) return { ok: false, error: 'unterminated' };
    const headers = noHeaders ? '' : body.subarray(headersStart, headerEnd).toString('utf8');
    const contentEnd = body.indexOf(separator, contentStart);
    if (contentEnd < 0) return { ok: false, error: 'unterminated' };

    const part = readPartHeaders(headers);
    if (!part.ok) return part;
    parts.push({ ...part.value, data: Buffer.from(body.subarray(contentStart, contentEnd)) });
    position = contentEnd + separator.length;
  }
}

type PartHeaders = Omit<MultipartPart, 'data'>;

function readPartHeaders(text: string): { ok: true; value: PartHeaders } | { ok: false; error: MultipartError } {
  let disposition: string | null = null;
  let contentType: string | null = null;
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) return { ok: false, error: 'bad-part-headers' };
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-disposition') disposition = value;
    else if (name === 'content-type') contentType = value;
  }
  if (disposition === null) return { ok: false, error: 'no-name' };
  const params = dispositionParams(disposition);
  const name = params.get('name');
  if (name === undefined) return { ok: false, error: 'no-name' };
  const extended = params.get('filename*');
  const filename = extended !== undefined ? decodeExtended(extended) : (params.get('filename') ?? null);
  return { ok: true, value: { name, filename, contentType } };
}

/** `form-data; name="files[0]"; filename="a \"b\".ogg"` → Map { name → files[0], filename → a "b".ogg }. */
function dispositionParams(value: string): Map<string, string> {
  const params = new Map<string, string>();
  const pattern = /;\s*([^=;\s]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  for (const match of value.matchAll(pattern)) {
    const key = match[1]?.toLowerCase();
    if (key === undefined) continue;
    const quoted = match[2];
    const raw = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : (match[3] ?? '').trim();
    // The HTML form encoding (which undici follows) escapes these three characters in names and file names.
    params.set(key, raw.replace(/%22/g, '"').replace(/%0D/gi, '\r').replace(/%0A/gi, '\n'));
  }
  return params;
}

/** RFC 5987 `UTF-8''na%C3%AFve.ogg`. */
function decodeExtended(value: string): string {
  const match = /^([^']*)'[^']*'(.*)$/.exec(value);
  if (!match) return value;
  try {
    return decodeURIComponent(match[2] ?? '');
  } catch {
    return match[2] ?? '';
  }
}
