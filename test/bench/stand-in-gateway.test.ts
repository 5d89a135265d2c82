import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCENARIO_A, SCENARIO_B } from '../../bench/ussd/protocol.ts';
import { standIn } from '../../bench/ussd/stand-ins.ts';
import { appVariants, startTestApp, type TestApp } from '../support/app.ts';

/**
 * The bench's stand-in children: the real gateway, its menus swapped for a stand-in through `startGateway`'s parts.
 * One kind is enough to hold the seam; both kinds walk the scenarios in stand-ins.test.ts.
 */
describe('gateway with the xstate stand-in', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(appVariants[0]!, { conversation: standIn('xstate') });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('answers both bench scenarios over HTTP and logs every hop', async () => {
    const sessions: string[] = [];
    for (const scenario of [SCENARIO_A, SCENARIO_B]) {
      const dial = app.dial('+254711000001');
      sessions.push(dial.sessionId);
      const replies = [(await dial.start()).body];
      for (const input of scenario.inputs) replies.push((await dial.send(input)).body);
      replies.forEach((reply, i) => expect(reply).toMatch(scenario.expect[i]!));
    }
    await app.drain();
    const { rows } = await app.db.db.query<{ n: unknown }>('SELECT count(*) AS n FROM ussd_hops WHERE session_id = ANY($1)', [sessions]);
    expect(Number(rows[0]!.n)).toBe(SCENARIO_A.inputs.length + 1 + SCENARIO_B.inputs.length + 1);
    // the menus were not asked: no player was looked up, so none was registered either
    const players = await app.db.db.query<{ n: unknown }>('SELECT count(*) AS n FROM players');
    expect(Number(players.rows[0]!.n)).toBe(0);
  });
});
