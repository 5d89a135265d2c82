/**
 * The Daraja HTTP client: STK push and query, B2C, Transaction Status, C2B URL registration. One OAuth token shared by
 * every call (daraja-oauth.ts), one circuit breaker in front of all of them, a deadline on every call, and Daraja's
 * error envelope turned into a `DarajaError` whose `kind` says what the caller should do:
 *
 *   unavailable  outage, timeout, 5xx, circuit open   → "payments unavailable", try again later
 *   throttled    spike arrest 500.003.02, quota 500.003.03, HTTP 429 → "busy", back off
 *   in_process   500.001.1001: a prompt is already open on the phone (push) / still being processed (query)
 *   duplicate    500.002.1001: this OriginatorConversationID was used before (B2C: the first request stands)
 *   auth         404.001.03 even after one refresh and retry, or the OAuth call refused
 *   rejected     any other 4xx, or a sync reply whose ResponseCode is not "0": the request was not taken
 *
 * The base URL is configuration: Safaricom's sandbox or production, or the local simulator.
 */
import { z } from 'zod';
import { CircuitOpenError, createCircuitBreaker, type CircuitBreaker, type CircuitState } from './circuit-breaker.ts';
import { createTokenProvider, parseExpiresIn, type TokenStore } from './daraja-oauth.ts';

export type DarajaErrorKind = 'unavailable' | 'throttled' | 'in_process' | 'duplicate' | 'auth' | 'rejected';

export class DarajaError extends Error {
  constructor(
    readonly kind: DarajaErrorKind,
    message: string,
    readonly errorCode?: string,
    readonly httpStatus?: number,
  ) {
    super(message);
    this.name = 'DarajaError';
  }
}

export const INVALID_TOKEN = '404.001.03';
const THROTTLED = new Set(['500.003.02', '500.003.03']);
const IN_PROCESS = '500.001.1001';
const DUPLICATE_ORIGINATOR = '500.002.1001';

/** the breaker counts what says "Daraja is struggling", not what says "this request is wrong" */
export function countsAgainstDaraja(err: unknown): boolean {
  return !(err instanceof DarajaError) || err.kind === 'unavailable' || err.kind === 'throttled';
}

const ErrorEnvelope = z.object({
  requestId: z.string().optional(),
  errorCode: z.string(),
  errorMessage: z.string().optional(),
});

const code = z.union([z.string(), z.number()]).transform(String);

const TokenReply = z.object({ access_token: z.string().min(1), expires_in: z.unknown() });
const StkPushReply = z.object({
  MerchantRequestID: z.string(),
  CheckoutRequestID: z.string().min(1),
  ResponseCode: code,
  ResponseDescription: z.string().optional(),
  CustomerMessage: z.string().optional(),
});
const StkQueryReply = z.object({
  ResponseCode: code,
  ResponseDescription: z.string().optional(),
  ResultCode: code.optional(),
  ResultDesc: z.string().optional(),
});
const ConversationReply = z.object({
  ConversationID: z.string().optional(),
  OriginatorConversationID: z.string().optional(),
  ResponseCode: code,
  ResponseDescription: z.string().optional(),
});
const AnyReply = z.object({ ResponseCode: code.optional(), ResponseDescription: z.string().optional() }).loose();

export interface DarajaClientOptions {
  baseUrl: string;
  consumerKey: string;
  consumerSecret: string;
  /** the paybill, or for buy goods the store number (BusinessShortCode) */
  shortcode: string;
  passkey: string;
  transactionType: 'paybill' | 'till';
  /** buy goods: the till number (PartyB); defaults to the shortcode */
  tillNumber?: string;
  b2cShortcode?: string;
  initiatorName?: string;
  /** already encrypted (security-credential.ts) */
  securityCredential?: string;
  /** the deadline of one call, token included (default 5000 ms: a USSD hop waits for the STK push) */
  timeoutMs?: number;
  breaker?: CircuitBreaker;
  tokenStore?: TokenStore;
  fetch?: typeof fetch;
  now?: () => number;
}

