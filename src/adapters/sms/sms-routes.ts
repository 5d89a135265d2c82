/**
 * Africa's Talking SMS callbacks. AT signs nothing, so each URL carries a secret path segment (CALLBACK_TOKEN):
 *
 *   POST /sms/africastalking/inbound/:token    an incoming message  → handled, then 200 "OK"
 *   POST /sms/africastalking/delivery/:token   a delivery report    → applied, then 200 "OK"
 *
 * A wrong token is a 404 before the body is read: nothing changes and the URL reveals nothing. AT re-posts every
 * callback until it gets a 200, so both handlers are idempotent. A malformed form is a 400 naming the field. A failure
 * of ours is a 500 (AT posts again later); it is logged here without the path, which holds the token.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import Router from '@koa/router';
import type { Context } from 'koa';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { FormBodyError, readForm } from '../http/form-body.ts';
import { AtDeliveryReportSchema, type AtDeliveryReport, type DeliveryOutcome } from './delivery-reports.ts';
import { AtInboundSmsSchema, type InboundOutcome, type InboundSms } from './sms-inbound.ts';

export const SMS_INBOUND_PATH = '/sms/africastalking/inbound/:token';
export const SMS_DELIVERY_PATH = '/sms/africastalking/delivery/:token';

export interface SmsRoutesDeps {
  callbackToken: string;
  handleInbound(sms: InboundSms): Promise<InboundOutcome>;
  applyDeliveryReport(report: AtDeliveryReport): Promise<DeliveryOutcome>;
  logger: Logger;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

function reply(ctx: Context, status: number, body: string | { error: string; message: string }): void {
  ctx.status = status;
  if (typeof body === 'string') ctx.type = 'text/plain';
  ctx.body = body;
}

/** reads and validates the form, or answers 4xx and returns null */
async function validForm<S extends z.ZodType>(ctx: Context, schema: S): Promise<z.infer<S> | null> {
  let form: Record<string, string>;
  try {
    form = await readForm(ctx);
  } catch (err) {
    if (!(err instanceof FormBodyError)) throw err;
    reply(ctx, err.status, { error: err.id, message: err.message });
    return null;
  }
  const parsed = schema.safeParse(form);
  if (!parsed.success) {
    const message = parsed.error.issues.map((i) => `${i.path.join('.') || 'form'}: ${i.message}`).join('; ');
    reply(ctx, 400, { error: 'invalid_request', message });
    return null;
  }
  return parsed.data;
}

export function createSmsRouter(deps: SmsRoutesDeps): Router {
  const expected = digest(deps.callbackToken);
  const router = new Router();

  // comparing digests keeps the comparison constant-time whatever the length of the guess
  const tokenOk = (ctx: Context) => timingSafeEqual(digest(String(ctx.params.token ?? '')), expected);

  const guarded = (what: string, handler: (ctx: Context) => Promise<void>) => async (ctx: Context) => {
    if (!tokenOk(ctx)) {
      reply(ctx, 404, { error: 'not_found', message: 'Not found' });
      return;
    }
    try {
      await handler(ctx);
    } catch (err) {
      deps.logger.error({ err }, `sms ${what} callback failed`);
      reply(ctx, 500, { error: 'internal_error', message: 'Something went wrong. Please try again.' });
    }
  };

  router.post(
    SMS_INBOUND_PATH,
    guarded('inbound', async (ctx) => {
      const sms = await validForm(ctx, AtInboundSmsSchema);
      if (sms === null) return;
      const outcome = await deps.handleInbound(sms);
      deps.logger.debug({ smsId: sms.id, outcome }, 'inbound sms handled');
      reply(ctx, 200, 'OK');
    }),
  );

  router.post(
    SMS_DELIVERY_PATH,
    guarded('delivery', async (ctx) => {
      const report = await validForm(ctx, AtDeliveryReportSchema);
      if (report === null) return;
      const outcome = await deps.applyDeliveryReport(report);
      if (outcome === 'unknown_message') deps.logger.warn({ messageId: report.id, status: report.status }, 'delivery report for an unknown message');
      reply(ctx, 200, 'OK');
    }),
  );

  return router;
}
