/**
 * Betting by SMS over real HTTP into the Koa app, on real databases, with the real MenuServices binding: every
 * command and many malformed ones get the right words back, duplicates do nothing twice, strangers go through the
 * ACCEPT flow, and a phone that floods us is told once to slow down.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AtInboundSmsSchema } from '../../src/adapters/sms/sms-inbound.ts';
import { createSmsModule, SmsConfigSchema } from '../../src/adapters/sms/sms-module.ts';
import { renderOutboxMessage } from '../../src/adapters/sms/outbox-render.ts';
import { TWO_PARTS } from '../../src/adapters/sms/sms-length.ts';
import { fail } from '../../src/core/outcome.ts';
import { findPlayerByMsisdn, selfExclude, setBlocked, type Player } from '../../src/core/players.ts';
import { balance } from '../../src/core/wallet.ts';
import { gsm7Length, isGsm7 } from '../../src/menus/gsm7.ts';
import type { MenuServices } from '../../src/menus/services.ts';
import { newPlayer } from '../support/core.ts';
import { backends } from '../support/databases.ts';
import { openRound, type EventWithOutcomes } from '../support/events.ts';
import { freshPhone, inboundId, scriptedSender, silent, startSmsHarness, TOKEN, type SmsHarness } from './sms-harness.ts';

const HELP = /^GAMES: games and odds\nBet: GAMEID#PICK#AMOUNT e\.g\. 1234#1#50\n/;
const TERMS = /^Betting by SMS, 18\+ only\. .* Reply ACCEPT if you are 18\+ and agree \(Kiswahili: KUBALI\)\.$/;

describe.each(backends)('betting by SMS on $name', (backend) => {
  let h: SmsHarness;
  const sender = scriptedSender();
  let football: EventWithOutcomes[];
  let basketball: EventWithOutcomes[];
  let tennis: EventWithOutcomes[];
  beforeAll(async () => {
    h = await startSmsHarness(backend, { sender });
    // kick-offs well ahead, so no test's clock step closes them
    football = await openRound(h.core, 'football', 600_000);
    basketball = await openRound(h.core, 'basketball', 600_000);
    tennis = await openRound(h.core, 'tennis', 600_000);
  });
  afterAll(() => h.close());

  /** a registered player with KES 9,500.00 (a KES 10,000 deposit less 5% excise) */
  const funded = () => newPlayer(h.core, 10_000_00);

  const lastBet = async (playerId: number) =>
    (
      await h.t.db.query<{ reference: string; stake: unknown; legs: unknown; picks: string }>(
        `SELECT b.reference, b.stake, b.legs,
                string_agg(e.sport || ':' || o.market || ':' || o.pick, ',' ORDER BY s.leg) AS picks
           FROM bets b JOIN bet_selections s ON s.bet_id = b.id JOIN outcomes o ON o.id = s.outcome_id
           JOIN events e ON e.id = s.event_id
          WHERE b.player_id = $1 GROUP BY b.id ORDER BY b.id DESC LIMIT 1`,
        [playerId],
      )
    ).rows[0];

  const receipts = (playerId: number, kind: string) => h.outbox('player_id = $1 AND kind = $2', [playerId, kind]);

  describe('replies to every command', () => {
    const ids = () => ({ fb: football[0]!.id, fb2: football[1]!.id, fb3: football[2]!.id, bb: basketball[0]!.id, tn: tennis[0]!.id });
    type Ids = ReturnType<typeof ids>;
    const cases: [label: string, text: (i: Ids) => string, reply: string | RegExp][] = [
      ['HELP', () => 'HELP', HELP],
      ['help, lower case with spaces', () => '  help ', HELP],
      ['? is help', () => '?', HELP],
      ['BAL', () => 'BAL', 'Balance KES 9,500.00.'],
      ['balance', () => 'balance', 'Balance KES 9,500.00.'],
      ['SALIO', () => 'salio', 'Balance KES 9,500.00.'],
      ['BETS with none', () => 'BETS', 'You have no bets yet. Send GAMES to see games and odds.'],
      ['ACCEPT when registered', () => 'ACCEPT', /^You are already registered\.\nGAMES: games and odds/],
      ['DEPOSIT#100', () => 'DEPOSIT#100', 'Enter your M-Pesa PIN on the prompt to deposit KES 100.00. Excise duty KES 5.00, to your wallet KES 95.00.'],
      ['deposit 100', () => 'deposit 100', /^Enter your M-Pesa PIN on the prompt to deposit KES 100\.00\./],
      ['DEPOSIT below minimum', () => 'DEPOSIT#5', 'The minimum deposit is KES 10.00.'],
      ['DEPOSIT above maximum', () => 'DEPOSIT#300000', 'The maximum deposit is KES 250,000.00.'],
      ['DEPOSIT without amount', () => 'DEPOSIT', 'To deposit send DEPOSIT#AMOUNT e.g. DEPOSIT#100.'],
      ['DEPOSIT with words', () => 'DEPOSIT#abc', /^"ABC" is not an amount\./],
      ['W#100', () => 'W#100', 'Withdrawal of KES 100.00: KES 95.00 is on its way to your M-Pesa (withholding tax KES 5.00). Balance KES 9,400.00.'],
      ['W below minimum', () => 'W#5', 'The minimum withdrawal is KES 10.00.'],
      ['W above maximum', () => 'W#80000', 'The maximum withdrawal is KES 70,000.00.'],
      ['W more than the balance', () => 'W#20000', 'Not enough money: your balance is KES 9,500.00. Send DEPOSIT#AMOUNT to top up.'],
      ['W without amount', () => 'W', 'To withdraw send W#AMOUNT e.g. W#100.'],
      ['LANG#SW', () => 'LANG#SW', 'Lugha imewekwa: Kiswahili.'],
      ['LANG#EN', () => 'lang # en', 'Language set to English.'],
      ['LANG#FR', () => 'LANG#FR', 'To change language send LANG#EN for English or LANG#SW for Kiswahili.'],
      ['EXCLUDE#0', () => 'EXCLUDE#0', /^To take a break from betting send EXCLUDE#DAYS, 1 to 3650 days/],
      ['EXCLUDE#3651', () => 'EXCLUDE#3651', /^To take a break from betting send EXCLUDE#DAYS/],
      ['EXCLUDE#forever', () => 'EXCLUDE#forever', /^To take a break from betting send EXCLUDE#DAYS/],
      ['STOP', () => 'STOP', /^You will get no more promotional SMS from us\. Receipts for your bets and payments still come\./],
      ['START', () => 'START', 'You will get our offers by SMS again. Send STOP to stop them.'],
      ['empty text', () => '', 'Send GAMES for games and odds, BAL for your balance or HELP for all commands.'],
      ['an unknown word', () => 'hello there', /^Sorry, we did not understand "HELLO"\. Send GAMES/],
      ['an emoji', () => '\u{1F600}', /^Sorry, we did not understand "\?"\./],
      ['a very long word', () => 'supercalifragilistic', /^Sorry, we did not understand "SUPERCALI\.\.\."\./],
      ['a game id alone', () => '1234', /^To bet send GAMEID#PICK#AMOUNT e\.g\. 1234#1#50\./],
      ['a bet without amount', (i) => `${i.fb}#1`, /^To bet send GAMEID#PICK#AMOUNT/],
      ['a bet with a word for amount', (i) => `${i.fb}#1#abc`, /^"ABC" is not an amount\./],
      ['a mistyped game id', () => '12O4#1#50', '"12O4" is not a game ID. Send GAMES for open games and their IDs.'],
      ['an unknown game', () => '999999999#1#50', 'Game 999999999 was not found. Send GAMES for open games.'],
      ['a tennis pick on football', (i) => `${i.fb}#S2#50`, /^"S2" is not a pick for game \d+\. Picks: 1 X 2 1X X2 12 OV25 UN25 GG NG HCP1 HCPX HCP2\.$/],
      ['a draw on basketball', (i) => `${i.bb}#X#50`, /^"X" is not a pick for game \d+\. Picks: 1 2 OV UN\.$/],
      ['GG on tennis', (i) => `${i.tn}#GG#50`, /^"GG" is not a pick for game \d+\. Picks: 1 2 S2 S3\.$/],
      ['a stake below the minimum', (i) => `${i.fb}#1#5`, 'The minimum stake is KES 20.00.'],
      ['a stake above the maximum', (i) => `${i.fb}#1#60000`, 'The maximum stake is KES 50,000.00.'],
      ['one game twice', (i) => `${i.fb}#1#${i.fb}#2#50`, 'A bet can have each game only once.'],
      ['eleven games', () => [...football, ...basketball].slice(0, 11).map((e) => `${e.id}#1`).join('#') + '#50', 'A bet can have at most 10 games.'],
      [
        'a possible win above the maximum',
        (i) => `${i.fb}#X#${i.fb2}#X#${i.fb3}#X#50000`,
        'The most you can win is KES 1,000,000.00. Please lower the stake.',
      ],
    ];

    it.each(cases)('%s', async (_label, text, expected) => {
      const player = await funded();
      const answer = await h.ask(player.msisdn, text(ids()));
      expect(answer.status).toBe(200);
      expect(answer.reply).not.toBeNull();
      if (typeof expected === 'string') expect(answer.reply).toBe(expected);
      else expect(answer.reply).toMatch(expected);
      expect(isGsm7(answer.reply!)).toBe(true);
      expect(gsm7Length(answer.reply!)).toBeLessThanOrEqual(TWO_PARTS);
    });

    it('GAMES lists open games across sports with their ids and odds, in two SMS at most', async () => {
      const player = await funded();
      const { reply } = await h.ask(player.msisdn, 'GAMES');
      const fb = football[0]!;
      const odds = ['1', 'X', '2'].map((p) => fb.outcomes.find((o) => o.market === '1X2' && o.pick === p)!.odds);
      const fmt = (o: number) => `${Math.floor(o / 100)}.${String(o % 100).padStart(2, '0')}`;
      expect(reply).toMatch(new RegExp(`^Reply GAMEID#PICK#AMOUNT e\\.g\\. ${fb.id}#1#50\\nFootball \\d\\d:\\d\\d 1 X 2:\\n`));
      expect(reply).toContain(`\n${fb.id} ${fb.home.split(' ')[0]}-${fb.away.split(' ')[0]} ${odds.map(fmt).join(' ')}\n`);
      expect(reply).toMatch(/\nBasketball \d\d:\d\d 1 2:\n\d+ \S+-\S+ \d+\.\d\d \d+\.\d\d\n/);
      expect(reply).toMatch(/\nTennis \d\d:\d\d 1 2:\n\d+ \S+-\S+ \d+\.\d\d \d+\.\d\d/);
      expect(gsm7Length(reply!)).toBeLessThanOrEqual(TWO_PARTS);
    });

    it('BETS lists the last bets', async () => {
      const player = await funded();
      await h.ask(player.msisdn, `${football[0]!.id}#1#50`);
      await h.ask(player.msisdn, `${basketball[0]!.id}#2#20`);
      const bets = await h.ask(player.msisdn, 'BETS');
      expect(bets.reply).toMatch(/^Your last bets:\nB\w+ open, stake KES 20\.00, win KES [\d,.]+\nB\w+ open, stake KES 50\.00, win KES [\d,.]+$/);
    });

    it('a game that has started is refused in words', async () => {
      const player = await funded();
      const [started] = await openRound(h.core, 'football', 600_000);
      await h.t.db.query('UPDATE events SET kickoff_at = $2 WHERE id = $1', [started!.id, new Date(h.clock().getTime() - 1000)]);
      expect((await h.ask(player.msisdn, `${started!.id}#1#50`)).reply).toBe(`Game ${started!.id} has already started. Send GAMES for open games.`);
    });

    it('a bet without the money for it says the balance', async () => {
      const broke = await newPlayer(h.core);
      expect((await h.ask(broke.msisdn, `${football[0]!.id}#1#50`)).reply).toBe(
        'Not enough money: your balance is KES 0.00. Send DEPOSIT#AMOUNT to top up.',
      );
    });

    it('a player on a break cannot see games, bet or deposit, but can withdraw', async () => {
      const player = await funded();
      await selfExclude(h.core.db, player.id, 7, h.clock());
      const onBreak = /^You are on a break from betting until \d\d\/\d\d\/\d{4} \d\d:\d\d\.$/;
      expect((await h.ask(player.msisdn, 'GAMES')).reply).toMatch(onBreak);
      expect((await h.ask(player.msisdn, `${football[0]!.id}#1#50`)).reply).toMatch(onBreak);
      expect((await h.ask(player.msisdn, 'DEPOSIT#100')).reply).toBe('Deposits are paused during your break.');
      expect((await h.ask(player.msisdn, 'W#100')).reply).toMatch(/^Withdrawal of KES 100\.00/);
    });

    it('a blocked player is told so', async () => {
      const player = await funded();
      await setBlocked(h.core.db, player.id, true);
      const blocked = 'Your account is blocked. Please call customer care.';
      expect((await h.ask(player.msisdn, `${football[0]!.id}#1#50`)).reply).toBe(blocked);
      expect((await h.ask(player.msisdn, 'DEPOSIT#100')).reply).toBe(blocked);
      expect((await h.ask(player.msisdn, 'W#100')).reply).toBe(blocked);
    });
  });

  describe('placing bets', () => {
    const picks: [sport: 'football' | 'basketball' | 'tennis', code: string, market: string, pick: string][] = [
      ['football', '1', '1X2', '1'],
      ['football', 'x', '1X2', 'X'],
      ['football', '2', '1X2', '2'],
      ['football', '1X', 'DC', '1X'],
      ['football', 'X2', 'DC', 'X2'],
      ['football', '12', 'DC', '12'],
      ['football', 'OV25', 'OU25', 'OV25'],
      ['football', 'un25', 'OU25', 'UN25'],
      ['football', 'GG', 'BTTS', 'GG'],
      ['football', 'NG', 'BTTS', 'NG'],
      ['football', 'HCP1', 'HCP', '1'],
      ['football', 'HCPX', 'HCP', 'X'],
      ['football', 'hcp2', 'HCP', '2'],
      ['basketball', '1', 'WIN', '1'],
      ['basketball', '2', 'WIN', '2'],
      ['basketball', 'OV', 'TOT', 'OV'],
      ['basketball', 'UN', 'TOT', 'UN'],
      ['tennis', '1', 'WIN', '1'],
      ['tennis', '2', 'WIN', '2'],
      ['tennis', 'S2', 'SETS', '2'],
      ['tennis', 's3', 'SETS', '3'],
    ];

    it.each(picks)('%s pick %s backs %s:%s at the current odds', async (sport, code, market, pick) => {
      const player = await funded();
      const event = { football, basketball, tennis }[sport][0]!;
      const answer = await h.ask(player.msisdn, `${event.id} # ${code} # 50`);
      // answered by the bet_placed receipt the core queued with the bet
      expect(answer.reply).toBeNull();
      expect(await lastBet(player.id)).toMatchObject({ picks: `${sport}:${market}:${pick}` });
      expect(Number((await lastBet(player.id))!.stake)).toBe(50_00);
      expect((await balance(h.core.db, player.id)).balance).toBe(9_450_00);
      expect(await receipts(player.id, 'bet_placed')).toHaveLength(1);
    });

    it('a multibet across sports is one bet with one leg per game', async () => {
      const player = await funded();
      const text = `${football[0]!.id}#1#${basketball[0]!.id}#OV#${tennis[0]!.id}#S3#100`;
      expect((await h.ask(player.msisdn, text)).reply).toBeNull();
      expect(await lastBet(player.id)).toMatchObject({
        legs: expect.anything(),
        picks: 'football:1X2:1,basketball:TOT:OV,tennis:SETS:3',
      });
      const [receipt] = await receipts(player.id, 'bet_placed');
      expect(receipt!.params).toMatchObject({ stake: 100_00, legs: 3 });
    });

    it('the same message delivered twice places one bet and sends one confirmation', async () => {
      const player = await funded();
      const id = inboundId();
      const form = h.inboundForm(player.msisdn, `${football[0]!.id}#1#100`, id);
      const path = `/sms/africastalking/inbound/${TOKEN}`;
      expect(await h.post(path, form)).toEqual({ status: 200, body: 'OK' });
      expect(await h.post(path, form)).toEqual({ status: 200, body: 'OK' });
      // and a burst of re-posts racing each other
      const burst = await Promise.all([h.post(path, form), h.post(path, form), h.post(path, form)]);
      expect(burst.every((r) => r.status === 200)).toBe(true);
      const { rows: bets } = await h.t.db.query('SELECT id FROM bets WHERE player_id = $1', [player.id]);
      expect(bets).toHaveLength(1);
      expect(await receipts(player.id, 'bet_placed')).toHaveLength(1);
      expect(await receipts(player.id, 'reply')).toHaveLength(0);
      const { rows: inbound } = await h.t.db.query('SELECT status FROM sms_inbound WHERE provider_id = $1', [id]);
      expect(inbound).toEqual([{ status: 'answered' }]);
      expect((await balance(h.core.db, player.id)).balance).toBe(9_400_00);
    });

    it('a duplicated question is answered once', async () => {
      const player = await funded();
      const id = inboundId();
      await h.ask(player.msisdn, 'BAL', id);
      await h.ask(player.msisdn, 'BAL', id);
      expect(await receipts(player.id, 'reply')).toHaveLength(1);
    });

    it('a Swahili speaker is answered, and gets receipts, in Kiswahili', async () => {
      const player = await funded();
      expect((await h.ask(player.msisdn, 'LANG#SW')).reply).toBe('Lugha imewekwa: Kiswahili.');
      expect((await h.ask(player.msisdn, 'BAL')).reply).toBe('Salio KES 9,500.00.');
      expect((await h.ask(player.msisdn, 'W#abc')).reply).toMatch(/^"ABC" si kiasi\./);
      await h.ask(player.msisdn, `${football[0]!.id}#1#50`);
      sender.sends.length = 0;
      // earlier tests left receipts waiting too: drain them all
      while ((await h.sms.sendDueOnce()).claimed > 0);
      const mine = sender.sends.filter((s) => s.to === player.msisdn).map((s) => s.message);
      expect(mine).toContainEqual(expect.stringMatching(/^Beti B\w+ imewekwa: mechi 1, kiasi KES 50\.00, ushindi hadi KES [\d,.]+\./));
    });

    it('an odds change between lookup and placement is retried once at the new odds', async () => {
      const player = await funded();
      // services that show odds one tick below the real ones, as if they had just changed
      const stale: MenuServices = {
        ...h.services,
        async eventMarkets(id) {
          const m = await h.services.eventMarkets(id);
          return m && { ...m, outcomes: m.outcomes.map((o) => ({ ...o, odds: o.odds - 1 })) };
        },
      };
      const sms = createSmsModule({ core: h.core, services: stale, logger: silent, config: SmsConfigSchema.parse({}), sender });
      const event = football[0]!;
      await sms.handleInbound(AtInboundSmsSchema.parse(h.inboundForm(player.msisdn, `${event.id}#1#50`)));
      const { rows } = await h.t.db.query<{ odds: number }>(
        'SELECT s.odds FROM bet_selections s JOIN bets b ON b.id = s.bet_id WHERE b.player_id = $1',
        [player.id],
      );
      expect(rows).toEqual([{ odds: event.outcomes.find((o) => o.market === '1X2' && o.pick === '1')!.odds }]);
    });

    it('odds that keep changing are quoted back instead of taken blindly', async () => {
      const player = await funded();
      const event = football[0]!;
      const real = event.outcomes.find((o) => o.market === '1X2' && o.pick === '1')!;
      let tick = 0;
      const moving: MenuServices = {
        ...h.services,
        async placeBet() {
          tick += 1;
          return fail('odds_changed', [{ outcomeId: real.id, odds: 250 + tick }]);
        },
      };
      const sms = createSmsModule({ core: h.core, services: moving, logger: silent, config: SmsConfigSchema.parse({}), sender });
      const form = h.inboundForm(player.msisdn, `${event.id}#1#50`);
      await sms.handleInbound(AtInboundSmsSchema.parse(form));
      const [reply] = await h.outbox('dedupe_key = $1', [`sms_reply:${form.id}`]);
      expect(reply!.params.text).toBe(`Odds changed: ${event.id} 1 2.52. Send your bet again to accept them.`);
      expect(tick).toBe(2);
    });
  });

  describe('numbers that are not players yet', () => {
    it('get the terms, register with ACCEPT and then get HELP', async () => {
      const phone = freshPhone();
      expect((await h.ask(phone, 'BAL')).reply).toMatch(TERMS);
      expect((await h.ask(phone, `${football[0]!.id}#1#50`)).reply).toMatch(TERMS);
      expect(await findPlayerByMsisdn(h.core.db, phone)).toBeNull();
      const welcome = await h.ask(phone, 'accept');
      expect(welcome.reply).toMatch(/^Welcome, you are registered!\nGAMES: games and odds\n/);
      const player = (await findPlayerByMsisdn(h.core.db, phone)) as Player;
      expect(player).toMatchObject({ language: 'en', status: 'active' });
      expect((await h.ask(phone, 'BAL')).reply).toBe('Balance KES 0.00.');
      expect((await h.ask(phone, 'ACCEPT')).reply).toMatch(/^You are already registered\./);
    });

    it('KUBALI registers in Kiswahili', async () => {
      const phone = freshPhone();
      expect((await h.ask(phone, 'Kubali')).reply).toMatch(/^Karibu, umesajiliwa!\nGAMES: mechi na odds\n/);
      expect(await findPlayerByMsisdn(h.core.db, phone)).toMatchObject({ language: 'sw' });
    });

    it('STOP from a stranger is acknowledged without registering them', async () => {
      const phone = freshPhone();
      expect((await h.ask(phone, 'STOP')).reply).toMatch(/^You will get no more promotional SMS/);
      expect(await findPlayerByMsisdn(h.core.db, phone)).toBeNull();
    });

    it('a number that is not a Kenyan mobile is recorded and not answered', async () => {
      const id = inboundId();
      const res = await h.post(`/sms/africastalking/inbound/${TOKEN}`, { ...h.inboundForm(freshPhone(), 'BAL', id), from: '+15551234567' });
      expect(res.status).toBe(200);
      const { rows } = await h.t.db.query('SELECT status FROM sms_inbound WHERE provider_id = $1', [id]);
      expect(rows).toEqual([{ status: 'ignored' }]);
      expect(await h.outbox('dedupe_key = $1', [`sms_reply:${id}`])).toHaveLength(0);
    });
  });

  describe('the callback itself', () => {
    it('a wrong token is a 404 and nothing happens', async () => {
      const player = await funded();
      const id = inboundId();
      const res = await h.post('/sms/africastalking/inbound/wrong-token', h.inboundForm(player.msisdn, `${football[0]!.id}#1#50`, id));
      expect(res.status).toBe(404);
      const { rows } = await h.t.db.query('SELECT 1 FROM sms_inbound WHERE provider_id = $1', [id]);
      expect(rows).toHaveLength(0);
      expect((await h.t.db.query('SELECT 1 FROM bets WHERE player_id = $1', [player.id])).rows).toHaveLength(0);
    });

    it('a malformed callback is a 400 naming the field', async () => {
      const form = h.inboundForm(freshPhone(), 'BAL');
      const { id: _drop, ...withoutId } = form;
      const res = await h.post(`/sms/africastalking/inbound/${TOKEN}`, withoutId);
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body)).toMatchObject({ error: 'invalid_request', message: expect.stringMatching(/^id:/) });
    });

    it('STOP and START switch promotional SMS off and on', async () => {
      const player = await funded();
      const optOut = async () =>
        (await h.t.db.query<{ promo_opt_out: boolean }>('SELECT promo_opt_out FROM players WHERE id = $1', [player.id])).rows[0]!.promo_opt_out;
      expect(await optOut()).toBe(false);
      await h.ask(player.msisdn, 'STOP');
      expect(await optOut()).toBe(true);
      await h.ask(player.msisdn, 'START');
      expect(await optOut()).toBe(false);
    });

    it('EXCLUDE#7 starts a break, answered by its receipt', async () => {
      const player = await funded();
      expect((await h.ask(player.msisdn, 'EXCLUDE#7')).reply).toBeNull();
      const [receipt] = await receipts(player.id, 'self_excluded');
      expect(renderOutboxMessage(receipt!.kind, receipt!.params, 'en')).toMatch(/^Your break from betting has started\. You can bet again after /);
      expect((await h.ask(player.msisdn, `${football[0]!.id}#1#50`)).reply).toMatch(/^You are on a break from betting until/);
    });
  });

  it('arbitrary text never throws and always gets an answer', async () => {
    const players = await Promise.all([funded(), funded(), funded()]);
    const ids = [football[0]!.id, football[1]!.id, basketball[0]!.id, tennis[0]!.id].map(String);
    const word = fc.oneof(
      fc.constantFrom('GAMES', 'BAL', 'BETS', 'HELP', 'STOP', 'START', 'ACCEPT', 'DEPOSIT', 'W', 'LANG', 'EXCLUDE', 'SW', 'EN'),
      fc.constantFrom('1', 'X', '2', '1X', 'OV25', 'GG', 'HCP1', 'OV', 'UN', 'S2', 'S3', ...ids),
      fc.integer({ min: 0, max: 200_000 }).map(String),
      fc.string({ maxLength: 6 }),
    );
    const text = fc.oneof(
      fc.array(word, { maxLength: 8 }).chain((parts) => fc.constantFrom('#', ' ', '*', ' # ').map((sep) => parts.join(sep))),
      fc.string({ maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 100 }),
    );
    const phone = fc.oneof(fc.constantFrom(...players.map((p) => p.msisdn)), fc.constant(null));
    await fc.assert(
      fc.asyncProperty(text, phone, async (t, from) => {
        const form = h.inboundForm(from ?? freshPhone(), t);
        const outcome = await h.sms.handleInbound(AtInboundSmsSchema.parse(form));
        expect(outcome).toBe('answered');
        const [reply] = await h.outbox('dedupe_key = $1', [`sms_reply:${form.id}`]);
        if (reply) {
          const text = String(reply.params.text);
          expect(isGsm7(text)).toBe(true);
          expect(gsm7Length(text)).toBeLessThanOrEqual(TWO_PARTS);
        } else {
          // no reply row: a receipt the core queued with the bet or the break answers
          const { rows } = await h.t.db.query<{ reply: string }>('SELECT reply FROM sms_inbound WHERE provider_id = $1', [form.id]);
          expect(rows[0]!.reply).toMatch(/^\[answered by (bet_placed|self_excluded)\]$/);
        }
      }),
      { numRuns: 120 },
    );
  });
});

describe.each(backends)('the per-phone rate limit on $name', (backend) => {
  let h: SmsHarness;
  beforeAll(async () => {
    h = await startSmsHarness(backend, { env: { SMS_MAX_PER_MINUTE: '10' } });
  });
  afterAll(() => h.close());

  it('answers ten messages a minute, then says "slow down" once, then stays silent until the next minute', async () => {
    const player = await newPlayer(h.core);
    const other = await newPlayer(h.core);
    // the start of a minute, so the whole burst falls in one window
    h.clock.set(Math.ceil(h.clock().getTime() / 60_000) * 60_000 + 1_000);
    const replies: (string | null)[] = [];
    for (let i = 0; i < 13; i++) replies.push((await h.ask(player.msisdn, 'BAL')).reply);
    expect(replies.slice(0, 10)).toEqual(Array(10).fill('Balance KES 0.00.'));
    expect(replies[10]).toBe('You are sending too many messages. Please wait a minute, then try again.');
    expect(replies.slice(11)).toEqual([null, null]);
    const { rows } = await h.t.db.query<{ status: string; n: unknown }>(
      'SELECT status, count(*) AS n FROM sms_inbound WHERE msisdn = $1 GROUP BY status ORDER BY status',
      [player.msisdn],
    );
    expect(rows.map((r) => [r.status, Number(r.n)])).toEqual([
      ['answered', 10],
      ['silenced', 2],
      ['throttled', 1],
    ]);
    // another phone is not affected
    expect((await h.ask(other.msisdn, 'BAL')).reply).toBe('Balance KES 0.00.');
    // the next minute starts afresh
    h.clock.advance(60_000);
    expect((await h.ask(player.msisdn, 'BAL')).reply).toBe('Balance KES 0.00.');
  });
});
