/**
 * A fake Daraja, mounted on our own Koa app under /simulator/daraja, for development and demos without Safaricom.
 * The real Daraja client talks to it over HTTP exactly as it talks to Safaricom (OAuth, STK push and query, B2C,
 * Transaction Status), and after SIMULATOR_DELAY_MS it POSTs a realistic callback over HTTP to the CallBackURL /
 * ResultURL / QueueTimeOutURL it was given — our own callback routes — so the whole real path runs.
 *
 * Outcomes follow a rule a person can use from a phone: the last two digits of the whole-shilling amount.
 *
 *   Deposits (STK push, the amount typed):
 *     …32 → 1032 cancelled by the user        (KES 32, 132, 1,032 …)
 *     …01 → 1    not enough money in M-Pesa   (KES 101, 201 …)
 *     …21 → 2001 wrong PIN                    (KES 21, 121 …)
 *     …37 → 1037 phone unreachable            (KES 37, 137 …)
 *     …99 → paid, but the callback is lost: reconciliation's STK query finds it paid (after RECONCILE_AFTER_SECONDS)
 *     anything else → paid, receipt SIM…
 *   Withdrawals (B2C, the amount the phone receives — after 5% withholding tax, in whole shillings):
 *     …32 → 2040 failed (recipient not registered): the withdrawal returns to the wallet   (withdraw KES 560 → 532)
 *     …37 → queue timeout; Transaction Status then reports it Completed (paid)            (withdraw KES 460 → 437)
 *     …99 → paid, result lost; reconciliation's Transaction Status finds it paid          (withdraw KES 420 → 399)
 *     anything else → paid
 *
 * Also: POST /simulator/daraja/c2b/pay {"account": "0712345678", "amount": 100} plays a paybill payment (validation,
 * then confirmation) against our C2B routes.
 *
 * State lives in memory: a restart forgets pending pushes (their deposits end unresolved, as with a real outage).
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import Router from '@koa/router';
import type { Context } from 'koa';
import type { Logger } from 'pino';
import { z } from 'zod';
import { stkPassword } from './daraja-client.ts';
import { JsonBodyError, parseJson, readRawBody } from './json-body.ts';

export const SIMULATOR_PREFIX = '/simulator/daraja';

export interface DarajaSimulatorOptions {
  logger: Logger;
  delayMs: number;
  /** when set, the STK Password is checked against it (as Daraja does) */
  shortcode?: string;
  passkey?: string;
  /** our C2B routes, for simulated paybill payments */
  c2bUrls?: () => { validation: string; confirmation: string };
  fetch?: typeof fetch;
}

export interface DarajaSimulator {
  router: Router;
  /** resolves when no simulated callback is scheduled or being posted (tests) */
  idle(): Promise<void>;
  close(): Promise<void>;
}

interface Push {
  merchantRequestId: string;
  checkoutRequestId: string;
  amount: number;
  phone: string;
  callbackUrl: string;
  resultCode: number;
  resultDesc: string;
  receipt: string | null;
  /** the simulated customer has answered (or the prompt expired) */
  done: boolean;
}

interface Payout {
  originatorConversationId: string;
  conversationId: string;
  amount: number;
  phone: string;
  resultCode: number;
  resultDesc: string;
  receipt: string | null;
  done: boolean;
}

const RECEIPT_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
function receipt(): string {
  let out = 'SIM';
  for (let i = 0; i < 7; i++) out += RECEIPT_ALPHABET[randomInt(RECEIPT_ALPHABET.length)];
  return out;
}

function darajaId(prefix: string): string {
  return `${prefix}${randomBytes(8).toString('hex')}`;
}

type StkRule = { code: number; desc: string; lost?: boolean };
export function simulatedStkOutcome(shillings: number): StkRule {
  switch (Math.floor(shillings) % 100) {
    case 32:
      return { code: 1032, desc: 'Request cancelled by user' };
    case 1:
      return { code: 1, desc: 'The balance is insufficient for the transaction.' };
    case 21:
      return { code: 2001, desc: 'The initiator information is invalid.' };
    case 37:
      return { code: 1037, desc: 'DS timeout user cannot be reached' };
    case 99:
      return { code: 0, desc: 'The service request is processed successfully.', lost: true };
    default:
      return { code: 0, desc: 'The service request is processed successfully.' };
  }
}