export interface StkPushInput {
  /** whole shillings */
  amount: number;
  msisdn: string;
  accountReference: string;
  description: string;
  callbackUrl: string;
}

export interface B2cInput {
  originatorConversationId: string;
  /** whole shillings */
  amount: number;
  msisdn: string;
  remarks: string;
  occasion?: string;
  resultUrl: string;
  timeoutUrl: string;
}

export interface StatusInput {
  /** the OriginatorConversationID of the B2C request being asked about */
  originalConversationId?: string;
  transactionId?: string;
  remarks: string;
  occasion?: string;
  resultUrl: string;
  timeoutUrl: string;
}

export interface DarajaClient {
  stkPush(input: StkPushInput): Promise<{ merchantRequestId: string; checkoutRequestId: string; customerMessage: string | null }>;
  /** the result of a push; the query carries no receipt number and no amount */
  stkQuery(checkoutRequestId: string): Promise<{ resultCode: string; resultDesc: string }>;
  b2c(input: B2cInput): Promise<{ conversationId: string | null; originatorConversationId: string }>;
  transactionStatus(input: StatusInput): Promise<{ conversationId: string | null; originatorConversationId: string | null }>;
  registerC2bUrls(input: { confirmationUrl: string; validationUrl: string; responseType: 'Completed' | 'Cancelled' }): Promise<void>;
  circuit(): CircuitState;
}

