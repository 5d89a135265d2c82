import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newServerSeed, seedHash, uniformStream } from '../../../src/core/fairness.ts';

function take(next: () => number, n: number): number[] {
  return Array.from({ length: n }, () => next());
}

/** The published rule, re-derived without the module: 48-bit big-endian chunks of HMAC blocks. */
function expectedUniform(seed: string, eventId: string | number, index: number): number {
  const blockNo = Math.floor(index / 5);
  const message = blockNo === 0 ? String(eventId) : `${eventId}:${blockNo}`;
  const hex = createHmac('sha256', seed).update(message).digest('hex');
  const chunk = hex.slice((index % 5) * 12, (index % 5) * 12 + 12);
  return Number(BigInt(`0x${chunk}`)) / 2 ** 48;
}

describe('server seeds', () => {
  it('are 32 random bytes of lowercase hex', () => {
    const seed = newServerSeed();
    expect(seed).toMatch(/^[0-9a-f]{64}$/);
    expect(newServerSeed()).not.toBe(seed);
  });

  it('are committed to by their SHA-256 hash', () => {
    const seed = 'a1b2c3';
    expect(seedHash(seed)).toBe(createHash('sha256').update(seed, 'utf8').digest('hex'));
    expect(seedHash(seed)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('uniformStream', () => {
  it('repeats exactly for the same seed and event id', () => {
    expect(take(uniformStream('seed-x', 7), 23)).toEqual(take(uniformStream('seed-x', 7), 23));
  });

  it('differs between events and between seeds', () => {
    const base = take(uniformStream('seed-x', 7), 5);
    expect(take(uniformStream('seed-x', 8), 5)).not.toEqual(base);
    expect(take(uniformStream('seed-y', 7), 5)).not.toEqual(base);
  });

  it('treats a numeric event id like its decimal string', () => {
    expect(take(uniformStream('seed-x', 42), 7)).toEqual(take(uniformStream('seed-x', '42'), 7));
  });

  it('follows the published HMAC byte rule across block boundaries', () => {
    const values = take(uniformStream('test-seed', 42), 12);
    values.forEach((value, i) => expect(value).toBe(expectedUniform('test-seed', 42, i)));
  });

  it('keeps producing the pinned first value so published results stay verifiable', () => {
    expect(uniformStream('test-seed', 42)()).toBe(0.1872761454618228);
  });

  it('stays within [0, 1)', () => {
    const values = take(uniformStream(newServerSeed(), 'evt'), 1000);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
  });
});
