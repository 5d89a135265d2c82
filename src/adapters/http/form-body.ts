/** The reader for `application/x-www-form-urlencoded` bodies (what aggregators post), bounded like every body we read. */
import type { IncomingMessage } from 'node:http';
import type { Context } from 'koa';
import { declaredLength, readBoundedBody, readBoundedText, type BodyErrors } from './bounded-body.ts';

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

/** The media type as Koa's `request.type` gives it: the header up to ';', neither trimmed nor lower-cased. */
function mediaType(req: IncomingMessage): string {
  const header = req.headers['content-type'];
  return header ? header.split(';')[0]! : '';
}

function assertFormType(req: IncomingMessage): void {
  // an empty body with no content type is just an empty form (the schema will say what is missing)
  const type = mediaType(req);
  if (type !== 'application/x-www-form-urlencoded' && !(type === '' && !declaredLength(req))) {
    throw new FormBodyError(415, 'unsupported_media_type', 'expected application/x-www-form-urlencoded');
  }
}

const formErrors = (limitBytes: number): BodyErrors => ({
  tooLarge: () => new FormBodyError(413, 'payload_too_large', `body larger than ${limitBytes} bytes`),
  unreadable: () => new FormBodyError(400, 'invalid_request', 'body could not be read'),
});

// later duplicates of a field win, like most form parsers; AT never repeats a field
const decodeForm = (text: string): Record<string, string> => Object.fromEntries(new URLSearchParams(text));

/**
 * Reads and decodes the form of a bare node:http request; throws FormBodyError for a wrong content type, a body over
 * the limit (the caller closes the connection with its 413) or a bad stream.
 */
export async function readRequestForm(req: IncomingMessage, limitBytes = DEFAULT_FORM_LIMIT_BYTES): Promise<Record<string, string>> {
  assertFormType(req);
  return decodeForm(await readBoundedBody(req, limitBytes, formErrors(limitBytes)));
}

/** `readRequestForm` for a Koa route. */
export async function readForm(ctx: Context, limitBytes = DEFAULT_FORM_LIMIT_BYTES): Promise<Record<string, string>> {
  assertFormType(ctx.req);
  return decodeForm(await readBoundedText(ctx, limitBytes, formErrors(limitBytes)));
}
