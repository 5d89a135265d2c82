/**
 * Daraja's callbacks to us. Each route reads as a checklist:
 *
 *   token (404, nothing read) → source address (403, when MPESA_ALLOWED_IPS is set) → bounded body (413/400)
 *   → raw body stored → JSON + schema (400 'malformed', nothing applied) → applied once → Daraja's expected reply
 *
 *   POST /payments/stk/callback/:token        STK push result
 *   POST /payments/b2c/result/:token          B2C result
 *   POST /payments/b2c/timeout/:token         B2C queue timeout → Transaction Status is asked (never a refund)
 *   POST /payments/status/result/:token       Transaction Status result
 *   POST /payments/status/timeout/:token      Transaction Status queue timeout (reconciliation asks again)
 *   POST /payments/c2b/validation/:token      paybill payment about to happen: accept or reject the account
 *   POST /payments/c2b/confirmation/:token    paybill payment made
 *
 * Every callback is idempotent, so a repeat is answered like the first. A failure of ours is a 500 (the raw callback
 * stays stored as 'received' and reconciliation applies it later); it is logged without the path, which holds the token.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { BlockList } from 'node:net';
import Router from '@koa/router';
import type { Context } from 'koa';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Core } from '../../core/core.ts';
import { applyB2cResult, applyB2cTimeout, applyStatusResult, B2cResultSchema, B2cTimeoutSchema, StatusResultSchema } from './b2c-callbacks.ts';
import { C2bConfirmationSchema, C2bSchema, confirmC2b, validateC2b } from './c2b.ts';
import { PAYMENT_CALLBACK_PATHS } from './callback-urls.ts';
import type { DarajaPayments } from './daraja-payments.ts';
import { DEFAULT_JSON_LIMIT_BYTES, JsonBodyError, parseJson, readRawBody } from './json-body.ts';
import { finishCallback, recordCallback, type CallbackKind } from './payments-store.ts';
import { listed, sourceIp } from './source-ip.ts';
import { applyStkResult, StkCallbackSchema, stkResultFromCallback } from './stk-callback.ts';

export interface PaymentRoutesDeps {
  core: Core;
  payments: Pick<DarajaPayments, 'askPayoutStatus' | 'track'>;
  callbackToken: string;
  /** MPESA_ALLOWED_IPS; null = any source */
  allowedIps: BlockList | null;
  /** TRUSTED_PROXIES: whose X-Forwarded-For is believed */
  trustedProxies: BlockList | null;
  logger: Logger;
  limitBytes?: number;
}

export const ACCEPTED = { ResultCode: 0, ResultDesc: 'Accepted' } as const;

const digest = (s: string) => createHash('sha256').update(s).digest();

function reply(ctx: Context, status: number, body: unknown): void {
  ctx.status = status;
  ctx.body = body;
}

