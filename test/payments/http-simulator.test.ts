/**
 * PAYMENTS=simulator end to end: the real Daraja client talks over HTTP to the fake Daraja mounted on our app, which
 * posts its callbacks over HTTP to our own callback routes. No nock: nothing leaves 127.0.0.1.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { simulatedB2cOutcome, simulatedStkOutcome } from '../../src/adapters/payments/http-simulator.ts';
import { getWithdrawal, reserveWithdrawal } from '../../src/core/wallet.ts';
import { newPlayer } from '../support/core.ts';
import { backends } from '../support/databases.ts';
import { id } from './daraja-fixtures.ts';
import { eventually, startPaymentsHarness, type PaymentsHarness } from './payments-harness.ts';

describe.each(backends)('the HTTP Daraja simulator on $name', (backend) => {
  let h: PaymentsHarness;
  beforeAll(async () => {
    h = await startPaymentsHarness(backend, { simulator: true });
  });
  beforeEach(async () => {
    await h.quiesce();
  });
  afterAll(async () => {
    await h?.close();
  });

  async function deposit(shillings: number) {
    const player = await newPlayer(h.core);
    const res = await h.module.port.startDeposit({ playerId: player.id, msisdn: player.msisdn, amount: shillings * 100 });
    if (!res.ok) throw new Error(res.reason);
    await h.module.idle();
    return { player, checkout: res.value.reference };
  }

  it('a deposit is pushed, called back over HTTP and credited', async () => {
    const { player, checkout } = await deposit(100);
    expect(checkout).toMatch(/^ws_CO_SIM/);
    const dep = await eventually(async () => {
      const d = await h.depositByCheckout(checkout);
      expect(d.state).toBe('credited');
      return d;
    });
    expect(dep.receipt).toMatch(/^SIM[A-Z0-9]{7}$/);
    expect(await h.wallet(player.id)).toBe(95_00);
    const [cb] = await h.callbacks('ref = $1', [checkout]);
    expect(cb).toMatchObject({ kind: 'stk', outcome: 'applied', source_ip: '127.0.0.1' });
    await h.ledgerOk();
  });

  it.each([
    [132, '1032', 'You cancelled the M-Pesa request'],
    [101, '1', 'Not enough money in your M-Pesa'],
    [121, '2001', 'Wrong M-Pesa PIN'],
    [137, '1037', 'Your phone could not be reached'],
  ])('a deposit of KES %i fails with %s', async (shillings, code, reason) => {
    const { player, checkout } = await deposit(shillings);
    await eventually(async () => expect((await h.depositByCheckout(checkout)).state).toBe('failed'));
    expect(await h.depositByCheckout(checkout)).toMatchObject({ result_code: code });
    expect((await h.outbox(player.id, 'deposit_failed'))[0]!.params).toMatchObject({ reason });
    expect(await h.wallet(player.id)).toBe(0);
  });

  it('a deposit ending in 99 loses its callback; reconciliation finds it paid', async () => {
    const { player, checkout } = await deposit(199);
    expect(await h.depositByCheckout(checkout)).toMatchObject({ state: 'pending' });
    h.clock.advance(121_000);
    expect(await h.module.reconcileOnce()).toMatchObject({ depositsQueried: 1, depositsCredited: 1 });
    expect(await h.depositByCheckout(checkout)).toMatchObject({ state: 'credited', credit_key: `stkq:${checkout}` });
    expect(await h.wallet(player.id)).toBe(189_05);
    await h.ledgerOk();
  });

  async function payout(shillings: number) {
    const player = await newPlayer(h.core, 1000_00);
    const r = await reserveWithdrawal(h.core, { playerId: player.id, amount: shillings * 100, key: id('wd-'), now: h.clock() });
    if (!r.ok) throw new Error(r.reason);
    await h.module.port.startPayout({ withdrawalId: r.value.id, msisdn: player.msisdn, amount: r.value.net });
    await h.module.idle();
    return { player, withdrawalId: r.value.id };
  }

  it('a withdrawal is paid by simulated B2C', async () => {
    const { player, withdrawalId } = await payout(100);
    await eventually(async () => expect((await getWithdrawal(h.core.db, withdrawalId))?.state).toBe('completed'));
    expect(await h.wallet(player.id)).toBe(850_00);
    await h.ledgerOk();
  });

  it('a withdrawal receiving KES 532 fails and is refunded', async () => {
    const { player, withdrawalId } = await payout(560);
    await eventually(async () => expect((await getWithdrawal(h.core.db, withdrawalId))?.state).toBe('failed'));
    expect(await h.wallet(player.id)).toBe(950_00);
    await h.ledgerOk();
  });

  it('a withdrawal receiving KES 437 times out in the queue; Transaction Status finds it paid', async () => {
    const { player, withdrawalId } = await payout(460);
    await eventually(async () => {
      await h.module.idle();
      expect((await getWithdrawal(h.core.db, withdrawalId))?.state).toBe('completed');
    });
    const { rows } = await h.t.db.query('SELECT kind, outcome FROM payment_callbacks WHERE kind IN ($1, $2) ORDER BY id DESC LIMIT 2', [
      'b2c_timeout',
      'status_result',
    ]);
    expect(rows).toEqual([
      { kind: 'status_result', outcome: 'applied' },
      { kind: 'b2c_timeout', outcome: 'applied' },
    ]);
    expect(await h.wallet(player.id)).toBe(490_00);
    await h.ledgerOk();
  });

  it('a withdrawal receiving KES 399 loses its result; reconciliation asks and pays it', async () => {
    const { withdrawalId } = await payout(420);
    expect(await getWithdrawal(h.core.db, withdrawalId)).toMatchObject({ state: 'reserved' });
    h.clock.advance(121_000);
    expect(await h.module.reconcileOnce()).toMatchObject({ statusQueries: 1 });
    await h.module.idle();
    await eventually(async () => expect((await getWithdrawal(h.core.db, withdrawalId))?.state).toBe('completed'));
    await h.ledgerOk();
  });

  it('plays a paybill payment against the C2B routes', async () => {
    const player = await newPlayer(h.core);
    const res = await h.post('/simulator/daraja/c2b/pay', { account: `0${player.msisdn.slice(3)}`, amount: 300 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ confirmed: true, validation: { ResultCode: '0' } });
    expect(await h.wallet(player.id)).toBe(285_00);
    const unknown = await h.post('/simulator/daraja/c2b/pay', { account: 'NOBODY', amount: 300 });
    expect(unknown.body).toMatchObject({ confirmed: false, validation: { ResultCode: 'C2B00012' } });
    await h.ledgerOk();
  });

  it('documents its rule', () => {
    expect([32, 132, 1032].map((a) => simulatedStkOutcome(a).code)).toEqual([1032, 1032, 1032]);
    expect(simulatedStkOutcome(100)).toMatchObject({ code: 0 });
    expect(simulatedStkOutcome(99)).toMatchObject({ code: 0, lost: true });
    expect(simulatedB2cOutcome(532)).toMatchObject({ code: 2040 });
    expect(simulatedB2cOutcome(437)).toMatchObject({ timeout: true });
    expect(simulatedB2cOutcome(399)).toMatchObject({ lost: true });
  });

  describe('with a customer who takes their time', () => {
    let slow: PaymentsHarness;
    beforeAll(async () => {
      slow = await startPaymentsHarness(backend, { simulator: true, env: { SIMULATOR_DELAY_MS: '1000' } });
    });
    afterAll(async () => {
      await slow?.close();
    });

    it('a second prompt while one is open is "busy", like a real handset', async () => {
      const player = await newPlayer(slow.core);
      const first = await slow.module.port.startDeposit({ playerId: player.id, msisdn: player.msisdn, amount: 100_00 });
      const second = await slow.module.port.startDeposit({ playerId: player.id, msisdn: player.msisdn, amount: 100_00 });
      expect(first.ok).toBe(true);
      expect(second).toEqual({ ok: false, reason: 'payments_busy' });
      await slow.module.idle();
      expect(await slow.wallet(player.id)).toBe(95_00);
    });
  });
});
