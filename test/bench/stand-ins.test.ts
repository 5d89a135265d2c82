import { describe, expect, it } from 'vitest';
import { BET_REFERENCE, SCENARIO_A, SCENARIO_B, type Scenario } from '../../bench/ussd/protocol.ts';
import { STAND_IN_KINDS, standIn } from '../../bench/ussd/stand-ins.ts';
import type { Conversation } from '../../src/menus/conversation.ts';

const ctx = { sessionId: 'S-1', phone: '+254711000001', network: '63902' };

/** one session of the scenario, hop by hop; `viaStore` hands each snapshot on as the Redis store would (a parsed copy) */
async function walk(conversation: Conversation, scenario: Scenario, viaStore: boolean): Promise<string[]> {
  let out = await conversation.start(ctx, null);
  const replies = [`${out.reply.kind} ${out.reply.screen}`];
  for (const input of scenario.inputs) {
    const snapshot = viaStore ? JSON.parse(JSON.stringify(out.snapshot)) : out.snapshot;
    out = await conversation.advance(snapshot, [input], ctx);
    replies.push(`${out.reply.kind} ${out.reply.screen}`);
  }
  return replies;
}

describe.each(STAND_IN_KINDS)('USSD bench stand-in %s', (kind) => {
  it.each([
    [SCENARIO_A, false],
    [SCENARIO_B, false],
    [SCENARIO_B, true],
  ])('answers scenario %s with the screens the load generator checks (snapshot restored: %s)', async (scenario, viaStore) => {
    const replies = await walk(standIn(kind), scenario, viaStore);
    expect(replies).toHaveLength(scenario.inputs.length + 1);
    replies.forEach((reply, i) => expect(reply).toMatch(scenario.expect[i]!));
    const ends = replies.filter((r) => r.startsWith('END'));
    expect(ends).toHaveLength(scenario.endsWithBet ? 1 : 0);
  });

  it('gives every placed bet its own reference', async () => {
    const conversation = standIn(kind);
    const refs = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const last = (await walk(conversation, SCENARIO_B, false)).at(-1)!;
      refs.add(BET_REFERENCE.exec(last)![1]!);
    }
    expect(refs.size).toBe(3);
  });

  it('feeds a batch of inputs one by one, as a shortcut dial brings them', async () => {
    const conversation = standIn(kind);
    const first = await conversation.start(ctx, null);
    const out = await conversation.advance(first.snapshot, SCENARIO_B.inputs.slice(0, 4), ctx);
    expect(`${out.reply.kind} ${out.reply.screen}`).toMatch(SCENARIO_B.expect[4]!);
  });
});
