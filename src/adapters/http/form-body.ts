/**
 * A tiny bounded reader for `application/x-www-form-urlencoded` bodies (what aggregators post). Koa has no body
 * parser and the callbacks are small: reading the stream ourselves with a hard byte limit is less code than a
 * dependency, and a client that streams more than the limit is cut off instead of buffered.
 */
import type { Context } from 'koa';

export const DEFAULT_FORM_LIMIT_BYTES = 8 * 1024;

export class FormBodyError extends Error {
  constructor(
    readonly status: 413 | 415 | 400,
    readonly id: 'payload_too_large' | 'unsupported_media_type' | 'invalid_request',
    message: string,
  ) {
    super(message);
  }
}

/** Reads and decodes the form; throws FormBodyError for a wrong content type, a body over the limit or a bad stream. */
export async function readForm(ctx: Context, limitBytes = DEFAULT_FORM_LIMIT_BYTES): Promise<Record<string, string>> {
  // an empty body with no content type is just an empty form (the schema will say what is missing)
  const length = ctx.request.length;
  if (ctx.request.type !== 'application/x-www-form-urlencoded' && !(ctx.request.type === '' && !length)) {
    throw new FormBodyError(415, 'unsupported_media_type', 'expected application/x-www-form-urlencoded');
  }
  if (length !== undefined && length > limitBytes) {
    throw new FormBodyError(413, 'payload_too_large', `body larger than ${limitBytes} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of ctx.req) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      size += buf.length;
      if (size > limitBytes) {
        // stop reading; the reply is sent and the connection closed rather than draining an abusive body
        ctx.set('Connection', 'close');
        throw new FormBodyError(413, 'payload_too_large', `body larger than ${limitBytes} bytes`);
      }
      chunks.push(buf);
    }
  } catch (err) {
    if (err instanceof FormBodyError) throw err;
    throw new FormBodyError(400, 'invalid_request', 'body could not be read');
  }
  // later duplicates of a field win, like most form parsers; AT never repeats a field
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
}
