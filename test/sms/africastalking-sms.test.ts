/**
 * Outbound SMS through Africa's Talking (nock stands in for api.africastalking.com and nothing else) and delivery
 * reports coming back over HTTP.
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { classifyAtRejection, classifyAtReply, createAtClient } from '../../src/adapters/sms/africastalking-sender.ts';
import { renderOutboxMessage } from '../../src/adapters/sms/outbox-render.ts';
import { balance } from '../../src/core/wallet.ts';
import { newPlayer } from '../support/core.ts';
import { backends } from '../support/databases.ts';
import { openRound } from '../support/events.ts';
import { startSmsHarness, TOKEN, type SmsHarness } from './sms-harness.ts';

const AT = 'https://api.africastalking.com';
const AT_ENV = { SMS: 'africastalking', AT_USERNAME: 'betgw', AT_API_KEY: 'test-api-key', AT_SMS_FROM: '29290' };

function recipient(statusCode: number, status: string, messageId = `ATXid_${Math.random().toString(36).slice(2)}`) {
  return { statusCode, number: '+254700000000', status, cost: statusCode < 200 ? 'KES 0.8000' : '0', messageId, messageParts: 1 };
}

function created(...recipients: ReturnType<typeof recipient>[]) {
  const ok = recipients.filter((r) => r.statusCode < 200).length;
  return { SMSMessageData: { Message: `Sent to ${ok}/${recipients.length} Total Cost: KES 0.8000`, Recipients: recipients } };
}

interface Captured {
  body: Record<string, string>;
  headers: Record<string, unknown>;
}

/** intercepts the next messaging POST, captures it, answers with `status` and `body` */
function interceptSend(status: number, body: unknown): Captured[] {
  const seen: Captured[] = [];
  nock(AT)
    .post('/version1/messaging')
    .reply(function (_uri, requestBody) {
      seen.push({
        body: Object.fromEntries(new URLSearchParams(String(requestBody))) as Record<string, string>,
        headers: this.req.headers as Record<string, unknown>,
      });
      return [status, typeof body === 'string' ? body : JSON.stringify(body), { 'content-type': 'application/json' }];
    });
  return seen;
}

