/**
 * The JSON body reader for Daraja callbacks, bounded like every body we read. The raw text is kept apart from the
 * parsed value, because every callback is stored as received before it is applied (or refused as malformed).
 */
import type { Context } from 'koa';
import { readBoundedText } from '../http/bounded-body.ts';

export const DEFAULT_JSON_LIMIT_BYTES = 64 * 1024;

export class JsonBodyError extends Error {
  constructor(
    readonly status: 400 | 413,
    readonly id: 'payload_too_large' | 'invalid_json' | 'invalid_request',
    message: string,
    /** what was read before the error, when there was any */
    readonly raw: string | null = null,
  ) {
    super(message);
  }
}

/** reads the body as UTF-8 text, at most `limitBytes` */
export async function readRawBody(ctx: Context, limitBytes = DEFAULT_JSON_LIMIT_BYTES): Promise<string> {
  return readBoundedText(ctx, limitBytes, {
    tooLarge: () => new JsonBodyError(413, 'payload_too_large', `body larger than ${limitBytes} bytes`),
    unreadable: () => new JsonBodyError(400, 'invalid_request', 'body could not be read'),
  });
}

/**
 * Parses text as JSON. The content type is not insisted on: Daraja sends application/json, but a proxy or a
 * charset suffix must not turn a good callback away — the schema after this decides what is acceptable.
 */
export function parseJson(raw: string): unknown {
  if (raw.trim() === '') throw new JsonBodyError(400, 'invalid_json', 'empty body', raw);
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new JsonBodyError(400, 'invalid_json', 'body is not JSON', raw);
  }
}