type B2cRule = { code: number; desc: string; timeout?: boolean; lost?: boolean };
export function simulatedB2cOutcome(shillings: number): B2cRule {
  switch (Math.floor(shillings) % 100) {
    case 32:
      return { code: 2040, desc: "Credit Party customer type (Unregistered or Registered Customer) can't be supported by the service." };
    case 37:
      return { code: 0, desc: 'The service request is processed successfully.', timeout: true };
    case 99:
      return { code: 0, desc: 'The service request is processed successfully.', lost: true };
    default:
      return { code: 0, desc: 'The service request is processed successfully.' };
  }
}

const msisdn = z.union([z.string(), z.number()]).transform(String).pipe(z.string().regex(/^254(7|1)\d{8}$/));
const url = z.string().url();

const StkPushBody = z.object({
  BusinessShortCode: z.union([z.string(), z.number()]).transform(String),
  Password: z.string().min(1),
  Timestamp: z.string().regex(/^\d{14}$/),
  TransactionType: z.enum(['CustomerPayBillOnline', 'CustomerBuyGoodsOnline']),
  Amount: z.number().int().min(1).max(250_000),
  PartyA: msisdn,
  PartyB: z.union([z.string(), z.number()]),
  PhoneNumber: msisdn,
  CallBackURL: url,
  AccountReference: z.string().max(12),
  TransactionDesc: z.string().max(13),
});
const StkQueryBody = z.object({ BusinessShortCode: z.unknown(), Password: z.string(), Timestamp: z.string(), CheckoutRequestID: z.string().min(1) });
const B2cBody = z.object({
  OriginatorConversationID: z.string().min(1).max(100),
  InitiatorName: z.string().min(1),
  SecurityCredential: z.string().min(1),
  CommandID: z.enum(['BusinessPayment', 'SalaryPayment', 'PromotionPayment']),
  Amount: z.number().int().min(10).max(250_000),
  PartyA: z.union([z.string(), z.number()]),
  PartyB: msisdn,
  Remarks: z.string().min(2).max(100),
  QueueTimeOutURL: url,
  ResultURL: url,
  Occassion: z.string().max(100).optional(),
});
const StatusBody = z.object({
  Initiator: z.string().min(1),
  SecurityCredential: z.string().min(1),
  CommandID: z.literal('TransactionStatusQuery'),
  TransactionID: z.string().optional(),
  OriginalConversationID: z.string().optional(),
  PartyA: z.union([z.string(), z.number()]),
  IdentifierType: z.union([z.string(), z.number()]),
  ResultURL: url,
  QueueTimeOutURL: url,
  Remarks: z.string().optional(),
  Occasion: z.string().optional(),
});
const C2bPayBody = z.object({
  account: z.string().min(1).max(40),
  amount: z.union([z.number(), z.string()]).transform(Number).pipe(z.number().int().min(1).max(250_000)),
  msisdn: z.string().optional(),
});