export function createPaymentRouter(deps: PaymentRoutesDeps): Router {
  const { core } = deps;
  const router = new Router();
  const expected = digest(deps.callbackToken);
  // comparing digests keeps the comparison constant-time whatever the length of the guess
  const tokenOk = (ctx: Context) => timingSafeEqual(digest(String(ctx.params.token ?? '')), expected);

  /**
   * One callback route. `refOf` names what the callback is about (stored with the raw body for support and for
   * replays); `apply` applies it and returns the body Daraja expects.
   */
  const callback = <S extends z.ZodType>(
    kind: CallbackKind,
    schema: S,
    refOf: (data: z.infer<S>) => string | null,
    apply: (data: z.infer<S>, callbackId: number) => Promise<unknown>,
  ) =>
    async (ctx: Context) => {
      if (!tokenOk(ctx)) return reply(ctx, 404, { error: 'not_found', message: 'Not found' });
      const ip = sourceIp(ctx, deps.trustedProxies);
      if (deps.allowedIps && !listed(deps.allowedIps, ip)) {
        deps.logger.warn({ kind, ip }, 'payment callback from an address not on MPESA_ALLOWED_IPS');
        return reply(ctx, 403, { error: 'forbidden', message: 'Forbidden' });
      }
      let raw: string;
      try {
        raw = await readRawBody(ctx, deps.limitBytes ?? DEFAULT_JSON_LIMIT_BYTES);
      } catch (err) {
        if (!(err instanceof JsonBodyError)) throw err;
        return reply(ctx, err.status, { error: err.id, message: err.message });
      }
      let data: z.infer<S> | undefined;
      let problem: string | null = null;
      try {
        const parsed = schema.safeParse(parseJson(raw));
        if (parsed.success) data = parsed.data;
        else problem = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
      } catch (err) {
        if (!(err instanceof JsonBodyError)) throw err;
        problem = err.message;
      }
      try {
        const callbackId = await recordCallback(core.db, {
          kind,
          ref: data === undefined ? null : refOf(data),
          sourceIp: ip || null,
          body: raw,
          now: core.clock(),
        });
        if (data === undefined) {
          await finishCallback(core.db, callbackId, 'malformed', core.clock(), problem?.slice(0, 500));
          deps.logger.warn({ kind, callbackId, problem }, 'malformed payment callback');
          return reply(ctx, 400, { error: 'invalid_request', message: problem ?? 'invalid body' });
        }
        reply(ctx, 200, await apply(data, callbackId));
      } catch (err) {
        deps.logger.error({ err, kind }, 'payment callback failed');
        reply(ctx, 500, { error: 'internal_error', message: 'Something went wrong. Please try again.' });
      }
    };

  router.post(
    PAYMENT_CALLBACK_PATHS.stk,
    callback(
      'stk',
      StkCallbackSchema,
      (d) => d.Body.stkCallback.CheckoutRequestID,
      async (d, id) => {
        const result = stkResultFromCallback(d);
        const outcome = await applyStkResult(core, result, id);
        deps.logger.info({ checkoutRequestId: result.checkoutRequestId, code: result.resultCode, outcome }, 'STK callback');
        return ACCEPTED;
      },
    ),
  );

  router.post(
    PAYMENT_CALLBACK_PATHS.b2cResult,
    callback(
      'b2c_result',
      B2cResultSchema,
      (d) => d.Result.OriginatorConversationID ?? d.Result.ConversationID ?? null,
      async (d, id) => {
        const outcome = await applyB2cResult(core, d, id);
        deps.logger.info({ originatorConversationId: d.Result.OriginatorConversationID, code: String(d.Result.ResultCode), outcome }, 'B2C result');
        return ACCEPTED;
      },
    ),
  );

  router.post(
    PAYMENT_CALLBACK_PATHS.b2cTimeout,
    callback(
      'b2c_timeout',
      B2cTimeoutSchema,
      (d) => d.Result.OriginatorConversationID ?? d.Result.ConversationID ?? null,
      async (d, id) => {
        const { outcome, payoutId } = await applyB2cTimeout(core, d, id);
        deps.logger.warn({ originatorConversationId: d.Result.OriginatorConversationID, outcome }, 'B2C queue timeout: asking Transaction Status');
        // asked after answering: Daraja's callback need not wait for our request to Daraja
        if (payoutId !== null) deps.payments.track(deps.payments.askPayoutStatus(payoutId));
        return ACCEPTED;
      },
    ),
  );

  router.post(
    PAYMENT_CALLBACK_PATHS.statusResult,
    callback(
      'status_result',
      StatusResultSchema,
      (d) => d.Result.ConversationID ?? d.Result.OriginatorConversationID ?? null,
      async (d, id) => {
        const outcome = await applyStatusResult(core, d, id);
        deps.logger.info({ conversationId: d.Result.ConversationID, code: String(d.Result.ResultCode), outcome }, 'Transaction Status result');
        return ACCEPTED;
      },
    ),
  );

  router.post(
    PAYMENT_CALLBACK_PATHS.statusTimeout,
    callback(
      'status_timeout',
      z.object({}).loose(),
      () => null,
      async (_d, id) => {
        await finishCallback(core.db, id, 'ignored', core.clock(), 'reconciliation asks again');
        return ACCEPTED;
      },
    ),
  );

  router.post(
    PAYMENT_CALLBACK_PATHS.c2bValidation,
    callback('c2b_validation', C2bSchema, (d) => d.TransID, (d, id) => validateC2b(core, d, id)),
  );

  router.post(
    PAYMENT_CALLBACK_PATHS.c2bConfirmation,
    callback(
      'c2b_confirmation',
      C2bConfirmationSchema,
      (d) => d.TransID,
      async (d, id) => {
        const outcome = await confirmC2b(core, d, id);
        deps.logger.info({ transId: d.TransID, outcome }, 'C2B confirmation');
        return { ResultCode: 0, ResultDesc: 'Success' };
      },
    ),
  );

  return router;
}
