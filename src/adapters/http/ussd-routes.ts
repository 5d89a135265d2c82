/**
 * Africa's Talking USSD callbacks on the Koa app. The hop itself, `POST /ussd/africastalking`, is answered before Koa
 * (at-hop-listener.ts); what is left here is cold.
 *
 *   POST /ussd/africastalking/events  session-end notification → stored in ussd_session_ends → 200; the instance
 *                                      lets go of what it keeps of that session (`sessionEnded`)
 *
 * A malformed notification gets a 400 JSON `{ error, message }` naming the field.
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import type { Logger } from 'pino';
import type { Clock } from '../../core/clock.ts';
import type { Queryable } from '../../core/db.ts';
import { parseAtSessionEnd, type AtSessionEnd } from '../telco/africastalking-ussd.ts';
import { FormBodyError, readForm } from './form-body.ts';

export interface UssdRoutesDeps {
  db: Queryable;
  clock: Clock;
  logger: Logger;
  /**
   * told the id of every session AT reports as ended. Sessions that stop at a CON screen (the player read their
   * balance and hung up) are the common case, and only this notification says they are over.
   */
  sessionEnded?: (sessionId: string) => void;
}

export const AT_EVENTS_PATH = '/ussd/africastalking/events';

function badRequest(ctx: Context, status: number, error: string, message: string): void {
  ctx.status = status;
  ctx.body = { error, message };
}

async function formOrReject(ctx: Context): Promise<Record<string, string> | null> {
  try {
    return await readForm(ctx);
  } catch (err) {
    if (!(err instanceof FormBodyError)) throw err;
    badRequest(ctx, err.status, err.id, err.message);
    return null;
  }
}

/** stores a session-end notification once; AT's repeats of it are ignored */
export async function insertSessionEnd(q: Queryable, end: AtSessionEnd, receivedAt: Date): Promise<void> {
  await q.query(
    `INSERT INTO ussd_session_ends (session_id, phone, service_code, network, status, cost, duration_ms, hops_count,
                                    input, last_app_response, error_message, reported_date, received_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
     ON CONFLICT (session_id) DO NOTHING`,
    [
      end.sessionId,
      end.phoneNumber,
      end.serviceCode ?? null,
      end.networkCode ?? null,
      end.status,
      end.cost ?? null,
      end.durationInMillis === undefined ? null : Math.round(end.durationInMillis),
      end.hopsCount ?? null,
      end.input ?? null,
      end.lastAppResponse ?? null,
      end.errorMessage ?? null,
      end.date ?? null,
      receivedAt,
    ],
  );
}

export function createUssdRouter(deps: UssdRoutesDeps): Router {
  const router = new Router();

  router.post(AT_EVENTS_PATH, async (ctx) => {
    const form = await formOrReject(ctx);
    if (form === null) return;
    const parsed = parseAtSessionEnd(form);
    if (!parsed.ok) {
      deps.logger.warn({ reason: parsed.reason }, 'malformed ussd session-end notification rejected');
      badRequest(ctx, 400, 'invalid_request', parsed.reason);
      return;
    }
    // a database failure falls through to the app's 500: AT re-posts until it gets a 200, so nothing is lost
    await insertSessionEnd(deps.db, parsed.sessionEnd, deps.clock());
    deps.sessionEnded?.(parsed.sessionEnd.sessionId);
    ctx.status = 200;
    ctx.type = 'text/plain';
    ctx.body = 'OK';
  });

  return router;
}
