/**
 * Reads a request body ourselves with a hard byte limit. Koa has no body parser and what we receive (aggregator forms,
 * Daraja callbacks) is small: a client that streams more than the limit is cut off instead of buffered. Each reader
 * passes the errors its routes answer with.
 */
import type { Context } from 'koa';

export async function readBoundedText(
  ctx: Context,
  limitBytes: number,
  errors: { tooLarge: () => Error; unreadable: () => Error },
): Promise<string> {
  const length = ctx.request.length;
  if (length !== undefined && length > limitBytes) {
    ctx.set('Connection', 'close');
    throw errors.tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  try {
    for await (const chunk of ctx.req) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      size += buf.length;
      if (size > limitBytes) {
        tooLarge = true;
        break;
      }
      chunks.push(buf);
    }
  } catch {
    throw errors.unreadable();
  }
  if (tooLarge) {
    // the reply is sent and the connection closed rather than draining an abusive body
    ctx.set('Connection', 'close');
    throw errors.tooLarge();
  }
  return Buffer.concat(chunks).toString('utf8');
}
