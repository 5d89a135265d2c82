import { describe, expect, it } from 'vitest';
import { RecentRecords } from '../../src/sessions/recent-records.ts';
import { record } from './session-store.contract.ts';

describe('the records an instance keeps between hops', () => {
  it('keeps at most `max`, dropping the one kept or read longest ago', () => {
    const recent = new RecentRecords(2);
    recent.keep('a', 'v1', record({ seq: 1 }));
    recent.keep('b', 'v1', record({ seq: 1 }));
    recent.keep('a', 'v2', record({ seq: 2 })); // a hop of a: now the most recent
    recent.keep('c', 'v1', record({ seq: 1 }));
    expect(recent.get('b')).toBeUndefined();
    expect(recent.get('a')).toMatchObject({ version: 'v2', record: { seq: 2 } });
    expect(recent.get('c')?.version).toBe('v1');
  });

  it('freezes what it keeps, all the way down', () => {
    const kept = new RecentRecords(1).keep('a', 'v1', record());
    expect(Object.isFrozen(kept)).toBe(true);
    expect(Object.isFrozen((kept.snapshot as { context: { picks: object[] } }).context.picks[0])).toBe(true);
  });

  it('lets an ended session go instead of keeping it, also when an earlier hop of it was kept', () => {
    const recent = new RecentRecords(5);
    recent.keep('a', 'v1', record({ seq: 1 }));
    const ended = recent.keep('a', 'v2', record({ seq: 2, ended: true }));
    expect(recent.get('a')).toBeUndefined();
    expect(ended).toMatchObject({ seq: 2, ended: true });
  });

  it('forgets a session on request', () => {
    const recent = new RecentRecords(5);
    recent.keep('a', 'v1', record());
    recent.forget('a');
    expect(recent.get('a')).toBeUndefined();
  });

  it('with max 0 keeps (and freezes) nothing', () => {
    const recent = new RecentRecords(0);
    const r = recent.keep('a', 'v1', record());
    expect(recent.get('a')).toBeUndefined();
    expect(Object.isFrozen(r)).toBe(false);
  });

  it('refuses a bound that is not a whole number ≥ 0', () => {
    expect(() => new RecentRecords(-1)).toThrow(RangeError);
    expect(() => new RecentRecords(1.5)).toThrow(RangeError);
  });
});