export function createDarajaSimulator(opts: DarajaSimulatorOptions): DarajaSimulator {
  const logger = opts.logger.child({ component: 'daraja-simulator' });
  const doFetch = opts.fetch ?? globalThis.fetch;
  const tokens = new Set<string>();
  const pushes = new Map<string, Push>();
  const payouts = new Map<string, Payout>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const posting = new Set<Promise<void>>();
  let closed = false;

  const envelope = (ctx: Context, status: number, errorCode: string, errorMessage: string) => {
    ctx.status = status;
    ctx.body = { requestId: randomUUID(), errorCode, errorMessage };
  };

  const post = async (target: string, body: unknown): Promise<unknown> => {
    const res = await doFetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`callback answered HTTP ${res.status}: ${text.slice(0, 200)}`);
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  };

  /** after the delay, like a person answering the prompt; the callback is posted, its failure logged (no retry) */
  const later = (what: string, job: () => Promise<void>, delayMs = opts.delayMs) => {
    if (closed) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      const run = job()
        .catch((err: unknown) => logger.warn({ err }, `simulated ${what} could not be delivered`))
        .finally(() => posting.delete(run));
      posting.add(run);
    }, delayMs);
    timers.add(timer);
  };

  /** reads the JSON body and checks the bearer token, or answers like Daraja and returns null */
  const authorised = async <S extends z.ZodType>(ctx: Context, schema: S): Promise<z.infer<S> | null> => {
    const auth = ctx.get('Authorization');
    if (!auth.startsWith('Bearer ') || !tokens.has(auth.slice(7))) {
      envelope(ctx, 404, '404.001.03', 'Invalid Access Token');
      return null;
    }
    let body: unknown;
    try {
      body = parseJson(await readRawBody(ctx));
    } catch (err) {
      if (!(err instanceof JsonBodyError)) throw err;
      envelope(ctx, 400, '400.002.02', 'Bad Request - Invalid JSON');
      return null;
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const field = parsed.error.issues[0]?.path.join('.') ?? 'body';
      envelope(ctx, 400, '400.002.02', `Bad Request - Invalid ${field}`);
      return null;
    }
    return parsed.data;
  };

  const stkCallback = (p: Push) => ({
    Body: {
      stkCallback: {
        MerchantRequestID: p.merchantRequestId,
        CheckoutRequestID: p.checkoutRequestId,
        ResultCode: p.resultCode,
        ResultDesc: p.resultDesc,
        ...(p.resultCode === 0
          ? {
              CallbackMetadata: {
                Item: [
                  { Name: 'Amount', Value: p.amount },
                  { Name: 'MpesaReceiptNumber', Value: p.receipt },
                  { Name: 'Balance' },
                  { Name: 'TransactionDate', Value: Number(new Date(Date.now() + 3 * 3600_000).toISOString().replace(/\D/g, '').slice(0, 14)) },
                  { Name: 'PhoneNumber', Value: Number(p.phone) },
                ],
              },
            }
          : {}),
      },
    },
  });

  const b2cResult = (p: Payout, url: string) => ({
    Result: {
      ResultType: 0,
      ResultCode: p.resultCode,
      ResultDesc: p.resultDesc,
      OriginatorConversationID: p.originatorConversationId,
      ConversationID: p.conversationId,
      TransactionID: p.receipt ?? darajaId('SIMFAIL').slice(0, 10).toUpperCase(),
      ...(p.resultCode === 0
        ? {
            ResultParameters: {
              ResultParameter: [
                { Key: 'TransactionAmount', Value: p.amount },
                { Key: 'TransactionReceipt', Value: p.receipt },
                { Key: 'ReceiverPartyPublicName', Value: `${p.phone} - SIMULATED CUSTOMER` },
                { Key: 'TransactionCompletedDateTime', Value: new Date().toISOString() },
                { Key: 'B2CRecipientIsRegisteredCustomer', Value: 'Y' },
              ],
            },
          }
        : {}),
      ReferenceData: { ReferenceItem: { Key: 'QueueTimeoutURL', Value: url } },
    },
  });

  const router = new Router({ prefix: SIMULATOR_PREFIX });

  router.get('/oauth/v1/generate', (ctx) => {
    if (!ctx.get('Authorization').startsWith('Basic ')) return envelope(ctx, 400, '400.008.01', 'Invalid Authentication passed');
    const token = randomBytes(16).toString('base64url');
    tokens.add(token);
    // a string, as Daraja sometimes sends it
    ctx.body = { access_token: token, expires_in: '3599' };
  });

  router.post('/mpesa/stkpush/v1/processrequest', async (ctx) => {
    const body = await authorised(ctx, StkPushBody);
    if (body === null) return;
    if (opts.shortcode && opts.passkey && body.Password !== stkPassword(opts.shortcode, opts.passkey, body.Timestamp)) {
      return envelope(ctx, 400, '400.002.02', 'Bad Request - Invalid Password');
    }
    // one open prompt per phone, as on a real handset
    for (const p of pushes.values()) {
      if (p.phone === body.PhoneNumber && !p.done) return envelope(ctx, 500, '500.001.1001', 'Unable to lock subscriber, a transaction is already in process for the current subscriber');
    }
    const rule = simulatedStkOutcome(body.Amount);
    const push: Push = {
      merchantRequestId: `${randomInt(10_000, 99_999)}-${randomInt(1e7, 9e7)}-1`,
      checkoutRequestId: darajaId('ws_CO_SIM'),
      amount: body.Amount,
      phone: body.PhoneNumber,
      callbackUrl: body.CallBackURL,
      resultCode: rule.code,
      resultDesc: rule.desc,
      receipt: rule.code === 0 ? receipt() : null,
      done: false,
    };
    pushes.set(push.checkoutRequestId, push);
    later('STK callback', async () => {
      push.done = true;
      if (rule.lost) {
        logger.info({ checkoutRequestId: push.checkoutRequestId }, 'simulated STK callback lost on purpose');
        return;
      }
      await post(push.callbackUrl, stkCallback(push));
    });
    ctx.body = {
      MerchantRequestID: push.merchantRequestId,
      CheckoutRequestID: push.checkoutRequestId,
      ResponseCode: '0',
      ResponseDescription: 'Success. Request accepted for processing',
      CustomerMessage: 'Success. Request accepted for processing',
    };
  });

  router.post('/mpesa/stkpushquery/v1/query', async (ctx) => {
    const body = await authorised(ctx, StkQueryBody);
    if (body === null) return;
    const push = pushes.get(body.CheckoutRequestID);
    if (!push) return envelope(ctx, 400, '400.002.02', 'Bad Request - Invalid CheckoutRequestID');
    if (!push.done) return envelope(ctx, 500, '500.001.1001', 'The transaction is being processed');
    ctx.body = {
      ResponseCode: '0',
      ResponseDescription: 'The service request has been accepted successsfully',
      MerchantRequestID: push.merchantRequestId,
      CheckoutRequestID: push.checkoutRequestId,
      ResultCode: String(push.resultCode),
      ResultDesc: push.resultDesc,
    };
  });

  const b2c = async (ctx: Context) => {
    const body = await authorised(ctx, B2cBody);
    if (body === null) return;
    if (payouts.has(body.OriginatorConversationID)) {
      return envelope(ctx, 500, '500.002.1001', 'Duplicate OriginatorConversationID.');
    }
    const rule = simulatedB2cOutcome(body.Amount);
    const payout: Payout = {
      originatorConversationId: body.OriginatorConversationID,
      conversationId: darajaId('AG_SIM_'),
      amount: body.Amount,
      phone: body.PartyB,
      resultCode: rule.code,
      resultDesc: rule.desc,
      receipt: rule.code === 0 ? receipt() : null,
      done: false,
    };
    payouts.set(payout.originatorConversationId, payout);
    later('B2C result', async () => {
      payout.done = true;
      if (rule.lost) return;
      if (rule.timeout) {
        await post(body.QueueTimeOutURL, {
          Result: {
            ResultType: 1,
            ResultCode: 'SVC0001',
            ResultDesc: 'The request timed out in the queue.',
            OriginatorConversationID: payout.originatorConversationId,
            ConversationID: payout.conversationId,
          },
        });
        return;
      }
      await post(body.ResultURL, b2cResult(payout, body.QueueTimeOutURL));
    });
    ctx.body = {
      ConversationID: payout.conversationId,
      OriginatorConversationID: payout.originatorConversationId,
      ResponseCode: '0',
      ResponseDescription: 'Accept the service request successfully.',
    };
  };
  router.post('/mpesa/b2c/v3/paymentrequest', b2c);
  router.post('/mpesa/b2c/v1/paymentrequest', b2c);

  router.post('/mpesa/transactionstatus/v1/query', async (ctx) => {
    const body = await authorised(ctx, StatusBody);
    if (body === null) return;
    const conversationId = darajaId('AG_SIMQ_');
    const originatorConversationId = randomUUID();
    const payout = body.OriginalConversationID ? payouts.get(body.OriginalConversationID) : undefined;
    later('Transaction Status result', async () => {
      const found = payout && payout.done;
      const completed = found && payout.resultCode === 0;
      await post(body.ResultURL, {
        Result: {
          ResultType: 0,
          ResultCode: found ? 0 : 'R000001',
          ResultDesc: found ? 'The service request is processed successfully.' : 'The transaction could not be found',
          OriginatorConversationID: originatorConversationId,
          ConversationID: conversationId,
          TransactionID: completed ? payout.receipt : undefined,
          ...(found
            ? {
                ResultParameters: {
                  ResultParameter: [
                    { Key: 'ReceiptNo', Value: payout.receipt ?? '' },
                    { Key: 'TransactionStatus', Value: completed ? 'Completed' : 'Failed' },
                    { Key: 'Amount', Value: payout.amount },
                    { Key: 'ReasonType', Value: completed ? 'Business Payment to Customer via API' : payout.resultDesc },
                    { Key: 'OriginatorConversationID', Value: payout.originatorConversationId },
                  ],
                },
              }
            : {}),
          ReferenceData: { ReferenceItem: { Key: 'Occasion', Value: body.Occasion ?? '' } },
        },
      });
    });
    ctx.body = {
      ConversationID: conversationId,
      OriginatorConversationID: originatorConversationId,
      ResponseCode: '0',
      ResponseDescription: 'Accept the service request successfully.',
    };
  });

  router.post('/mpesa/c2b/v1/registerurl', async (ctx) => {
    const body = await authorised(ctx, z.object({ ShortCode: z.unknown(), ResponseType: z.string(), ConfirmationURL: url, ValidationURL: url }));
    if (body === null) return;
    ctx.body = { OriginatorCoversationID: randomUUID(), ResponseCode: '0', ResponseDescription: 'Success' };
  });

  // not Daraja: plays a customer paying the paybill from the M-Pesa menu
  router.post('/c2b/pay', async (ctx) => {
    let parsed;
    try {
      parsed = C2bPayBody.safeParse(parseJson(await readRawBody(ctx)));
    } catch (err) {
      if (!(err instanceof JsonBodyError)) throw err;
      parsed = null;
    }
    if (!parsed?.success || !opts.c2bUrls) {
      ctx.status = 400;
      ctx.body = { error: 'invalid_request', message: 'expected {"account": "...", "amount": 100}' };
      return;
    }
    const urls = opts.c2bUrls();
    const payment = {
      TransactionType: 'Pay Bill',
      TransID: receipt(),
      TransTime: new Date(Date.now() + 3 * 3600_000).toISOString().replace(/\D/g, '').slice(0, 14),
      TransAmount: String(parsed.data.amount),
      BusinessShortCode: opts.shortcode ?? '600000',
      BillRefNumber: parsed.data.account,
      InvoiceNumber: '',
      OrgAccountBalance: '',
      ThirdPartyTransID: '',
      MSISDN: parsed.data.msisdn ?? '2547****0000',
      FirstName: 'SIMULATED',
      MiddleName: '',
      LastName: 'CUSTOMER',
    };
    const validation = (await post(urls.validation, payment)) as { ResultCode?: unknown } | undefined;
    if (String(validation?.ResultCode) !== '0') {
      ctx.body = { transId: payment.TransID, validation, confirmed: false };
      return;
    }
    const confirmation = await post(urls.confirmation, payment);
    ctx.body = { transId: payment.TransID, validation, confirmation, confirmed: true };
  });

  return {
    router,
    async idle() {
      while (timers.size > 0 || posting.size > 0) {
        if (posting.size > 0) await Promise.all([...posting]);
        else await new Promise((r) => setTimeout(r, Math.max(opts.delayMs / 4, 5)));
      }
    },
    async close() {
      closed = true;
      if (timers.size > 0) logger.warn({ pending: timers.size }, 'simulated Daraja callbacks cancelled at shutdown');
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await Promise.all([...posting]);
    },
  };
}
