/**
 * Contract suite every SessionStore implementation must pass.
 *
 * `makeStore` is called once per test and gets a fresh, isolated store.
 * - `second` (optional) is another store on the same backend, as a second app instance would have one; without it
 *   (the memory store, whose only backend is itself) the "other instance" tests use `store` again;
 * - `advance(ms)` (optional) moves the store's TTL clock forward, so expiry is tested without sleeping;
 * - `ttlMs(kind, id)` (optional) returns the remaining TTL (ms) of the entry backing a session /
 *   resume offer / lock, so long TTLs can be checked without waiting (Redis: PTTL).
 * Without `advance`, the few tests that need an entry to really expire use sub-second TTLs and
 * short real waits.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  hopRow,
  type HopEntry,
  type HopRecord,
  type HopRow,
  type ResumeChange,
  type SessionRecord,
  type SessionStore,
} from '../../src/sessions/session-store.ts';

export interface SessionStoreHarness {
  store: SessionStore;
  second?: SessionStore;
  advance?: (ms: number) => void;
  ttlMs?: (kind: 'session' | 'resume' | 'lock', id: string) => Promise<number>;
  cleanup: () => Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function record(overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    snapshot: { value: { betting: 'pickMarket' }, context: { stake: 50, picks: [{ event: 'V-123', odds: 1.85 }] }, status: 'active' },
    lastText: '1*2',
    lastReply: 'CON Chagua soko:\n1. 1X2\n2. Over/Under',
    seq: 2,
    ended: false,
    phone: '+254712345678',
    updatedAt: 1_732_500_000_000,
    ...overrides,
  };
}

export function hop(overrides: Partial<HopRecord> = {}): HopRecord {
  return {
    sessionId: 'ATUid_1',
    seq: 1,
    phone: '+254712345678',
    network: 'Safaricom',
    serviceCode: '*384*123#',
    text: '1',
    input: '1',
    reply: 'CON Karibu',
    state: 'menu',
    latencyMs: 7,
    at: 1_732_500_000_000,
    ...overrides,
  };
}

/** the rows the entries hold (each entry is a row's JSON) */
export function rowsOf(entries: HopEntry[]): HopRow[] {
  return entries.map((e) => JSON.parse(e.json) as HopRow);
}

/** a phone that never has an offer: opening a new session with it takes nothing */
const NOBODY = '+254700000000';

