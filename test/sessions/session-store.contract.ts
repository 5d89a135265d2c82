/**
 * Contract suite every SessionStore implementation must pass.
 *
 * `makeStore` is called once per test and gets a fresh, isolated store.
 * - `advance(ms)` (optional) moves the store's TTL clock forward, so expiry is tested without sleeping;
 * - `ttlMs(kind, id)` (optional) returns the remaining TTL (ms) of the entry backing a session /
 *   resume offer / lock, so long TTLs can be checked without waiting (Redis: PTTL).
 * Without `advance`, the few tests that need an entry to really expire use sub-second TTLs and
 * short real waits.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HopRecord, SessionRecord, SessionStore } from '../../src/sessions/session-store.ts';

export interface SessionStoreHarness {
  store: SessionStore;
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

export function runSessionStoreContract(name: string, makeStore: () => Promise<SessionStoreHarness>): void {
  describe(`SessionStore contract: ${name}`, () => {
    let h: SessionStoreHarness;
    let store: SessionStore;
    let n = 0;
    /** unique per test so a shared backend (if any) never mixes tests */
    const sid = (label = 's'): string => `ATUid_${label}_${process.pid}_${++n}_${Math.random().toString(36).slice(2, 8)}`;

    /** lets `ms` pass for the store: clock jump when available, real sleep otherwise */
    const elapse = async (ms: number): Promise<void> => {
      if (h.advance) h.advance(ms);
      else await sleep(ms);
    };

    beforeEach(async () => {
      h = await makeStore();
      store = h.store;
    });

    afterEach(async () => {
      await h.cleanup();
    });

    // ---------------------------------------------------------------- records

    describe('records', () => {
      it('load of an unknown session is null', async () => {
        expect(await store.load(sid())).toBeNull();
      });

      it('save then load round-trips the record', async () => {
        const id = sid();
        const r = record({ lastText: '1*2*3', lastReply: 'END Asante! Bet yako imewekwa. Ksh 50 → Ksh 92.50', ended: true, seq: 3 });
        await store.save(id, r, hop({ sessionId: id, seq: 3 }), 180);
        expect(await store.load(id)).toEqual(r);
      });

      it('returns a copy, not the saved object', async () => {
        const id = sid();
        const r = record();
        await store.save(id, r, hop({ sessionId: id }), 180);
        (r.snapshot as { status: string }).status = 'mutated';
        const loaded = await store.load(id);
        expect((loaded?.snapshot as { status: string }).status).toBe('active');
        (loaded!.snapshot as { status: string }).status = 'mutated again';
        expect(((await store.load(id))?.snapshot as { status: string }).status).toBe('active');
      });

      it('a later save overwrites the record', async () => {
        const id = sid();
        await store.save(id, record({ seq: 1, lastText: '' }), hop({ sessionId: id, seq: 1 }), 180);
        await store.save(id, record({ seq: 2, lastText: '1' }), hop({ sessionId: id, seq: 2 }), 180);
        expect(await store.load(id)).toMatchObject({ seq: 2, lastText: '1' });
      });

      it('sessions are independent', async () => {
        const a = sid('a');
        const b = sid('b');
        await store.save(a, record({ phone: '+254700000001' }), hop({ sessionId: a }), 180);
        expect(await store.load(b)).toBeNull();
        await store.save(b, record({ phone: '+254700000002' }), hop({ sessionId: b }), 180);
        expect((await store.load(a))?.phone).toBe('+254700000001');
        expect((await store.load(b))?.phone).toBe('+254700000002');
      });

      it('rejects a non-positive ttl', async () => {
        const id = sid();
        await expect(store.save(id, record(), hop({ sessionId: id }), 0)).rejects.toThrow(RangeError);
        await expect(store.save(id, record(), hop({ sessionId: id }), -5)).rejects.toThrow(RangeError);
        expect(await store.load(id)).toBeNull();
        expect(await store.readHops(10)).toEqual([]);
      });

      it('the record expires after the idle TTL (default 180 s)', async () => {
        const id = sid();
        await store.save(id, record(), hop({ sessionId: id }), 180);
        if (h.advance) {
          h.advance(179_000);
          expect(await store.load(id)).not.toBeNull();
          h.advance(1_001);
          expect(await store.load(id)).toBeNull();
        } else {
          expect(h.ttlMs, 'harness needs advance or ttlMs to check a 180 s TTL').toBeDefined();
          const left = await h.ttlMs!('session', id);
          expect(left).toBeGreaterThan(175_000);
          expect(left).toBeLessThanOrEqual(180_000);
        }
      });

      it('each save restarts the idle TTL', async () => {
        const id = sid();
        await store.save(id, record({ seq: 1 }), hop({ sessionId: id, seq: 1 }), 180);
        if (h.advance) {
          h.advance(120_000);
          await store.save(id, record({ seq: 2 }), hop({ sessionId: id, seq: 2 }), 180);
          h.advance(120_000); // 240 s after the first save, 120 s after the second
          expect((await store.load(id))?.seq).toBe(2);
          h.advance(60_001);
          expect(await store.load(id)).toBeNull();
        } else {
          await store.save(id, record({ seq: 1 }), hop({ sessionId: id, seq: 1 }), 1);
          expect(await h.ttlMs!('session', id)).toBeLessThanOrEqual(1_000);
          await store.save(id, record({ seq: 2 }), hop({ sessionId: id, seq: 2 }), 180);
          expect(await h.ttlMs!('session', id)).toBeGreaterThan(175_000);
        }
      });

      it('an expired record really is gone (short ttl)', async () => {
        const id = sid();
        await store.save(id, record(), hop({ sessionId: id }), 0.1);
        expect(await store.load(id)).not.toBeNull();
        await elapse(200);
        expect(await store.load(id)).toBeNull();
      });
    });

    // ---------------------------------------------------------------- lock

    describe('lock', () => {
      it('is granted when free and can be taken again after release', async () => {
        const id = sid();
        const a = await store.lock(id, { waitMs: 0 });
        expect(a).not.toBeNull();
        await a!.release();
        const b = await store.lock(id, { waitMs: 0 });
        expect(b).not.toBeNull();
        await b!.release();
      });

      it('is exclusive: a second caller waits and gets it after release', async () => {
        const id = sid();
        const a = await store.lock(id, { ttlMs: 5_000 });
        expect(a).not.toBeNull();
        let bGranted = false;
        const pb = store.lock(id, { ttlMs: 5_000, waitMs: 3_000 }).then((l) => {
          bGranted = true;
          return l;
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

      it('locks of different sessions do not block each other', async () => {
        const a = await store.lock(sid('a'), { waitMs: 0 });
        const b = await store.lock(sid('b'), { waitMs: 0 });
        expect(a).not.toBeNull();
        expect(b).not.toBeNull();
        await a!.release();
        await b!.release();
      });

      it('returns null once waitMs has passed', async () => {
        const id = sid();
        const a = await store.lock(id, { ttlMs: 10_000 });
        expect(a).not.toBeNull();
        expect(await store.lock(id, { waitMs: 0 })).toBeNull();
        const t0 = Date.now();
        expect(await store.lock(id, { waitMs: 150 })).toBeNull();
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
          const l = await store.lock(id, { ttlMs: 5_000, waitMs: 10_000 });
          if (l === null) throw new Error('lock not granted');
          inside += 1;
          maxInside = Math.max(maxInside, inside);
          try {
            const cur = await store.load(id);
            const seq = (cur?.seq ?? 0) + 1;
            await sleep(5);
            await store.save(id, record({ seq, lastText: String(seq) }), hop({ sessionId: id, seq }), 180);
          } finally {
            inside -= 1;
            await l.release();
          }
        };
        await Promise.all(Array.from({ length: workers }, hopOnce));
        expect(maxInside).toBe(1);
        expect((await store.load(id))?.seq).toBe(workers);
        const hops = (await store.readHops(100)).filter((x) => x.hop.sessionId === id);
        expect(hops.map((x) => x.hop.seq)).toEqual(Array.from({ length: workers }, (_, i) => i + 1));
      });

      it('an expired lock may be taken over, and the old owner cannot release the new one', async () => {
        const id = sid();
        const a = await store.lock(id, { ttlMs: 150 });
        expect(a).not.toBeNull();
        if (h.ttlMs) {
          const left = await h.ttlMs('lock', id);
          expect(left).toBeGreaterThan(0);
          expect(left).toBeLessThanOrEqual(150);
        }
        const pb = store.lock(id, { ttlMs: 5_000, waitMs: 3_000 });
        await elapse(200);
        const b = await pb;
        expect(b).not.toBeNull();
        // the previous owner's release must not delete the new owner's lock
        await a!.release();
        expect(await store.lock(id, { waitMs: 0 })).toBeNull();
        await b!.release();
        const c = await store.lock(id, { waitMs: 0 });
        expect(c).not.toBeNull();
        await c!.release();
      });

      it('release is idempotent', async () => {
        const id = sid();
        const a = await store.lock(id, { waitMs: 0 });
        await a!.release();
        const b = await store.lock(id, { waitMs: 0 });
        expect(b).not.toBeNull();
        await a!.release(); // second release of a stale handle: no effect on b
        expect(await store.lock(id, { waitMs: 0 })).toBeNull();
        await b!.release();
      });
    });

    // ---------------------------------------------------------------- hop log

    describe('hop log', () => {
      it('is empty initially', async () => {
        expect(await store.readHops(10)).toEqual([]);
        await store.ackHops([]);
        expect(await store.readHops(0)).toEqual([]);
      });

      it('every save appends its hop record in the same operation, in order', async () => {
        const a = sid('a');
        const b = sid('b');
        const hops = [
          hop({ sessionId: a, seq: 1, text: '', input: '', reply: 'CON Karibu' }),
          hop({ sessionId: b, seq: 1, text: '', input: '', reply: 'CON Karibu', phone: '+254700000002' }),
          hop({ sessionId: a, seq: 2, text: '1', input: '1', reply: 'CON Weka kiasi' }),
          hop({ sessionId: a, seq: 3, text: '1*50', input: '50', reply: 'END Asante', state: 'done' }),
        ];
        for (const x of hops) {
          await store.save(x.sessionId, record({ seq: x.seq, lastText: x.text, lastReply: x.reply }), x, 180);
          // the record and its hop are visible together right after save
          const read = await store.readHops(100);
          expect(read.at(-1)?.hop).toEqual(x);
          expect((await store.load(x.sessionId))?.seq).toBe(x.seq);
        }
        const read = await store.readHops(100);
        expect(read.map((x) => x.hop)).toEqual(hops);
        expect(new Set(read.map((x) => x.id)).size).toBe(hops.length);
      });

      it('drains oldest first and acked records are gone exactly once', async () => {
        const id = sid();
        for (let seq = 1; seq <= 5; seq++) {
          await store.save(id, record({ seq }), hop({ sessionId: id, seq }), 180);
        }
        const first = await store.readHops(3);
        expect(first.map((x) => x.hop.seq)).toEqual([1, 2, 3]);
        // not acked yet: read again returns the same records (at-least-once for a crashed drainer)
        expect((await store.readHops(3)).map((x) => x.id)).toEqual(first.map((x) => x.id));
        await store.ackHops(first.map((x) => x.id));
        const second = await store.readHops(10);
        expect(second.map((x) => x.hop.seq)).toEqual([4, 5]);
        // acking again (or acking unknown ids) is harmless
        await store.ackHops(first.map((x) => x.id));
        expect((await store.readHops(10)).map((x) => x.hop.seq)).toEqual([4, 5]);
        await store.ackHops(second.map((x) => x.id));
        expect(await store.readHops(10)).toEqual([]);
      });

      it('hop records outlive the session record', async () => {
        const id = sid();
        await store.save(id, record(), hop({ sessionId: id }), 0.1);
        await elapse(200);
        expect(await store.load(id)).toBeNull();
        expect((await store.readHops(10)).map((x) => x.hop.sessionId)).toEqual([id]);
      });
    });

    // ---------------------------------------------------------------- resume

    describe('resume offers', () => {
      it('set then take returns the value and deletes it', async () => {
        const phone = `+2547${Math.floor(Math.random() * 1e8)}`;
        const value = { flow: 'placeBet', picks: ['V-1:1', 'V-2:X'], stake: 100 };
        expect(await store.takeResume(phone)).toBeNull();
        await store.setResume(phone, value, 600);
        expect(await store.takeResume(phone)).toEqual(value);
        expect(await store.takeResume(phone)).toBeNull();
      });

      it('clear removes it', async () => {
        const phone = `+2547${Math.floor(Math.random() * 1e8)}`;
        await store.setResume(phone, 'x', 600);
        await store.clearResume(phone);
        expect(await store.takeResume(phone)).toBeNull();
        await store.clearResume(phone); // clearing nothing is fine
      });

      it('set overwrites', async () => {
        const phone = `+2547${Math.floor(Math.random() * 1e8)}`;
        await store.setResume(phone, { v: 1 }, 600);
        await store.setResume(phone, { v: 2 }, 600);
        expect(await store.takeResume(phone)).toEqual({ v: 2 });
      });

      it('expires after its ttl', async () => {
        const phone = `+2547${Math.floor(Math.random() * 1e8)}`;
        await store.setResume(phone, { v: 1 }, 600);
        if (h.advance) {
          h.advance(599_000);
          expect(await store.takeResume(phone)).toEqual({ v: 1 });
          await store.setResume(phone, { v: 2 }, 600);
          h.advance(600_001);
          expect(await store.takeResume(phone)).toBeNull();
        } else {
          const left = await h.ttlMs!('resume', phone);
          expect(left).toBeGreaterThan(595_000);
          expect(left).toBeLessThanOrEqual(600_000);
        }
        await store.setResume(phone, { v: 3 }, 0.1);
        await elapse(200);
        expect(await store.takeResume(phone)).toBeNull();
      });

      it('is independent of sessions', async () => {
        const phone = `+2547${Math.floor(Math.random() * 1e8)}`;
        const id = sid();
        await store.setResume(phone, { sessionId: id }, 600);
        await store.save(id, record({ phone }), hop({ sessionId: id, phone }), 0.1);
        await elapse(200);
        expect(await store.load(id)).toBeNull();
        expect(await store.takeResume(phone)).toEqual({ sessionId: id });
      });
    });

    // ---------------------------------------------------------------- health

    describe('health', () => {
      it('ping is true while open', async () => {
        expect(await store.ping()).toBe(true);
      });

      it('after close, ping is false and operations reject', async () => {
        await store.close();
        expect(await store.ping()).toBe(false);
        await expect(store.load(sid())).rejects.toThrow();
        await store.close(); // closing twice is fine
      });
    });
  });
}
