import { beforeAll, describe, expect, it } from 'vitest';
import { type RtpRow, simulateRtp } from '../../../scripts/rtp-simulation.ts';

const MARGIN = 0.08;

describe('RTP simulation', () => {
  let rows: RtpRow[] = [];
  beforeAll(() => {
    rows = simulateRtp({ eventsPerSport: 10_000, margin: MARGIN, seed: 'rtp-test-seed' });
  });

  it('measures every market of every sport', () => {
    expect(rows.map((r) => `${r.sport}:${r.market}`)).toEqual([
      'football:1X2',
      'football:DC',
      'football:OU25',
      'football:BTTS',
      'football:HCP',
      'basketball:WIN',
      'basketball:TOT',
      'tennis:WIN',
      'tennis:SETS',
    ]);
    for (const row of rows) expect(row.bets).toBeGreaterThanOrEqual(20_000);
  });

  it('pays back what the prices promise, within sampling error', () => {
    for (const row of rows) {
      // seeded, so five standard errors cannot flake; the error itself must be small enough to mean something
      expect(row.stdError, row.market).toBeLessThan(0.01);
      expect(Math.abs(row.realisedRtp - row.theoreticalRtp), `${row.sport} ${row.market}`).toBeLessThan(
        5 * row.stdError,
      );
    }
  });

  it('never prices a market above the target RTP', () => {
    for (const row of rows) {
      expect(row.targetRtp).toBeCloseTo(1 / (1 + MARGIN), 12);
      expect(row.theoreticalRtp, `${row.sport} ${row.market}`).toBeLessThanOrEqual(row.targetRtp + 0.005);
    }
  });

  it('is repeatable for the same seed', () => {
    expect(simulateRtp({ eventsPerSport: 500, margin: MARGIN, seed: 'again' })).toEqual(
      simulateRtp({ eventsPerSport: 500, margin: MARGIN, seed: 'again' }),
    );
  });
});