/** `YYYYMMDDHHmmss` in Nairobi time (UTC+3, no daylight saving), as the STK password wants it */
export function darajaTimestamp(atMs: number): string {
  return new Date(atMs + 3 * 3600_000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

export function stkPassword(shortcode: string, passkey: string, timestamp: string): string {
  return Buffer.from(shortcode + passkey + timestamp).toString('base64');
}

function trimmed(s: string, max: number): string {
  return s.length <= max ? s : s.slice(0, max);
}

/** waits for `p`, but no longer than the signal allows */
function before<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

export function createDarajaClient(opts: DarajaClientOptions): DarajaClient {
  const base = opts.baseUrl.replace(/\/+$/, '');
  const doFetch = opts.fetch ?? globalThis.fetch;
  const now = opts.now ?? Date.now;
  const timeoutMs = opts.timeoutMs ?? 5_000;
  const breaker = opts.breaker ?? createCircuitBreaker({ failureThreshold: 5, openMs: 30_000, now });

  /** one HTTP exchange; network failures and non-2xx replies become DarajaErrors */
  const exchange = async (path: string, init: RequestInit, signal: AbortSignal): Promise<unknown> => {
    let res: Response;
    let text: string;
    try {
      res = await doFetch(base + path, { ...init, signal });
      text = await res.text();
    } catch (err) {
      const timedOut = signal.aborted || (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError'));
      throw new DarajaError('unavailable', timedOut ? `Daraja ${path}: no answer in time` : `Daraja ${path}: ${String(err)}`);
    }
    let body: unknown = undefined;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      // some gateway errors are HTML; the status code says enough
    }
    if (res.ok) {
      if (body === undefined) throw new DarajaError('unavailable', `Daraja ${path}: unreadable reply`, undefined, res.status);
      return body;
    }
    const envelope = ErrorEnvelope.safeParse(body);
    const errorCode = envelope.success ? envelope.data.errorCode : undefined;
    const message = `Daraja ${path}: HTTP ${res.status}${errorCode ? ` ${errorCode}` : ''}${envelope.success && envelope.data.errorMessage ? ` ${envelope.data.errorMessage}` : ''}`;
    if (errorCode === INVALID_TOKEN) throw new DarajaError('auth', message, errorCode, res.status);
    if (errorCode && THROTTLED.has(errorCode)) throw new DarajaError('throttled', message, errorCode, res.status);
    if (res.status === 429) throw new DarajaError('throttled', message, errorCode, res.status);
    if (errorCode === IN_PROCESS) throw new DarajaError('in_process', message, errorCode, res.status);
    if (errorCode === DUPLICATE_ORIGINATOR) throw new DarajaError('duplicate', message, errorCode, res.status);
    if (res.status >= 500) throw new DarajaError('unavailable', message, errorCode, res.status);
    throw new DarajaError('rejected', message, errorCode, res.status);
  };

  const tokens = createTokenProvider({
    store: opts.tokenStore,
    now,
    async fetchToken() {
      const basic = Buffer.from(`${opts.consumerKey}:${opts.consumerSecret}`).toString('base64');
      // the refresh is shared by every waiting call, so it has its own deadline rather than one caller's
      let reply: unknown;
      try {
        reply = await exchange(
          '/oauth/v1/generate?grant_type=client_credentials',
          { method: 'GET', headers: { Authorization: `Basic ${basic}` } },
          AbortSignal.timeout(timeoutMs),
        );
      } catch (err) {
        // a refused token request is our credentials, not an invalid bearer token
        if (err instanceof DarajaError && (err.kind === 'rejected' || err.kind === 'auth')) {
          throw new DarajaError('auth', `OAuth refused: ${err.message}`, err.errorCode, err.httpStatus);
        }
        throw err;
      }
      const parsed = TokenReply.safeParse(reply);
      if (!parsed.success) throw new DarajaError('unavailable', 'OAuth reply without access_token');
      return { accessToken: parsed.data.access_token, expiresInSeconds: parseExpiresIn(parsed.data.expires_in) };
    },
  });

  /** POST with the shared token; on 404.001.03 the token is replaced once and the request retried once */
  const post = (path: string, body: Record<string, unknown>): Promise<unknown> =>
    breaker.run(async () => {
      const signal = AbortSignal.timeout(timeoutMs);
      const send = (token: string) =>
        exchange(
          path,
          {
            method: 'POST',
            headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
            body: JSON.stringify(body),
          },
          signal,
        );
      const token = await before(tokens.token(), signal).catch((err: unknown) => {
        throw err instanceof DarajaError ? err : new DarajaError('unavailable', `OAuth: no answer in time`);
      });
      try {
        return await send(token);
      } catch (err) {
        if (!(err instanceof DarajaError) || err.errorCode !== INVALID_TOKEN) throw err;
        const next = await before(tokens.replace(token), signal).catch((e: unknown) => {
          throw e instanceof DarajaError ? e : new DarajaError('unavailable', `OAuth: no answer in time`);
        });
        return send(next);
      }
    }, countsAgainstDaraja).catch((err: unknown) => {
      if (err instanceof CircuitOpenError) throw new DarajaError('unavailable', err.message, 'circuit_open');
      throw err;
    });

  const parse = <S extends z.ZodType>(schema: S, reply: unknown, what: string): z.infer<S> => {
    const parsed = schema.safeParse(reply);
    if (!parsed.success) throw new DarajaError('unavailable', `Daraja ${what}: unexpected reply shape`);
    return parsed.data;
  };

  const stkAuth = () => {
    const timestamp = darajaTimestamp(now());
    return { BusinessShortCode: opts.shortcode, Password: stkPassword(opts.shortcode, opts.passkey, timestamp), Timestamp: timestamp };
  };

  const b2cParty = () => {
    if (!opts.b2cShortcode || !opts.initiatorName || !opts.securityCredential) {
      throw new DarajaError('rejected', 'B2C is not configured (shortcode, initiator, security credential)');
    }
    return { shortcode: opts.b2cShortcode, initiator: opts.initiatorName, credential: opts.securityCredential };
  };

  return {
    async stkPush(input) {
      const reply = parse(
        StkPushReply,
        await post('/mpesa/stkpush/v1/processrequest', {
          ...stkAuth(),
          TransactionType: opts.transactionType === 'till' ? 'CustomerBuyGoodsOnline' : 'CustomerPayBillOnline',
          Amount: input.amount,
          PartyA: input.msisdn,
          PartyB: opts.transactionType === 'till' ? (opts.tillNumber ?? opts.shortcode) : opts.shortcode,
          PhoneNumber: input.msisdn,
          CallBackURL: input.callbackUrl,
          AccountReference: trimmed(input.accountReference, 12),
          TransactionDesc: trimmed(input.description, 13),
        }),
        'STK push',
      );
      if (reply.ResponseCode !== '0') {
        throw new DarajaError('rejected', `STK push not accepted: ${reply.ResponseCode} ${reply.ResponseDescription ?? ''}`, reply.ResponseCode);
      }
      return {
        merchantRequestId: reply.MerchantRequestID,
        checkoutRequestId: reply.CheckoutRequestID,
        customerMessage: reply.CustomerMessage ?? null,
      };
    },

    async stkQuery(checkoutRequestId) {
      const reply = parse(
        StkQueryReply,
        await post('/mpesa/stkpushquery/v1/query', { ...stkAuth(), CheckoutRequestID: checkoutRequestId }),
        'STK query',
      );
      if (reply.ResponseCode !== '0' || reply.ResultCode === undefined) {
        throw new DarajaError('rejected', `STK query not answered: ${reply.ResponseCode} ${reply.ResponseDescription ?? ''}`, reply.ResponseCode);
      }
      return { resultCode: reply.ResultCode, resultDesc: reply.ResultDesc ?? '' };
    },

    async b2c(input) {
      const party = b2cParty();
      const reply = parse(
        ConversationReply,
        await post('/mpesa/b2c/v3/paymentrequest', {
          OriginatorConversationID: input.originatorConversationId,
          InitiatorName: party.initiator,
          SecurityCredential: party.credential,
          CommandID: 'BusinessPayment',
          Amount: input.amount,
          PartyA: party.shortcode,
          PartyB: input.msisdn,
          Remarks: trimmed(input.remarks, 100),
          QueueTimeOutURL: input.timeoutUrl,
          ResultURL: input.resultUrl,
          // (sic): Safaricom's spelling
          Occassion: trimmed(input.occasion ?? '', 100),
        }),
        'B2C',
      );
      if (reply.ResponseCode !== '0') {
        throw new DarajaError('rejected', `B2C not accepted: ${reply.ResponseCode} ${reply.ResponseDescription ?? ''}`, reply.ResponseCode);
      }
      return {
        conversationId: reply.ConversationID ?? null,
        originatorConversationId: reply.OriginatorConversationID ?? input.originatorConversationId,
      };
    },

    async transactionStatus(input) {
      const party = b2cParty();
      const reply = parse(
        ConversationReply,
        await post('/mpesa/transactionstatus/v1/query', {
          Initiator: party.initiator,
          SecurityCredential: party.credential,
          CommandID: 'TransactionStatusQuery',
          ...(input.transactionId ? { TransactionID: input.transactionId } : {}),
          ...(input.originalConversationId ? { OriginalConversationID: input.originalConversationId } : {}),
          PartyA: party.shortcode,
          IdentifierType: '4',
          ResultURL: input.resultUrl,
          QueueTimeOutURL: input.timeoutUrl,
          Remarks: trimmed(input.remarks, 100),
          Occasion: trimmed(input.occasion ?? '', 100),
        }),
        'Transaction Status',
      );
      if (reply.ResponseCode !== '0') {
        throw new DarajaError('rejected', `status query not accepted: ${reply.ResponseCode} ${reply.ResponseDescription ?? ''}`, reply.ResponseCode);
      }
      return { conversationId: reply.ConversationID ?? null, originatorConversationId: reply.OriginatorConversationID ?? null };
    },

    async registerC2bUrls(input) {
      const reply = parse(
        AnyReply,
        await post('/mpesa/c2b/v1/registerurl', {
          ShortCode: opts.shortcode,
          ResponseType: input.responseType,
          ConfirmationURL: input.confirmationUrl,
          ValidationURL: input.validationUrl,
        }),
        'C2B register',
      );
      if (reply.ResponseCode !== undefined && reply.ResponseCode !== '0') {
        throw new DarajaError('rejected', `C2B URLs not registered: ${reply.ResponseCode} ${reply.ResponseDescription ?? ''}`, reply.ResponseCode);
      }
    },

    circuit: () => breaker.state(),
  };
}
