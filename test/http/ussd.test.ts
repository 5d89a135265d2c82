/**
 * USSD flows over real HTTP into the real app: the menu machine, the core, the session store, the hop log and the
 * payment simulator together, on every database backend × session store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPlayerByMsisdn } from '../../src/core/players.ts';
import { balance, getWithdrawal } from '../../src/core/wallet.ts';
import { appVariants, startTestApp, type TestApp } from '../support/app.ts';
import { newPlayer } from '../support/core.ts';
import { openRound } from '../support/events.ts';

const MAIN = /^CON (.*\n)?Main menu\n1\. Bet on virtuals/;
/** from the main menu: football → first match → match result → home → enter stake → stake → confirm */
const betInputs = (stake: string) => ['1', '1', '1', '1', '1', '2', stake, '1'];

let phoneSeq = 0;
const freshPhone = () => `2547${String(process.pid % 100).padStart(2, '0')}9${String(++phoneSeq).padStart(5, '0')}`;

describe.each(appVariants)('USSD over HTTP on $name', (variant) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(variant);
    await openRound(app.core, 'football', 10 * 60_000);
  });
  afterAll(() => app.close());

  const betsOf = async (playerId: number) =>
    (await app.db.db.query<{ id: unknown; stake: unknown }>('SELECT id, stake FROM bets WHERE player_id = $1', [playerId])).rows;

  it('registers a new number on its first hops: terms, accept, main menu', async () => {
    const phone = freshPhone();
    const d = app.dial(`+${phone}`);
    const terms = await d.start();
    expect(terms.status).toBe(200);
    expect(terms.body).toMatch(/^CON 18\+ only\. [\s\S]*\n1\. I am 18\+ and accept\n2\. Decline\n3\. Kiswahili$/);
    expect(await findPlayerByMsisdn(app.core.db, phone)).toBeNull();
    const main = await d.send('1');
    expect(main.body).toMatch(/^CON Welcome! You are registered\.\nMain menu\n/);
    expect(await findPlayerByMsisdn(app.core.db, phone)).toMatchObject({ msisdn: phone, language: 'en' });
  });

  it('places a full bet over HTTP and debits the wallet once', async () => {
    const p = await newPlayer(app.core, 1_000_00);
    const d = app.dial(p.msisdn);
    expect((await d.start()).body).toMatch(MAIN);
    let reply = await d.send('1');
    expect(reply.body).toMatch(/^CON Choose a sport\n1\. Football/);
    for (const input of betInputs('100').slice(1, -1)) reply = await d.send(input);
    expect(reply.body).toMatch(/^CON Confirm bet: 1 match\nStake KES 100\.00\n/);
    const placed = await d.send('1');
    expect(placed.body).toMatch(/^END Bet B[0-9A-Z]{5} placed\. Stake KES 100\.00/);
    expect(await betsOf(p.id)).toHaveLength(1);
    expect((await balance(app.core.db, p.id)).balance).toBe(850_00);
  });

  it('answers a retried confirm with the same screen and places one bet', async () => {
    const p = await newPlayer(app.core, 1_000_00);
    const d = app.dial(p.msisdn);
    await d.start();
    for (const input of betInputs('50').slice(0, -1)) await d.send(input);
    const confirm = { sessionId: d.sessionId, serviceCode: '*290*290#', phoneNumber: p.msisdn, networkCode: '63902', text: `${d.text}*1` };
    const first = await app.post(confirm);
    const retry = await app.post(confirm);
    expect(retry).toEqual(first);
    expect(first.body).toMatch(/^END Bet B/);
    expect(await betsOf(p.id)).toHaveLength(1);
    expect((await balance(app.core.db, p.id)).balance).toBe(900_00);
  });

  it('serialises two concurrent hops of one session: same answer, one bet', async () => {
    const p = await newPlayer(app.core, 1_000_00);
    const d = app.dial(p.msisdn);
    await d.start();
    for (const input of betInputs('70').slice(0, -1)) await d.send(input);
    const confirm = { sessionId: d.sessionId, serviceCode: '*290*290#', phoneNumber: p.msisdn, networkCode: '63902', text: `${d.text}*1` };
    const [a, b] = await Promise.all([app.post(confirm), app.post(confirm)]);
    expect(a).toEqual(b);
    expect(a.body).toMatch(/^END Bet B/);
    expect(await betsOf(p.id)).toHaveLength(1);
    expect((await balance(app.core.db, p.id)).balance).toBe(880_00);
  });

  it('takes a shortcut dial (*290*290*2#) as input on the first hop', async () => {
    const p = await newPlayer(app.core, 200_00);
    const reply = await app.dial(p.msisdn).start('2');
    expect(reply.body).toBe('CON Balance: KES 190.00\n0. Back');
  });

  it('does not read a second first hop (text "") as input', async () => {
    const p = await newPlayer(app.core);
    const d = app.dial(p.msisdn);
    await d.start();
    const sports = await d.send('1');
    const again = await app.post({ sessionId: d.sessionId, serviceCode: '*290*290#', phoneNumber: p.msisdn, networkCode: '63902', text: '' });
    expect(again).toEqual(sports);
    expect((await d.send('0')).body).toMatch(MAIN);
  });

  it('replays batched inputs one by one', async () => {
    const p = await newPlayer(app.core, 500_00);
    const d = app.dial(p.msisdn);
    await d.start();
    const placed = await d.send(...betInputs('20'));
    expect(placed.body).toMatch(/^END Bet B[0-9A-Z]{5} placed\. Stake KES 20\.00/);
    expect(await betsOf(p.id)).toHaveLength(1);
    // a whole session in the first hop's text, as a batching gateway may send it
    const q = await newPlayer(app.core, 500_00);
    const batched = await app.dial(q.msisdn).start(betInputs('30').join('*'));
    expect(batched.body).toMatch(/^END Bet B[0-9A-Z]{5} placed\. Stake KES 30\.00/);
    expect((await balance(app.core.db, q.id)).balance).toBe(445_00);
  });

  it('logs every hop to PostgreSQL with seq, input, reply and state', async () => {
    const p = await newPlayer(app.core, 300_00);
    const d = app.dial(p.msisdn);
    const replies = [await d.start(), await d.send('2'), await d.send('0'), await d.send('0')];
    await app.drain();
    const { rows } = await app.db.db.query<{ seq: number; text: string; input: string; reply: string; state: string; phone: string }>(
      'SELECT seq, text, input, reply, state, phone FROM ussd_hops WHERE session_id = $1 ORDER BY seq',
      [d.sessionId],
    );
    expect(rows).toEqual([
      { seq: 1, text: '', input: '', reply: replies[0]!.body, state: 'main', phone: p.msisdn },
      { seq: 2, text: '2', input: '2', reply: replies[1]!.body, state: 'balance.shown', phone: p.msisdn },
      { seq: 3, text: '2*0', input: '0', reply: replies[2]!.body, state: 'main', phone: p.msisdn },
      { seq: 4, text: '2*0*0', input: '0', reply: replies[3]!.body, state: 'goodbye', phone: p.msisdn },
    ]);
    expect(replies[3]!.body).toMatch(/^END /);
  });

  it('answers the END again for a hop on a session that ended', async () => {
    const p = await newPlayer(app.core);
    const d = app.dial(p.msisdn);
    await d.start();
    const bye = await d.send('0');
    expect(bye.body).toMatch(/^END /);
    expect(await d.send('1')).toEqual(bye);
  });

  it('offers a dropped bet slip to the next session of the same phone', async () => {
    const p = await newPlayer(app.core, 500_00);
    const dropped = app.dial(p.msisdn);
    await dropped.start();
    const stake = await dropped.send(...betInputs('40').slice(0, 6));
    expect(stake.body).toMatch(/^CON Enter stake/);
    const next = app.dial(p.msisdn);
    const offer = await next.start();
    expect(offer.body).toMatch(/^CON Continue where you left off\?\nBet slip: 1 match\n1\. Continue\n2\. Start again/);
    expect((await next.send('1')).body).toMatch(/^CON Enter stake/);
    expect((await next.send('40', '1')).body).toMatch(/^END Bet B/);
    // once used, nothing is offered again
    expect((await app.dial(p.msisdn).start()).body).toMatch(MAIN);
  });

  it.runIf(variant.store === 'memory')('starts a fresh session once the old one expired', async () => {
    const p = await newPlayer(app.core);
    const d = app.dial(p.msisdn);
    await d.start();
    await d.send('1');
    app.clock.advance(181_000);
    const expired = await app.store.open(d.sessionId, p.msisdn, { waitMs: 0 });
    expect(expired).not.toBeNull();
    expect(expired!.record).toBeNull();
    await expired!.release();
    // the same session id arriving again starts over (a fresh conversation, not the sports screen)
    expect((await app.post({ sessionId: d.sessionId, serviceCode: '*290*290#', phoneNumber: p.msisdn, networkCode: '63902', text: '' })).body).toMatch(MAIN);
    expect((await app.dial(p.msisdn).start()).body).toMatch(MAIN);
  });

  it('starts a deposit at once and credits it through the simulator after the delay', async () => {
    const p = await newPlayer(app.core);
    const d = app.dial(p.msisdn);
    await d.start();
    expect((await d.send('4')).body).toMatch(/^CON Enter amount to deposit/);
    expect((await d.send('200')).body).toBe('CON Deposit KES 200.00\nExcise duty KES 10.00\nTo your wallet KES 190.00\n1. Confirm\n2. Cancel\n0. Back');
    const started = await d.send('1');
    expect(started.body).toBe('END Enter your M-Pesa PIN on the prompt to deposit KES 200.00.');
    await expect.poll(async () => (await balance(app.core.db, p.id)).balance, { timeout: 3_000, interval: 20 }).toBe(190_00);
  });

  it('credits nothing for a simulated cancelled deposit (amount ending in 32)', async () => {
    const p = await newPlayer(app.core);
    const d = app.dial(p.msisdn);
    await d.start();
    expect((await d.send('4', '132', '1')).body).toMatch(/^END Enter your M-Pesa PIN/);
    await new Promise((r) => setTimeout(r, 200));
    expect((await balance(app.core.db, p.id)).balance).toBe(0);
  });

  it('reserves a withdrawal over USSD and pays it out in the background', async () => {
    const p = await newPlayer(app.core, 1_000_00);
    const d = app.dial(p.msisdn);
    await d.start();
    expect((await d.send('5', '500')).body).toBe('CON Withdraw KES 500.00\nWithholding tax KES 25.00\nM-Pesa gets KES 475.00\n1. Confirm\n2. Cancel\n0. Back');
    const sent = await d.send('1');
    expect(sent.body).toMatch(/^END KES 475\.00 is on its way to your M-Pesa\. Balance KES 450\.00\./);
    expect((await balance(app.core.db, p.id)).balance).toBe(450_00);
    const { rows } = await app.db.db.query<{ id: unknown }>('SELECT id FROM withdrawals WHERE player_id = $1', [p.id]);
    expect(rows).toHaveLength(1);
    await expect.poll(async () => (await getWithdrawal(app.core.db, Number(rows[0]!.id)))?.state, { timeout: 3_000, interval: 20 }).toBe('completed');
  });
});
