/**
 * Africa's Talking USSD protocol mapping: the form-encoded hop callback → `UssdRequest`, `UssdReply` → the
 * `CON …` / `END …` text/plain reply, and the session-end notification. Pure: no HTTP here.
 *
 * Wire facts: /work/shared/reference/africastalking.md. `text` carries every input of the session so far joined by
 * '*' ('' on the first hop; a shortcut dial such as *290*290*2# arrives with '2' on the first hop).
 */
import { z } from 'zod';
import { normaliseMsisdn } from './msisdn.ts';
import type { UssdReply, UssdRequest } from './ussd.ts';

export const AT_AGGREGATOR = 'africastalking';

const MAX_SESSION_ID = 100;
const MAX_SERVICE_CODE = 100;
const MAX_TEXT = 1000;

/**
 * C0 control characters other than tab and line breaks, and DEL. A handset's keypad cannot type them, so a field that
 * carries one is not a real callback; and PostgreSQL cannot store U+0000 in text at all, so letting one through would
 * lose the hop's record from the hop log, or turn a session-end notification into a server error AT re-posts forever.
 */
const CONTROL_CHARACTER = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const noControlCharacters = (value: string) => !CONTROL_CHARACTER.test(value);
const CONTROL_MESSAGE = { error: 'contains control characters' };

/** A field that must be present and be a non-blank string (surrounding whitespace is trimmed). */
function requiredString(max: number) {
  return z
    .string({ error: (issue) => (issue.input === undefined ? 'missing' : 'must be a string') })
    .trim()
    .min(1, { error: 'empty' })
    .max(max, { error: `longer than ${max} characters` })
    .refine(noControlCharacters, CONTROL_MESSAGE);
}

/** phoneNumber: must be present and normalise to a Kenyan mobile number; the output is the normalised MSISDN. */
const kenyanPhone = z
  .string({ error: (issue) => (issue.input === undefined ? 'missing' : 'must be a string') })
  .transform((raw, ctx) => {
    const msisdn = normaliseMsisdn(raw);
    if (msisdn === null) {
      ctx.addIssue({ code: 'custom', message: raw.trim() === '' ? 'empty' : 'not a Kenyan mobile number' });
      return z.NEVER;
    }
    return msisdn;
  });

const optionalString = z.string({ error: 'must be a string' }).refine(noControlCharacters, CONTROL_MESSAGE).optional();

/** A non-negative number sent as a numeric string; absent or '' → undefined. */
function optionalCount(integer: boolean) {
  return z
    .union([z.string(), z.number()], { error: 'must be a number' })
    .transform((raw, ctx) => {
      if (typeof raw === 'string' && raw.trim() === '') return undefined;
      const value = typeof raw === 'number' ? raw : Number(raw.trim());
      if (!Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
        ctx.addIssue({ code: 'custom', message: integer ? 'not a whole number' : 'not a number' });
        return z.NEVER;
      }
      return value;
    })
    .optional();
}

/**
 * One USSD hop as Africa's Talking posts it (form fields). Unknown fields are ignored.
 * Output: `phoneNumber` normalised to 2547…/2541…, `networkCode` and `text` default to ''.
 */
export const AtHopSchema = z.object({
  sessionId: requiredString(MAX_SESSION_ID),
  serviceCode: requiredString(MAX_SERVICE_CODE),
  phoneNumber: kenyanPhone,
  networkCode: z
    .string({ error: 'must be a string' })
    .trim()
    .regex(/^[0-9]*$/, { error: 'must be digits' })
    .default(''),
  text: z
    .string({ error: 'must be a string' })
    .max(MAX_TEXT, { error: `longer than ${MAX_TEXT} characters` })
    .refine(noControlCharacters, CONTROL_MESSAGE)
    .default(''),
});
export type AtHop = z.infer<typeof AtHopSchema>;

/** The session-end notification (separate callback URL). Only sessionId, phoneNumber and status are required. */
export const AtSessionEndSchema = z.object({
  date: optionalString,
  sessionId: requiredString(MAX_SESSION_ID),
  serviceCode: optionalString,
  networkCode: optionalString,
  phoneNumber: kenyanPhone,
  status: z.enum(['Incomplete', 'Success', 'Failed'], {
    error: (issue) => (issue.input === undefined ? 'missing' : 'must be Incomplete, Success or Failed'),
  }),
  /** e.g. 'KES 0.10', kept as sent */
  cost: optionalString,
  durationInMillis: optionalCount(false),
  hopsCount: optionalCount(true),
  input: optionalString,
  lastAppResponse: optionalString,
  errorMessage: optionalString,
});
export type AtSessionEnd = z.infer<typeof AtSessionEndSchema>;
export type AtSessionEndStatus = AtSessionEnd['status'];

/** Accepts a parsed form body (plain or null-prototype object), URLSearchParams, or the raw urlencoded string. */
function formFields(body: unknown): unknown {
  if (typeof body === 'string') return Object.fromEntries(new URLSearchParams(body));
  if (body instanceof URLSearchParams) return Object.fromEntries(body);
  return body;
}

/** "field: problem" for each issue, e.g. `phoneNumber: not a Kenyan mobile number`. */
function describe(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      if (issue.path.length === 0) return 'body: expected form fields';
      return `${issue.path.map(String).join('.')}: ${issue.message}`;
    })
    .join('; ');
}

export type ParseAtHopResult = { ok: true; request: UssdRequest } | { ok: false; reason: string };

/** Validates one hop and maps it to the aggregator-neutral `UssdRequest`. */
export function parseAtHop(body: unknown): ParseAtHopResult {
  const parsed = AtHopSchema.safeParse(formFields(body));
  if (!parsed.success) return { ok: false, reason: describe(parsed.error) };
  const hop = parsed.data;
  return {
    ok: true,
    request: {
      aggregator: AT_AGGREGATOR,
      sessionId: hop.sessionId,
      serviceCode: hop.serviceCode,
      phone: hop.phoneNumber,
      network: hop.networkCode,
      inputs: hop.text === '' ? [] : hop.text.split('*'),
      rawText: hop.text,
    },
  };
}

/** The text/plain body of the reply: `CON <screen>` or `END <screen>`. */
export function formatAtReply(reply: UssdReply): string {
  return `${reply.kind} ${reply.screen}`;
}

export type ParseAtSessionEndResult = { ok: true; sessionEnd: AtSessionEnd } | { ok: false; reason: string };

/** Validates a session-end notification. */
export function parseAtSessionEnd(body: unknown): ParseAtSessionEndResult {
  const parsed = AtSessionEndSchema.safeParse(formFields(body));
  if (!parsed.success) return { ok: false, reason: describe(parsed.error) };
  return { ok: true, sessionEnd: parsed.data };
}
