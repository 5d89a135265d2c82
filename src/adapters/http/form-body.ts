/** The reader for `application/x-www-form-urlencoded` bodies (what aggregators post), bounded like every body we read. */
import type { Context } from 'koa';
import { readBoundedText } from './bounded-body.ts';

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
  const text = await readBoundedText(ctx, limitBytes, {
    tooLarge: () => new FormBodyError(413, 'payload_too_large', `body larger than ${limitBytes} bytes`),
    unreadable: () => new FormBodyError(400, 'invalid_request', 'body could not be read'),
  });
  // later duplicates of a field win, like most form parsers; AT never repeats a field
  return Object.fromEntries(new URLSearchParams(text));
}
