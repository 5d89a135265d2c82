/**
 * The Africa's Talking hop, `POST /ussd/africastalking`, answered straight from node:http in front of Koa; every other
 * request goes on to the Koa app. The hop is the gateway's one hot path, and Koa's context, middleware and router
 * matching were most of what its HTTP handling cost above a bare node:http server; the hop needs none of them.
 *
 *   POST /ussd/africastalking[/][?…]   one hop → 200 text/plain "CON …" / "END …"
 *   any other method on that path       405 JSON, Allow: POST
 *
 * A malformed callback gets a 400 JSON `{ error, message }` naming the field (AT ends the session on a 4xx; only a
 * request that is not a real AT hop can be malformed), a wrong content type 415, a body over the limit 413. Everything
 * past validation answers 200: `handleHop` turns failures into a polite END screen itself, and the guard below covers a
 * bug in it, because a 500 would show the player the aggregator's generic error instead of ours.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { BUSY_REPLY } from '../../sessions/hop.ts';
import { formatAtReply, parseAtHop } from '../telco/africastalking-ussd.ts';
import type { UssdReply, UssdRequest } from '../telco/ussd.ts';
import { FormBodyError, readRequestForm } from './form-body.ts';

const AT_HOP_PATH = '/ussd/africastalking';

export interface AtHopDeps {
  /** runs one hop; never throws in practice (see handleHop) */
  handleHop(req: UssdRequest): Promise<UssdReply>;
  logger: Logger;
}

/**
 * The path is matched exactly, case and all; a query string is ignored and a trailing slash allowed, since the
 * callback URL is pasted into AT's dashboard by hand and both reached the hop when it was a Koa route.
 */
function isHopUrl(url: string): boolean {
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  return path === AT_HOP_PATH || path === `${AT_HOP_PATH}/`;
}

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function sendError(res: ServerResponse, status: number, error: string, message: string, headers?: Record<string, string>): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify({ error, message }), headers);
}

async function answerHop(deps: AtHopDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let sessionId: string | undefined;
  try {
    const parsed = parseAtHop(await readRequestForm(req));
    if (!parsed.ok) {
      deps.logger.warn({ reason: parsed.reason }, 'malformed ussd hop rejected');
      sendError(res, 400, 'invalid_request', parsed.reason);
      return;
    }
    sessionId = parsed.request.sessionId;
    send(res, 200, 'text/plain; charset=utf-8', formatAtReply(await deps.handleHop(parsed.request)));
  } catch (err) {
    if (err instanceof FormBodyError) {
      // a body over the limit is left unread: closing the connection is cheaper than draining it
      sendError(res, err.status, err.id, err.message, err.status === 413 ? { connection: 'close' } : undefined);
      return;
    }
    deps.logger.error({ err, sessionId }, 'ussd hop handler threw');
    send(res, 200, 'text/plain; charset=utf-8', formatAtReply(BUSY_REPLY));
  }
}

/** The server's request listener: the hop here, everything else to `next` (the Koa app's `callback()`). */
export function createAtHopListener(deps: AtHopDeps, next: RequestListener): RequestListener {
  return (req, res) => {
    if (!isHopUrl(req.url ?? '')) {
      next(req, res);
    } else if (req.method !== 'POST') {
      sendError(res, 405, 'method_not_allowed', `${AT_HOP_PATH} accepts POST only`, { allow: 'POST' });
    } else {
      void answerHop(deps, req, res);
    }
  };
}
