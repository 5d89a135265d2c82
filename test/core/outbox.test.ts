import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeBet } from '../../src/core/bets.ts';
import type { Core } from '../../src/core/core.ts';
import { selfExclude } from '../../src/core/players.ts';
import { settleEvent } from '../../src/core/settlement.ts';
import { completeWithdrawal, deposit, failWithdrawal, reserveWithdrawal } from '../../src/core/wallet.ts';
import { newPlayer, testCore } from '../support/core.ts';
import { backends, type TestDb } from '../support/databases.ts';
import { openRound, pick, setResult } from '../support/events.ts';

describe.each(backends)('messages owed to players on $name', (backend) => {
  let t: TestDb;
  let core: Core;
  beforeAll(async () => {
    t = await backend.open();
    ({ core } = await testCore(t.db));
  });
  afterAll(() => t.cleanup());

  const owed = async (playerId: number) =>
    (
      await core.db.query<{ kind: string; params: Record<string, unknown> | string; msisdn: string }>(
        'SELECT kind, params, msisdn FROM sms_outbox WHERE player_id = $1 ORDER BY id',
        [playerId],
      )
    ).rows.map((r) => ({ kind: r.kind, msisdn: r.msisdn, params: typeof r.params === 'string' ? JSON.parse(r.params) : r.params }));

  it('queues one receipt per money event, with the event, however often it is replayed', async () => {
    const p = await newPlayer(core);
    const dep = { playerId: p.id, amount: 1000_00, receipt: 'OUTBOX1', now: core.clock() };
    await deposit(core, dep);
    await deposit(core, dep);
    const [ev] = await openRound(core);
    const sel = pick(ev!, '1X2', '1');
    const slip = { playerId: p.id, selections: [sel], stake: 100_00, key: 'outbox-slip', now: core.clock() };
    const placed = await placeBet(core, slip);
    await placeBet(core, slip);
    if (!placed.ok) throw new Error(placed.reason);
    await setResult(core, ev!.id, { home: 1, away: 0 });
    await settleEvent(core, ev!.id, core.clock());
    const w1 = await reserveWithdrawal(core, { playerId: p.id, amount: 100_00, key: 'ob-w1', now: core.clock() });
    const w2 = await reserveWithdrawal(core, { playerId: p.id, amount: 100_00, key: 'ob-w2', now: core.clock() });
    if (!w1.ok || !w2.ok) throw new Error('reserve failed');
    await completeWithdrawal(core, { withdrawalId: w1.value.id, receipt: 'PAID1', now: core.clock() });
    await completeWithdrawal(core, { withdrawalId: w1.value.id, receipt: 'PAID1', now: core.clock() });
    await failWithdrawal(core, { withdrawalId: w2.value.id, reason: 'recipient not registered', now: core.clock() });
    await selfExclude(core.db, p.id, 7, core.clock());

    const messages = await owed(p.id);
    expect(messages.map((m) => m.kind)).toEqual([
      'deposit_credited',
      'bet_placed',
      'bet_won',
      'withdrawal_paid',
      'withdrawal_failed',
      'self_excluded',
    ]);
    expect(messages.every((m) => m.msisdn === p.msisdn)).toBe(true);
    expect(messages[0]!.params).toMatchObject({ receipt: 'OUTBOX1', amount: 1000_00, excise: 50_00, credited: 950_00 });
    expect(messages[1]!.params).toMatchObject({ reference: placed.value.reference, stake: 100_00 });
    expect(messages[2]!.params).toMatchObject({ reference: placed.value.reference, payout: placed.value.potentialPayout });
    expect(messages[3]!.params).toMatchObject({ amount: 100_00, wht: 5_00, net: 95_00, receipt: 'PAID1' });
  });

  it('queues nothing for a refused bet or a lost one', async () => {
    const p = await newPlayer(core, 100_00);
    const [ev] = await openRound(core);
    await placeBet(core, { playerId: p.id, selections: [pick(ev!, '1X2', '1')], stake: 500_00, key: 'ob-refused', now: core.clock() });
    await placeBet(core, { playerId: p.id, selections: [pick(ev!, '1X2', '2')], stake: 20_00, key: 'ob-lost', now: core.clock() });
    await setResult(core, ev!.id, { home: 1, away: 0 });
    await settleEvent(core, ev!.id, core.clock());
    expect((await owed(p.id)).map((m) => m.kind)).toEqual(['deposit_credited', 'bet_placed']);
  });
});