export function runSessionStoreContract(name: string, makeStore: () => Promise<SessionStoreHarness>): void {
  describe(`SessionStore contract: ${name}`, () => {
    let h: SessionStoreHarness;
    let store: SessionStore;
    let n = 0;
    /** unique per test so a shared backend (if any) never mixes tests */
    const sid = (label = 's'): string => `ATUid_${label}_${process.pid}_${++n}_${Math.random().toString(36).slice(2, 8)}`;
    const newPhone = (): string => `+2547${String(++n).padStart(3, '0')}${Math.floor(Math.random() * 1e5)}`;

    /** lets `ms` pass for the store: clock jump when available, real sleep otherwise */
    const elapse = async (ms: number): Promise<void> => {
      if (h.advance) h.advance(ms);
      else await sleep(ms);
    };

    /** one whole hop: open, then commit `rec` with a hop record of the same seq */
    const put = async (
      id: string,
      rec: SessionRecord = record(),
      opts: { ttlSeconds?: number; resume?: ResumeChange; hop?: Partial<HopRecord> } = {},
    ): Promise<void> => {
      const s = await store.open(id, rec.phone);
      expect(s).not.toBeNull();
      const x = hop({ sessionId: id, seq: rec.seq, phone: rec.phone, ...opts.hop });
      expect(await s!.commit(rec, x, opts.ttlSeconds ?? 180, opts.resume)).toBe('committed');
    };

    /** the session's record, read under its lock without changing anything */
    const peek = async (id: string): Promise<SessionRecord | null> => {
      const s = await store.open(id, NOBODY);
      expect(s).not.toBeNull();
      await s!.release();
      return s!.record;
    };

    /** leaves an offer for `phone`, as a hop of another session of the phone does */
    const offer = (phone: string, value: unknown, ttlSeconds = 600): Promise<void> =>
      put(sid('offer'), record({ phone }), { resume: { kind: 'set', value, ttlSeconds } });

    /** the phone's offer as a new session would find it; released uncommitted, so it is put back */
    const peekOffer = async (phone: string): Promise<unknown> => {
      const s = await store.open(sid('peek'), phone);
      expect(s).not.toBeNull();
      await s!.release();
      return s!.resume;
    };

    const hopsOf = async (id: string): Promise<HopRow[]> => rowsOf(await store.readHops(1_000)).filter((x) => x.session_id === id);

    beforeEach(async () => {
      h = await makeStore();
      store = h.store;
    });

    afterEach(async () => {
      await h.cleanup();
    });

    // ---------------------------------------------------------------- records

    describe('records', () => {
      it('opening an unknown session finds no record and no offer', async () => {
        const s = await store.open(sid(), newPhone());
        expect(s).not.toBeNull();
        expect(s!.record).toBeNull();
        expect(s!.resume).toBeNull();
        await s!.release();
      });

      it('commit then open round-trips the record', async () => {
        const id = sid();
        const r = record({ lastText: '1*2*3', lastReply: 'END Asante! Bet yako imewekwa. Ksh 50 → Ksh 92.50', ended: true, seq: 3 });
        await put(id, r);
        expect(await peek(id)).toEqual(r);
      });

      it('hands back the record it committed as that same object, frozen, while nothing else wrote the session', async () => {
        const id = sid();
        const r = record();
        await put(id, r);
        const loaded = await peek(id);
        expect(loaded).toBe(r);
        expect(loaded).toEqual(record());
        expect(() => {
          (loaded!.snapshot as { status: string }).status = 'mutated';
        }).toThrow(TypeError);
        expect(((await peek(id))?.snapshot as { status: string }).status).toBe('active');
      });

      it('lets go of the record it kept once told the session ended, and reads it from the store again', async () => {
        const id = sid();
        const r = record();
        await put(id, r);
        store.forgetKept(id);
        const loaded = await peek(id);
        expect(loaded).not.toBe(r);
        expect(loaded).toEqual(record());
      });

      it('reads the record again once another instance committed the session', async () => {
        const other = h.second ?? store;
        const id = sid();
        const phone = newPhone();
        await put(id, record({ seq: 1, lastText: '', phone }));
        const s = await other.open(id, phone);
        expect(s!.record).toMatchObject({ seq: 1, lastText: '' });
        expect(await s!.commit(record({ seq: 2, lastText: '1', phone }), hop({ sessionId: id, seq: 2, phone }), 180)).toBe('committed');
        expect(await peek(id)).toMatchObject({ seq: 2, lastText: '1' });
        // and back: the first instance commits on top, the other must not keep its own older record
        await put(id, record({ seq: 3, lastText: '1*2', phone }));
        const again = await other.open(id, NOBODY);
        await again!.release();
        expect(again!.record).toMatchObject({ seq: 3, lastText: '1*2' });
      });

      it('a later commit overwrites the record', async () => {
        const id = sid();
        await put(id, record({ seq: 1, lastText: '' }));
        await put(id, record({ seq: 2, lastText: '1' }));
        expect(await peek(id)).toMatchObject({ seq: 2, lastText: '1' });
      });

      it('sessions are independent', async () => {
        const a = sid('a');
        const b = sid('b');
        await put(a, record({ phone: '+254700000001' }));
        expect(await peek(b)).toBeNull();
        await put(b, record({ phone: '+254700000002' }));
        expect((await peek(a))?.phone).toBe('+254700000001');
        expect((await peek(b))?.phone).toBe('+254700000002');
      });

      it('commit rejects a non-positive ttl and writes nothing; the lock stays held until released', async () => {
        const id = sid();
        const s = await store.open(id, NOBODY);
        await expect(s!.commit(record(), hop({ sessionId: id }), 0)).rejects.toThrow(RangeError);
        await expect(s!.commit(record(), hop({ sessionId: id }), -5)).rejects.toThrow(RangeError);
        const resume: ResumeChange = { kind: 'set', value: 'x', ttlSeconds: 0 };
        await expect(s!.commit(record(), hop({ sessionId: id }), 180, resume)).rejects.toThrow(RangeError);
        expect(await store.open(id, NOBODY, { waitMs: 0 })).toBeNull();
        await s!.release();
        expect(await peek(id)).toBeNull();
        expect(await store.readHops(10)).toEqual([]);
      });

      it('commit rejects a resume value that is not JSON-serialisable and writes nothing', async () => {
        const id = sid();
        const phone = newPhone();
        const s = await store.open(id, phone);
        await expect(s!.commit(record({ phone }), hop({ sessionId: id }), 180, { kind: 'set', value: undefined, ttlSeconds: 60 })).rejects.toThrow(
          TypeError,
        );
        await s!.release();
        expect(await peek(id)).toBeNull();
        expect(await peekOffer(phone)).toBeNull();
        expect(await store.readHops(10)).toEqual([]);
      });

      it('commits once per open', async () => {
        const id = sid();
        const s = await store.open(id, NOBODY);
        expect(await s!.commit(record({ seq: 1 }), hop({ sessionId: id, seq: 1 }), 180)).toBe('committed');
        await expect(s!.commit(record({ seq: 2 }), hop({ sessionId: id, seq: 2 }), 180)).rejects.toThrow();
        expect((await peek(id))?.seq).toBe(1);
        expect(await hopsOf(id)).toHaveLength(1);
      });

      it('the record expires after the idle TTL (default 180 s)', async () => {
        const id = sid();
        await put(id);
        if (h.advance) {
          h.advance(179_000);
          expect(await peek(id)).not.toBeNull();
          h.advance(1_001);
          expect(await peek(id)).toBeNull();
        } else {
          expect(h.ttlMs, 'harness needs advance or ttlMs to check a 180 s TTL').toBeDefined();
          const left = await h.ttlMs!('session', id);
          expect(left).toBeGreaterThan(175_000);
          expect(left).toBeLessThanOrEqual(180_000);
        }
      });

      it('each commit restarts the idle TTL', async () => {
        const id = sid();
        if (h.advance) {
          await put(id, record({ seq: 1 }));
          h.advance(120_000);
          await put(id, record({ seq: 2 }));
          h.advance(120_000); // 240 s after the first commit, 120 s after the second
          expect((await peek(id))?.seq).toBe(2);
          h.advance(60_001);
          expect(await peek(id)).toBeNull();
        } else {
          await put(id, record({ seq: 1 }), { ttlSeconds: 1 });
          expect(await h.ttlMs!('session', id)).toBeLessThanOrEqual(1_000);
          await put(id, record({ seq: 2 }));
          expect(await h.ttlMs!('session', id)).toBeGreaterThan(175_000);
        }
      });

      it('an expired record really is gone (short ttl)', async () => {
        const id = sid();
        await put(id, record(), { ttlSeconds: 0.1 });
        expect(await peek(id)).not.toBeNull();
        await elapse(200);
        expect(await peek(id)).toBeNull();
      });
    });

    // ---------------------------------------------------------------- lock

    describe('lock', () => {
      it('is granted when free and can be taken again after release', async () => {
        const id = sid();
        const a = await store.open(id, NOBODY, { waitMs: 0 });
        expect(a).not.toBeNull();
        await a!.release();
        const b = await store.open(id, NOBODY, { waitMs: 0 });
        expect(b).not.toBeNull();
        await b!.release();
      });

      it('is exclusive: a second caller waits and gets it after release', async () => {
        const id = sid();
        const a = await store.open(id, NOBODY, { ttlMs: 5_000 });
        expect(a).not.toBeNull();
        let bGranted = false;
        const pb = store.open(id, NOBODY, { ttlMs: 5_000, waitMs: 3_000 }).then((s) => {
          bGranted = true;
          return s;
        });
        await sleep(80);
        expect(bGranted).toBe(false);
        const releasedAt = Date.now();
        await a!.release();
        const b = await pb;
        expect(b).not.toBeNull();
        expect(Date.now() - releasedAt).toBeLessThan(500);
        await b!.release();
      });

      it('commit releases it: a waiting caller gets it at once and reads the committed record', async () => {
        const id = sid();
        const a = await store.open(id, NOBODY, { ttlMs: 5_000 });
        const pb = store.open(id, NOBODY, { ttlMs: 5_000, waitMs: 3_000 });
        await sleep(30);
        const committedAt = Date.now();
        expect(await a!.commit(record({ seq: 1 }), hop({ sessionId: id }), 180)).toBe('committed');
        const b = await pb;
        expect(Date.now() - committedAt).toBeLessThan(500);
        expect(b!.record).toMatchObject({ seq: 1 });
        await b!.release();
      });

      it('another instance on the same backend waits for it too', async () => {
        const other = h.second ?? store;
        const id = sid();
        const a = await store.open(id, NOBODY);
        expect(a).not.toBeNull();
        expect(await other.open(id, NOBODY, { waitMs: 50 })).toBeNull();
        const pb = other.open(id, NOBODY, { waitMs: 3_000 });
        expect(await a!.commit(record({ seq: 1, lastText: 'from a' }), hop({ sessionId: id }), 180)).toBe('committed');
        const b = await pb;
        expect(b!.record).toMatchObject({ seq: 1, lastText: 'from a' });
        expect(await store.open(id, NOBODY, { waitMs: 0 })).toBeNull();
        await b!.release();
        const c = await store.open(id, NOBODY, { waitMs: 0 });
        expect(c).not.toBeNull();
        await c!.release();
      });

      it('locks of different sessions do not block each other', async () => {
        const a = await store.open(sid('a'), NOBODY, { waitMs: 0 });
        const b = await store.open(sid('b'), NOBODY, { waitMs: 0 });
        expect(a).not.toBeNull();
        expect(b).not.toBeNull();
        await a!.release();
        await b!.release();
      });

      it('returns null once waitMs has passed', async () => {
        const id = sid();
        const a = await store.open(id, NOBODY, { ttlMs: 10_000 });
        expect(a).not.toBeNull();
        expect(await store.open(id, NOBODY, { waitMs: 0 })).toBeNull();
        const t0 = Date.now();
        expect(await store.open(id, NOBODY, { waitMs: 150 })).toBeNull();
        const waited = Date.now() - t0;
        expect(waited).toBeGreaterThanOrEqual(140);
        expect(waited).toBeLessThan(1_000);
        await a!.release();
      });

      it('serialises concurrent hops of one session (no lost updates)', async () => {
        const id = sid();
        const workers = 8;
        let inside = 0;
        let maxInside = 0;
        const hopOnce = async (): Promise<void> => {
          const s = await store.open(id, NOBODY, { ttlMs: 5_000, waitMs: 10_000 });
          if (s === null) throw new Error('lock not granted');
          inside += 1;
          maxInside = Math.max(maxInside, inside);
          try {
            const seq = (s.record?.seq ?? 0) + 1;
            await sleep(5);
            inside -= 1;
            expect(await s.commit(record({ seq, lastText: String(seq) }), hop({ sessionId: id, seq }), 180)).toBe('committed');
          } finally {
            await s.release();
          }
        };
        await Promise.all(Array.from({ length: workers }, hopOnce));
        expect(maxInside).toBe(1);
        expect((await peek(id))?.seq).toBe(workers);
        expect((await hopsOf(id)).map((x) => x.seq)).toEqual(Array.from({ length: workers }, (_, i) => i + 1));
      });

      it('an expired lock may be taken over, and the old owner cannot release the new one', async () => {
        const id = sid();
        const a = await store.open(id, NOBODY, { ttlMs: 150 });
        expect(a).not.toBeNull();
        if (h.ttlMs) {
          const left = await h.ttlMs('lock', id);
          expect(left).toBeGreaterThan(0);
          expect(left).toBeLessThanOrEqual(150);
        }
        const pb = store.open(id, NOBODY, { ttlMs: 5_000, waitMs: 3_000 });
        await elapse(200);
        const b = await pb;
        expect(b).not.toBeNull();
        // the previous owner's release must not delete the new owner's lock
        await a!.release();
        expect(await store.open(id, NOBODY, { waitMs: 0 })).toBeNull();
        await b!.release();
        const c = await store.open(id, NOBODY, { waitMs: 0 });
        expect(c).not.toBeNull();
        await c!.release();
      });

      it('release is idempotent, and a no-op after a commit', async () => {
        const id = sid();
        const a = await store.open(id, NOBODY, { waitMs: 0 });
        await a!.release();
        const b = await store.open(id, NOBODY, { waitMs: 0 });
        expect(b).not.toBeNull();
        await a!.release(); // second release of a stale handle: no effect on b
        expect(await store.open(id, NOBODY, { waitMs: 0 })).toBeNull();
        expect(await b!.commit(record(), hop({ sessionId: id }), 180)).toBe('committed');
        const c = await store.open(id, NOBODY, { waitMs: 0 });
        expect(c).not.toBeNull();
        await b!.release(); // b committed: its release must not touch c's lock
        expect(await store.open(id, NOBODY, { waitMs: 0 })).toBeNull();
        await c!.release();
      });
    });

    // ---------------------------------------------------------------- lost lock

    describe('a commit after the lock was lost', () => {
      it('is refused when another hop took the lock over, and writes nothing: the new holder wins', async () => {
        const id = sid();
        const phone = newPhone();
        await put(id, record({ seq: 1, lastText: '', phone }));
        const a = await store.open(id, phone, { ttlMs: 150 });
        const pb = store.open(id, phone, { ttlMs: 5_000, waitMs: 3_000 });
        await elapse(200);
        const b = await pb;
        expect(b!.record).toMatchObject({ seq: 1 });
        const lost = await a!.commit(record({ seq: 2, lastText: 'a', phone }), hop({ sessionId: id, seq: 2, text: 'a' }), 180, {
          kind: 'set',
          value: 'from a',
          ttlSeconds: 600,
        });
        expect(lost).toBe('lock-lost');
        await a!.release(); // nothing to do: must not release b's lock
        expect(b!.record).toMatchObject({ seq: 1, lastText: '' });
        expect(await store.open(id, phone, { waitMs: 0 })).toBeNull();
        expect(await b!.commit(record({ seq: 2, lastText: 'b', phone }), hop({ sessionId: id, seq: 2, text: 'b' }), 180)).toBe(
          'committed',
        );
        expect(await peek(id)).toMatchObject({ seq: 2, lastText: 'b' });
        expect((await hopsOf(id)).map((x) => [x.seq, x.text])).toEqual([
          [1, '1'],
          [2, 'b'],
        ]);
        expect(await peekOffer(phone)).toBeNull();
      });

      it('is refused when the lock merely expired, and leaves the record as it was', async () => {
        const id = sid();
        await put(id, record({ seq: 1 }));
        const a = await store.open(id, NOBODY, { ttlMs: 100 });
        await elapse(200);
        expect(await a!.commit(record({ seq: 2 }), hop({ sessionId: id, seq: 2 }), 180)).toBe('lock-lost');
        expect(await peek(id)).toMatchObject({ seq: 1 });
        expect(await peek(id)).toMatchObject({ seq: 1 });
        expect(await hopsOf(id)).toHaveLength(1);
      });
    });

    // ---------------------------------------------------------------- hop log

    describe('hop log', () => {
      it('is empty initially', async () => {
        expect(await store.readHops(10)).toEqual([]);
        expect(await store.readHops(0)).toEqual([]);
      });

      it('every commit appends its hop record in the same operation, in order', async () => {
        const a = sid('a');
        const b = sid('b');
        const hops = [
          hop({ sessionId: a, seq: 1, text: '', input: '', reply: 'CON Karibu' }),
          hop({ sessionId: b, seq: 1, text: '', input: '', reply: 'CON Karibu', phone: '+254700000002' }),
          hop({ sessionId: a, seq: 2, text: '1', input: '1', reply: 'CON Weka kiasi' }),
          hop({ sessionId: a, seq: 3, text: '1*50', input: '50', reply: 'END Asante', state: 'done' }),
        ];
        for (const x of hops) {
          const s = await store.open(x.sessionId, x.phone);
          await s!.commit(record({ seq: x.seq, lastText: x.text, lastReply: x.reply, phone: x.phone }), x, 180);
          // the record and its hop are visible together right after the commit
          const read = await store.readHops(100);
          expect(rowsOf(read).at(-1)).toEqual(hopRow(x));
          expect((await peek(x.sessionId))?.seq).toBe(x.seq);
        }
        const read = await store.readHops(100);
        expect(rowsOf(read)).toEqual(hops.map(hopRow));
        expect(new Set(read.map((x) => x.id)).size).toBe(hops.length);
      });

      it('stores each hop as its ussd_hops row: snake_case, `at` as an ISO time, latency a whole non-negative number', async () => {
        const id = sid();
        await put(id, record({ seq: 4 }), { hop: { latencyMs: 12.6, at: Date.UTC(2026, 10, 25, 12, 30, 0, 5) } });
        const [entry] = await store.readHops(10);
        expect(JSON.parse(entry!.json)).toEqual({
          session_id: id,
          seq: 4,
          phone: '+254712345678',
          network: 'Safaricom',
          service_code: '*384*123#',
          text: '1',
          input: '1',
          reply: 'CON Karibu',
          state: 'menu',
          latency_ms: 13,
          at: '2026-11-25T12:30:00.005Z',
        });
      });

      it('drains oldest first; a read again returns the same entries until they are acked', async () => {
        const id = sid();
        for (let seq = 1; seq <= 5; seq++) await put(id, record({ seq }));
        const first = await store.readHops(3);
        expect(rowsOf(first).map((x) => x.seq)).toEqual([1, 2, 3]);
        // not acked yet: read again returns the same records (at-least-once for a crashed drainer)
        expect(await store.readHops(3)).toEqual(first);
        await store.ackHopsThrough(first.at(-1)!.id);
        const second = await store.readHops(10);
        expect(rowsOf(second).map((x) => x.seq)).toEqual([4, 5]);
        // acking again is harmless
        await store.ackHopsThrough(first.at(-1)!.id);
        expect(await store.readHops(10)).toEqual(second);
        await store.ackHopsThrough(second.at(-1)!.id);
        expect(await store.readHops(10)).toEqual([]);
      });

      it('an ack removes exactly the entries read: not one appended after the read', async () => {
        const id = sid();
        for (let seq = 1; seq <= 3; seq++) await put(id, record({ seq }));
        const read = await store.readHops(10);
        // committed while the drainer was inserting what it read
        for (let seq = 4; seq <= 5; seq++) await put(id, record({ seq }));
        await store.ackHopsThrough(read.at(-1)!.id);
        expect(rowsOf(await store.readHops(10)).map((x) => x.seq)).toEqual([4, 5]);
      });

      it('an ack of a part of the entries leaves the rest', async () => {
        const id = sid();
        for (let seq = 1; seq <= 12; seq++) await put(id, record({ seq }));
        // ids compare as ids, not as text ('10-0' is not below '9-0')
        const read = await store.readHops(9);
        await store.ackHopsThrough(read.at(-1)!.id);
        expect(rowsOf(await store.readHops(10)).map((x) => x.seq)).toEqual([10, 11, 12]);
      });

      it('hop records outlive the session record', async () => {
        const id = sid();
        await put(id, record(), { ttlSeconds: 0.1 });
        await elapse(200);
        expect(await peek(id)).toBeNull();
        expect(rowsOf(await store.readHops(10)).map((x) => x.session_id)).toEqual([id]);
      });
    });

    // ---------------------------------------------------------------- resume

    describe('resume offers', () => {
      it('a new session takes the phone offer; once it commits the offer is gone', async () => {
        const phone = newPhone();
        const value = { flow: 'placeBet', picks: ['V-1:1', 'V-2:X'], stake: 100 };
        await offer(phone, value);
        const id = sid();
        const s = await store.open(id, phone);
        expect(s!.record).toBeNull();
        expect(s!.resume).toEqual(value);
        expect(await s!.commit(record({ phone }), hop({ sessionId: id, phone }), 180)).toBe('committed');
        expect(await peekOffer(phone)).toBeNull();
      });

      it('a session that has a record does not take the offer', async () => {
        const phone = newPhone();
        const id = sid();
        await put(id, record({ phone }));
        await offer(phone, { v: 1 });
        const s = await store.open(id, phone);
        expect(s!.record).not.toBeNull();
        expect(s!.resume).toBeNull();
        expect(await s!.commit(record({ phone, seq: 3 }), hop({ sessionId: id, phone, seq: 3 }), 180)).toBe('committed');
        expect(await peekOffer(phone)).toEqual({ v: 1 });
      });

      it('a commit writes the record, its hop and the offer together, the offer with its own TTL', async () => {
        const phone = newPhone();
        const id = sid();
        await put(id, record({ phone, seq: 1 }), { resume: { kind: 'set', value: { v: 1 }, ttlSeconds: 600 } });
        expect(await peek(id)).toMatchObject({ seq: 1, phone });
        expect(await hopsOf(id)).toHaveLength(1);
        expect(await peekOffer(phone)).toEqual({ v: 1 });
        if (h.advance) {
          h.advance(599_000);
          expect(await peek(id)).toBeNull(); // the record's 180 s are long gone
          expect(await peekOffer(phone)).toEqual({ v: 1 });
          h.advance(1_001);
          expect(await peekOffer(phone)).toBeNull();
        } else {
          const left = await h.ttlMs!('resume', phone);
          expect(left).toBeGreaterThan(595_000);
          expect(left).toBeLessThanOrEqual(600_000);
        }
      });

      it('a later set overwrites the offer and restarts its TTL', async () => {
        const phone = newPhone();
        const id = sid();
        await put(id, record({ phone, seq: 1 }), { resume: { kind: 'set', value: { v: 1 }, ttlSeconds: 1 } });
        await put(id, record({ phone, seq: 2 }), { resume: { kind: 'set', value: { v: 2 }, ttlSeconds: 600 } });
        if (h.ttlMs) expect(await h.ttlMs('resume', phone)).toBeGreaterThan(595_000);
        else h.advance!(2_000);
        expect(await peekOffer(phone)).toEqual({ v: 2 });
      });

      it('a commit deletes the offer when asked, and leaves it alone otherwise', async () => {
        const phone = newPhone();
        const id = sid();
        await put(id, record({ phone, seq: 1 }), { resume: { kind: 'set', value: 'x', ttlSeconds: 600 } });
        await put(id, record({ phone, seq: 2 }));
        expect(await peekOffer(phone)).toBe('x');
        await put(id, record({ phone, seq: 3 }), { resume: { kind: 'delete' } });
        expect(await peekOffer(phone)).toBeNull();
        await put(id, record({ phone, seq: 4 }), { resume: { kind: 'delete' } }); // deleting nothing is fine
        expect(await peekOffer(phone)).toBeNull();
      });

      it('release without a commit puts a taken offer back, with the TTL it had left', async () => {
        const phone = newPhone();
        await offer(phone, { v: 1 }, 600);
        await elapse(h.advance ? 100_000 : 0);
        const s = await store.open(sid(), phone);
        expect(s!.resume).toEqual({ v: 1 });
        await s!.release();
        expect(await peekOffer(phone)).toEqual({ v: 1 });
        if (h.advance) {
          h.advance(499_000);
          expect(await peekOffer(phone)).toEqual({ v: 1 });
          h.advance(1_001);
          expect(await peekOffer(phone)).toBeNull();
        } else {
          const left = await h.ttlMs!('resume', phone);
          expect(left).toBeGreaterThan(590_000);
          expect(left).toBeLessThanOrEqual(600_000);
        }
      });

      it('a caller waiting for the same new session finds the offer put back', async () => {
        const phone = newPhone();
        await offer(phone, 'slip');
        const id = sid();
        const a = await store.open(id, phone);
        expect(a!.resume).toBe('slip');
        const pb = store.open(id, phone, { waitMs: 3_000 });
        await sleep(30);
        await a!.release();
        const b = await pb;
        expect(b!.resume).toBe('slip');
        await b!.release();
      });

      it('release does not put an offer back over a newer one', async () => {
        const phone = newPhone();
        await offer(phone, 'old');
        const a = await store.open(sid(), phone);
        expect(a!.resume).toBe('old');
        await offer(phone, 'new');
        await a!.release();
        expect(await peekOffer(phone)).toBe('new');
      });

      it('release after a commit does not put the offer back: the commit decided', async () => {
        const phone = newPhone();
        await offer(phone, 'slip');
        const id = sid();
        const s = await store.open(id, phone);
        expect(await s!.commit(record({ phone }), hop({ sessionId: id, phone }), 180)).toBe('committed');
        await s!.release();
        expect(await peekOffer(phone)).toBeNull();
      });

      it('an offer expires after its TTL (short ttl)', async () => {
        const phone = newPhone();
        await offer(phone, { v: 3 }, 0.1);
        await elapse(200);
        expect(await peekOffer(phone)).toBeNull();
      });

      it('an offer outlives the session that left it', async () => {
        const phone = newPhone();
        const id = sid();
        await put(id, record({ phone }), { ttlSeconds: 0.1, resume: { kind: 'set', value: { sessionId: id }, ttlSeconds: 600 } });
        await elapse(200);
        expect(await peek(id)).toBeNull();
        expect(await peekOffer(phone)).toEqual({ sessionId: id });
      });
    });

    // ---------------------------------------------------------------- health

    describe('health', () => {
      it('ping is true while open', async () => {
        expect(await store.ping()).toBe(true);
      });

      it('after close, ping is false and operations reject', async () => {
        const held = await store.open(sid(), NOBODY);
        await store.close();
        expect(await store.ping()).toBe(false);
        await expect(store.open(sid(), NOBODY)).rejects.toThrow();
        await expect(held!.commit(record(), hop(), 180)).rejects.toThrow();
        await expect(store.readHops(10)).rejects.toThrow();
        await expect(store.ackHopsThrough('1-0')).rejects.toThrow();
        await store.close(); // closing twice is fine
      });
    });
  });
}
