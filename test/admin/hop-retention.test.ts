/**
 * Hop log retention: monthly partitions created ahead, whole old months dropped, recent ones kept, money untouched;
 * and the drainer's insert stays idempotent on the partitioned log.
 */
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { insertHops } from '../../src/sessions/hop-log-drainer.ts';
import { hopPartitions, runRetentionOnce } from '../../src/sessions/hop-retention.ts';
import { newPlayer, testClock, testCore } from '../support/core.ts';
import { backends, type TestDb } from '../support/databases.ts';

const hop = (sessionId: string, seq: number, at: Date) => ({
  session_id: sessionId,
  seq,
  phone: '254700000001',
  network: '63902',
  service_code: '*290*290#',
  text: '',
  input: '',
  reply: 'CON Main menu',
  state: 'main',
  latency_ms: 4,
  at: at.toISOString(),
});

describe.each(backends)('hop retention on $name', (backend) => {
  let t: TestDb;
  beforeEach(async () => {
    t = await backend.open();
  });
  afterEach(() => t.cleanup());

  const now = new Date(Date.UTC(2031, 6, 15, 12));
  const old = new Date(Date.UTC(2030, 0, 10)); // more than 180 days and a whole month before `now`
  const recent = new Date(Date.UTC(2031, 5, 20));

  it('drops whole old months, keeps recent ones, creates months ahead and never touches money', async () => {
    await t.db.query('SELECT ussd_hops_ensure_partition($1), ussd_hops_ensure_partition($2)', [old, recent]);
    await insertHops(t.db, [hop('old', 1, old), hop('old', 2, old), hop('recent', 1, recent)]);
    // a row written through the parent (by anything but the drainer, which creates the month's child) whose month has
    // no child lands in the default child; old ones are deleted there too
    await t.db.query(
      `INSERT INTO ussd_hops (session_id, seq, phone, network, service_code, text, input, reply, state, latency_ms, at)
       VALUES ('stray', 1, '254700000001', '63902', '*290*290#', '', '', 'CON Main menu', 'main', 4, $1)`,
      [new Date(Date.UTC(2001, 0, 1))],
    );
    const { core } = await testCore(t.db, {}, testClock(now));
    await newPlayer(core, 500_00);
    const money = async () =>
      (await t.db.query<{ n: string }>('SELECT (SELECT count(*) FROM entries) + (SELECT count(*) FROM players) AS n')).rows[0]!.n;
    const moneyBefore = await money();

    const run = await runRetentionOnce({ db: t.db, clock: () => now, logger: pino({ level: 'silent' }), retentionDays: 180 });
    expect(run.ran).toBe(true);
    // the months the migration created around the real today are long past in 2031 as well
    expect(run.dropped).toContain('ussd_hops_2030_01');
    expect(run.dropped.every((n) => n < 'ussd_hops_2031_01')).toBe(true);
    expect(run.deletedDefaultRows).toBe(1);
    expect(run.created).toEqual(['ussd_hops_2031_07', 'ussd_hops_2031_08', 'ussd_hops_2031_09']);
    const names = (await hopPartitions(t.db)).map((p) => p.name);
    expect(names).toContain('ussd_hops_2031_06');
    expect(names).not.toContain('ussd_hops_2030_01');
    const left = await t.db.query<{ session_id: string }>('SELECT session_id FROM ussd_hops ORDER BY session_id');
    expect(left.rows.map((r) => r.session_id)).toEqual(['recent']);
    expect(await money()).toBe(moneyBefore);

    // a second run finds nothing more to do
    const again = await runRetentionOnce({ db: t.db, clock: () => now, logger: pino({ level: 'silent' }), retentionDays: 180 });
    expect(again).toMatchObject({ ran: true, dropped: [], created: [], deletedDefaultRows: 0 });
  });

  it('keeps the drainer idempotent: a re-drained hop lands in the same month and is ignored', async () => {
    await t.db.query('SELECT ussd_hops_ensure_partition($1)', [recent]);
    const batch = [hop('s1', 1, recent), hop('s1', 2, recent)];
    await insertHops(t.db, batch);
    await insertHops(t.db, batch);
    const { rows } = await t.db.query<{ part: string; seq: number }>(
      'SELECT tableoid::regclass::text AS part, seq FROM ussd_hops WHERE session_id = $1 ORDER BY seq',
      ['s1'],
    );
    expect(rows.map((r) => [r.part.replace(/^.*\./, ''), r.seq])).toEqual([
      ['ussd_hops_2031_06', 1],
      ['ussd_hops_2031_06', 2],
    ]);
    expect((await t.db.query('SELECT 1 FROM ONLY ussd_hops')).rows).toEqual([]);
  });

  it.runIf(backend.name === 'postgres')('runs on one instance only: a held advisory lock skips the run', async () => {
    const other = t.connect(1);
    await other.session(async (q) => {
      await q.query('SELECT pg_advisory_lock(7290007)');
      try {
        const run = await runRetentionOnce({ db: t.db, clock: () => now, logger: pino({ level: 'silent' }), retentionDays: 180 });
        expect(run.ran).toBe(false);
      } finally {
        await q.query('SELECT pg_advisory_unlock(7290007)');
      }
    });
  });
});
