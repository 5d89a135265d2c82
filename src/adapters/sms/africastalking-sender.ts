/**
 * SMS=africastalking: a small typed wrapper over the `africastalking` package (v0.8, CommonJS, no usable types).
 *
 * Package traps this file exists to contain:
 * - `SMS.send` resolves only on HTTP 201 and rejects otherwise, and not always with an Error: an axios error for a
 *   4xx/5xx or a network failure, the raw response body for a 2xx that is not 201, a plain Error for its own
 *   parameter validation (unknown keys, a number it does not like).
 * - A 201 is not success: each recipient carries its own statusCode ("Sent to 0/1" with a 406 UserInBlacklist
 *   recipient inside a resolved 201). Only 100/101/102 mean the message was accepted.
 * - Creating any client with username `sandbox` switches the whole process to the sandbox hosts for good, so this
 *   module refuses to create a sandbox client once a live one exists, and the other way round.
 */
import { createRequire } from 'node:module';
import { z } from 'zod';
import { toE164 } from '../telco/msisdn.ts';
import { describeError, type SendResult, type SmsSender } from './sms-sender.ts';

interface AtSmsSendParams {
  to: string | string[];
  message: string;
  from?: string;
  enqueue?: boolean;
}

interface AtClient {
  SMS: { send(params: AtSmsSendParams): Promise<unknown> };
}

type AtFactory = (options: { apiKey: string; username: string }) => AtClient;

const require = createRequire(import.meta.url);

let clientMode: 'live' | 'sandbox' | null = null;

/** one factory call per sender; refuses to mix sandbox and live clients in one process (see above) */
export function createAtClient(options: { apiKey: string; username: string }): AtClient {
  const mode = options.username.toLowerCase() === 'sandbox' ? 'sandbox' : 'live';
  if (clientMode !== null && clientMode !== mode) {
    throw new Error(
      `africastalking: a ${clientMode} client exists in this process; creating a ${mode} one would switch every client's hosts`,
    );
  }
  const factory = require('africastalking') as AtFactory;
  const client = factory({ apiKey: options.apiKey, username: options.username });
  clientMode = mode;
  return client;
}

const RecipientSchema = z.object({
  statusCode: z.coerce.number().int(),
  number: z.string().optional(),
  status: z.string().default(''),
  cost: z.string().optional(),
  messageId: z.string().optional(),
});

const SendReplySchema = z.object({
  SMSMessageData: z.object({
    Message: z.string().default(''),
    Recipients: z.array(RecipientSchema).default([]),
  }),
});

/** per-recipient codes inside a 201 */
export const AT_ACCEPTED = new Set([100, 101, 102]);
/**
 * Not retried. 401 RiskHold is here by decision: a held message sits in Africa's Talking's review and may be released
 * by it; sending it again could deliver it twice, and resubmitting held content does not lift a hold. It is logged as
 * an error by the worker so somebody looks at the account.
 */
export const AT_PERMANENT: ReadonlyMap<number, string> = new Map([
  [401, 'RiskHold'],
  [402, 'InvalidSenderId'],
  [403, 'InvalidPhoneNumber'],
  [404, 'UnsupportedNumberType'],
  [406, 'UserInBlacklist'],
  [409, 'DoNotDisturbRejection'],
]);
/** retried: 405 InsufficientBalance, 407 CouldNotRoute, 5xx gateway errors, and any code we do not know */
const AT_TRANSIENT_NAMES: ReadonlyMap<number, string> = new Map([
  [405, 'InsufficientBalance'],
  [407, 'CouldNotRoute'],
  [500, 'InternalServerError'],
  [501, 'GatewayError'],
  [502, 'RejectedByGateway'],
]);

/** what a resolved 201 says about our one recipient */
export function classifyAtReply(body: unknown): SendResult {
  const parsed = SendReplySchema.safeParse(body);
  if (!parsed.success) {
    // a 201 means Africa's Talking took the request: sending again would most likely duplicate it
    return { kind: 'sent', messageId: null, cost: null, statusCode: 201, status: 'unreadable 201 reply' };
  }
  const { Message, Recipients } = parsed.data.SMSMessageData;
  const r = Recipients[0];
  if (r === undefined) {
    // e.g. {"Message":"InvalidSenderId","Recipients":[]}: nothing was sent; usually configuration, fixed by people
    return { kind: 'transient', statusCode: null, reason: Message || 'no recipients in reply' };
  }
  if (AT_ACCEPTED.has(r.statusCode)) {
    return { kind: 'sent', messageId: r.messageId ?? null, cost: r.cost ?? null, statusCode: r.statusCode, status: r.status };
  }
  const permanent = AT_PERMANENT.get(r.statusCode);
  if (permanent !== undefined) return { kind: 'permanent', statusCode: r.statusCode, reason: r.status || permanent };
  return {
    kind: 'transient',
    statusCode: r.statusCode,
    reason: r.status || AT_TRANSIENT_NAMES.get(r.statusCode) || `status ${r.statusCode}`,
  };
}

interface AxiosLikeError {
  isAxiosError: true;
  message: string;
  code?: string;
  response?: { status: number; data?: unknown };
}

function isAxiosError(err: unknown): err is AxiosLikeError {
  return typeof err === 'object' && err !== null && (err as { isAxiosError?: unknown }).isAxiosError === true;
}

/** what a rejection of `SMS.send` means */
export function classifyAtRejection(err: unknown): SendResult {
  if (isAxiosError(err)) {
    const status = err.response?.status;
    if (status === undefined) return { kind: 'transient', statusCode: null, reason: `network: ${err.code ?? err.message}` };
    const body = typeof err.response?.data === 'string' ? err.response.data.slice(0, 120) : '';
    // 400/422: the request itself is wrong (our message or number) and will be wrong next time too. Everything else
    // (401 bad key, 403 IP not whitelisted, 429, 5xx) is an outage or configuration that people fix: retry.
    const kind = status === 400 || status === 422 ? 'permanent' : 'transient';
    return { kind, statusCode: status, reason: `HTTP ${status}${body ? `: ${body}` : ''}` };
  }
  if (err instanceof Error) {
    // the package's own parameter validation (Joi): our input is invalid, sending it again cannot help
    if (/must be|is required|not allowed|must NOT/.test(err.message)) {
      return { kind: 'permanent', statusCode: null, reason: `rejected by client: ${err.message.slice(0, 150)}` };
    }
    return { kind: 'transient', statusCode: null, reason: err.message.slice(0, 200) };
  }
  // a 2xx that is not 201 rejects with the body itself
  return { kind: 'transient', statusCode: null, reason: `unexpected reply: ${describeError(err)}` };
}

export interface AtSenderOptions {
  username: string;
  apiKey: string;
  /** shortcode or alphanumeric sender id; omitted means the account's default */
  from?: string;
}

export function createAfricasTalkingSender(options: AtSenderOptions, client: AtClient = createAtClient(options)): SmsSender {
  return {
    name: 'africastalking',
    async send(to, message): Promise<SendResult> {
      let e164: string;
      try {
        e164 = toE164(to);
      } catch {
        return { kind: 'permanent', statusCode: 403, reason: 'InvalidPhoneNumber' };
      }
      const params: AtSmsSendParams = { to: e164, message };
      if (options.from) params.from = options.from;
      try {
        return classifyAtReply(await client.SMS.send(params));
      } catch (err) {
        return classifyAtRejection(err);
      }
    },
  };
}
