import { describe, expect, it } from 'vitest';
import { median, summariseScenario } from '../../bench/ussd/rounds.ts';

const pair = (floor: number, ours: number, p99 = 20) => ({ floorHopsPerSecond: floor, oursHopsPerSecond: ours, oursP99Ms: p99 });

describe('USSD bench rounds', () => {
  it('takes the middle value, and the mean of the two middle ones for an even count', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow();
  });

  it('judges the median of per-round ratios, so one disturbed round does not move it', () => {
    // round 2: the host slowed down while the floor ran, so its ratio alone would pass
    const s = summariseScenario([pair(8_000, 4_000, 19), pair(4_300, 4_100, 40), pair(8_200, 4_200, 21)]);
    expect(s.ratios).toEqual([0.5, 0.953, 0.512]);
    expect(s.ratio).toEqual({ median: 0.512, min: 0.5, max: 0.953 });
    expect(s.oursP99Ms).toEqual({ median: 21, min: 19, max: 40 });
    expect(s.typicalRound).toBe(3);
  });

  it('pairs each round with its own floor, not the median floor', () => {
    const s = summariseScenario([pair(4_000, 2_000), pair(8_000, 4_000)]);
    expect(s.ratio.median).toBe(0.5);
    expect(s.typicalRound).toBe(1);
  });
});
