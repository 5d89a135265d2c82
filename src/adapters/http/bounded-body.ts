/**
 * Reads a request body ourselves with a hard byte limit. Koa has no body parser and what we receive (aggregator forms,
 * Daraja callbacks) is small: a client that streams more than the limit is cut off instead of buffered. Each reader
 * passes the errors its routes answer with. The reader works on the bare node:http request, because the USSD hop is
 * answered before Koa (at-hop-listener.ts); Koa routes use the wrapper below.
 */
import type { IncomingMessage } from 'node:http';
import type { Context } from 'koa';

export interface BodyErrors {
  tooLarge: () => Error;
  unreadable: () => Error;
}

/** Content-Length as a number, undefined when absent or not a number (Koa's `request.length`). */
export function declaredLength(req: IncomingMessage): number | undefined {
  const header = req.headers['content-length'];
  if (header === undefined || header === '') return undefined;
  const parsed = Number.parseInt(header, 10);
  return Number.isNaN(parsed) ? undefined : parsed;
}

/**
 * The body as UTF-8 text, at most `limitBytes`. Past the limit the request is paused, not drained: whoever answers the
 * 413 must close the connection. A client that goes away mid-body rejects with `unreadable`.
 */
export function readBoundedBody(req: IncomingMessage, limitBytes: number, errors: BodyErrors): Promise<string> {
  const length = declaredLength(req);
  if (length !== undefined && length > limitBytes) return Promise.reject(errors.tooLarge());
  // listeners rather than `for await`, whose early exit destroys the request: past the limit we only pause, and every
  // way out (end, limit, abort) takes the listeners off again
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (outcome: () => void) => {
      req.off('data', onData).off('end', onEnd).off('error', onFailure).off('close', onFailure);
      outcome();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limitBytes) {
        chunks.push(chunk);
        return;
      }
      req.pause();
      settle(() => reject(errors.tooLarge()));
    };
    const onEnd = () => settle(() => resolve(Buffer.concat(chunks, size).toString('utf8')));
    // an aborted request emits 'error' (only while someone listens) and 'close' without 'end'
    const onFailure = () => settle(() => reject(errors.unreadable()));
    req.on('data', onData).on('end', onEnd).on('error', onFailure).on('close', onFailure);
  });
}

/** `readBoundedBody` for a Koa route: a body over the limit also closes the connection once the 413 is sent. */
export function readBoundedText(ctx: Context, limitBytes: number, errors: BodyErrors): Promise<string> {
  return readBoundedBody(ctx.req, limitBytes, {
    tooLarge: () => {
      ctx.set('Connection', 'close');
      return errors.tooLarge();
    },
    unreadable: errors.unreadable,
  });
}