describe.each(backends)("Africa's Talking SMS on $name", (backend) => {
  let h: SmsHarness;
  beforeAll(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect(/127\.0\.0\.1|localhost/);
    h = await startSmsHarness(backend, { env: AT_ENV });
  });
  afterEach(() => {
    nock.cleanAll();
  });
  afterAll(async () => {
    await h.close();
    nock.enableNetConnect();
  });

  /** earlier tests' receipts (a test player's deposit) are not the concern of the next test */
  const settleBacklog = () => h.t.db.query(`UPDATE sms_outbox SET status = 'failed', failure_reason = 'test backlog' WHERE status = 'pending'`);

  it('a bet placed by SMS debits the wallet and its confirmation goes out with the right form fields', async () => {
    const player = await newPlayer(h.core, 1000_00);
    await settleBacklog();
    const [event] = await openRound(h.core);
    const answer = await h.ask(player.msisdn, `${event!.id} # 1 # 100`);
    expect(answer.status).toBe(200);
    // the core's bet_placed receipt is the answer: no second "reply" SMS
    expect(answer.reply).toBeNull();
    expect((await balance(h.core.db, player.id)).balance).toBe(850_00);

    const [queued] = await h.outbox(`kind = 'bet_placed' AND player_id = $1`, [player.id]);
    expect(queued).toMatchObject({ status: 'pending', attempts: 0 });
    const seen = interceptSend(201, created(recipient(101, 'Success', 'ATXid_bet_1')));
    expect(await h.sms.sendDueOnce()).toMatchObject({ claimed: 1, sent: 1 });
    expect(nock.isDone()).toBe(true);

    const message = renderOutboxMessage('bet_placed', queued!.params, 'en');
    expect(message).toMatch(/^Bet B[0-9A-Z]{5} placed: 1 game, stake KES 100\.00, possible win KES [\d,]+\.\d\d\./);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.body).toEqual({ username: 'betgw', to: `+${player.msisdn}`, message, from: '29290', bulkSMSMode: '1' });
    expect(seen[0]!.headers.apikey).toBe('test-api-key');

    const [sent] = await h.outbox('id = $1', [queued!.id]);
    expect(sent).toMatchObject({
      status: 'sent',
      attempts: 1,
      provider_message_id: 'ATXid_bet_1',
      cost: 'KES 0.8000',
      provider_status_code: 101,
      failure_reason: null,
    });
  });

  it('a 201 with a blacklisted recipient (Sent to 0/1, 406) fails the message for good', async () => {
    const player = await newPlayer(h.core);
    await settleBacklog();
    expect((await h.ask(player.msisdn, 'BAL')).reply).toBe('Balance KES 0.00.');
    interceptSend(201, created(recipient(406, 'UserInBlacklist', 'None')));
    expect(await h.sms.sendDueOnce()).toMatchObject({ claimed: 1, failed: 1 });
    const [row] = await h.outbox(`kind = 'reply' AND player_id = $1`, [player.id]);
    expect(row).toMatchObject({ status: 'failed', attempts: 1, failure_reason: 'UserInBlacklist', provider_status_code: 406 });

    // never retried: hours later there is nothing to send and no request is made
    h.clock.advance(6 * 3600_000);
    expect(await h.sms.sendDueOnce()).toMatchObject({ claimed: 0 });
  });

  it('an HTTP 401 and then a 503 are retried with growing delays, then the message is sent', async () => {
    const player = await newPlayer(h.core);
    await settleBacklog();
    await h.ask(player.msisdn, 'HELP');
    const [queued] = await h.outbox(`kind = 'reply' AND player_id = $1`, [player.id]);

    interceptSend(401, 'The supplied authentication is invalid');
    const t0 = h.clock().getTime();
    expect(await h.sms.sendDueOnce()).toMatchObject({ claimed: 1, retried: 1 });
    let [row] = await h.outbox('id = $1', [queued!.id]);
    expect(row).toMatchObject({ status: 'pending', attempts: 1, provider_status_code: 401 });
    expect(row!.failure_reason).toMatch(/^HTTP 401/);
    expect(new Date(row!.next_attempt_at).getTime()).toBe(t0 + 30_000);

    // not due yet: nothing is claimed and no request is made
    h.clock.advance(29_000);
    expect(await h.sms.sendDueOnce()).toMatchObject({ claimed: 0 });

    h.clock.advance(1_000);
    interceptSend(503, 'Service Unavailable');
    expect(await h.sms.sendDueOnce()).toMatchObject({ claimed: 1, retried: 1 });
    [row] = await h.outbox('id = $1', [queued!.id]);
    expect(row).toMatchObject({ status: 'pending', attempts: 2, provider_status_code: 503 });
    expect(new Date(row!.next_attempt_at).getTime()).toBe(h.clock().getTime() + 60_000);

    h.clock.advance(60_000);
    const seen = interceptSend(201, created(recipient(101, 'Success', 'ATXid_after_retry')));
    expect(await h.sms.sendDueOnce()).toMatchObject({ claimed: 1, sent: 1 });
    [row] = await h.outbox('id = $1', [queued!.id]);
    expect(row).toMatchObject({ status: 'sent', attempts: 3, provider_message_id: 'ATXid_after_retry', failure_reason: null });
    expect(seen[0]!.body.message).toContain('GAMES');
  });

  it('a network error and a 201 with 405 InsufficientBalance are retried', async () => {
    const player = await newPlayer(h.core);
    await settleBacklog();
    await h.ask(player.msisdn, 'BETS');
    nock(AT).post('/version1/messaging').replyWithError('socket hang up');
    expect(await h.sms.sendDueOnce()).toMatchObject({ claimed: 1, retried: 1 });
    h.clock.advance(30_000);
    interceptSend(201, created(recipient(405, 'InsufficientBalance', 'None')));
    expect(await h.sms.sendDueOnce()).toMatchObject({ claimed: 1, retried: 1 });
    const [row] = await h.outbox(`kind = 'reply' AND player_id = $1`, [player.id]);
    expect(row).toMatchObject({ status: 'pending', attempts: 2, provider_status_code: 405, failure_reason: 'InsufficientBalance' });
  });

  describe('delivery reports', () => {
    const report = (id: string, status: string, extra: Record<string, string> = {}) =>
      h.post(`/sms/africastalking/delivery/${TOKEN}`, {
        id,
        status,
        phoneNumber: '+254700000000',
        networkCode: '63902',
        retryCount: '0',
        ...extra,
      });

    /** a reply sent through AT with this message id */
    async function sentMessage(messageId: string) {
      const player = await newPlayer(h.core);
      await settleBacklog();
      await h.ask(player.msisdn, 'BAL');
      interceptSend(201, created(recipient(101, 'Success', messageId)));
      await h.sms.sendDueOnce();
      const [row] = await h.outbox('provider_message_id = $1', [messageId]);
      expect(row!.status).toBe('sent');
      return row!;
    }

    it('Success marks the message delivered; a repeat and a late in-between report change nothing', async () => {
      const row = await sentMessage('ATXid_dlr_ok');
      expect(await report('ATXid_dlr_ok', 'Buffered')).toEqual({ status: 200, body: 'OK' });
      expect((await h.outbox('id = $1', [row.id]))[0]).toMatchObject({ status: 'sent', delivery_status: 'Buffered' });
      expect(await report('ATXid_dlr_ok', 'Success')).toEqual({ status: 200, body: 'OK' });
      const delivered = (await h.outbox('id = $1', [row.id]))[0];
      expect(delivered).toMatchObject({ status: 'delivered', delivery_status: 'Success', failure_reason: null });
      await report('ATXid_dlr_ok', 'Success');
      await report('ATXid_dlr_ok', 'Submitted');
      expect((await h.outbox('id = $1', [row.id]))[0]).toEqual(delivered);
    });

    it.each(['Failed', 'Rejected', 'AbsentSubscriber', 'Expired'])('%s marks the message undelivered with the reason', async (status) => {
      const id = `ATXid_dlr_${status}`;
      const row = await sentMessage(id);
      expect((await report(id, status, { failureReason: 'UserDoesNotExist' })).status).toBe(200);
      expect((await h.outbox('id = $1', [row.id]))[0]).toMatchObject({
        status: 'undelivered',
        delivery_status: status,
        failure_reason: 'UserDoesNotExist',
      });
    });

    it('a wrong token is a 404 and changes nothing', async () => {
      const row = await sentMessage('ATXid_dlr_token');
      const before = await h.outbox('id = $1', [row.id]);
      const res = await h.post('/sms/africastalking/delivery/not-the-token', { id: 'ATXid_dlr_token', status: 'Success' });
      expect(res.status).toBe(404);
      expect(res.body).not.toContain('not-the-token');
      expect(await h.outbox('id = $1', [row.id])).toEqual(before);
    });

    it('answers 200 to a report for a message it does not know, and 400 to a malformed one', async () => {
      expect(await report('ATXid_never_sent', 'Success')).toEqual({ status: 200, body: 'OK' });
      const bad = await h.post(`/sms/africastalking/delivery/${TOKEN}`, { status: 'Success' });
      expect(bad.status).toBe(400);
      expect(JSON.parse(bad.body)).toMatchObject({ error: 'invalid_request' });
    });
  });

  it('refuses to create a sandbox client in a process that has a live one', () => {
    expect(() => createAtClient({ username: 'sandbox', apiKey: 'x' })).toThrow(/live client exists/);
  });
});

describe("classifying Africa's Talking answers", () => {
  it.each([
    [100, 'sent'],
    [101, 'sent'],
    [102, 'sent'],
    [401, 'permanent'],
    [402, 'permanent'],
    [403, 'permanent'],
    [404, 'permanent'],
    [405, 'transient'],
    [406, 'permanent'],
    [407, 'transient'],
    [409, 'permanent'],
    [500, 'transient'],
    [501, 'transient'],
    [502, 'transient'],
    [999, 'transient'],
  ])('per-recipient status %i inside a 201 is %s', (code, kind) => {
    expect(classifyAtReply(created(recipient(code, 'x'))).kind).toBe(kind);
  });

  it('a 201 without recipients is retried; an unreadable 201 counts as sent (sending again could duplicate it)', () => {
    expect(classifyAtReply({ SMSMessageData: { Message: 'InvalidSenderId', Recipients: [] } })).toMatchObject({
      kind: 'transient',
      reason: 'InvalidSenderId',
    });
    expect(classifyAtReply('<html>')).toMatchObject({ kind: 'sent', messageId: null });
  });

  it('rejections: HTTP 400 is permanent; 401, 5xx, network errors and non-Error values are transient', () => {
    const axios = (status?: number) => ({ isAxiosError: true, message: 'x', code: 'ECONNREFUSED', response: status ? { status, data: 'no' } : undefined });
    expect(classifyAtRejection(axios(400)).kind).toBe('permanent');
    expect(classifyAtRejection(axios(401)).kind).toBe('transient');
    expect(classifyAtRejection(axios(500)).kind).toBe('transient');
    expect(classifyAtRejection(axios()).kind).toBe('transient');
    expect(classifyAtRejection({ SMSMessageData: {} }).kind).toBe('transient');
    expect(classifyAtRejection('boom').kind).toBe('transient');
    expect(classifyAtRejection(new Error('to: must be a valid phone number; ')).kind).toBe('permanent');
  });
});
