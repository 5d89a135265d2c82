import { describe, expect, it } from 'vitest';
import { batchLoader } from '../../src/adapters/batch-loader.ts';

function recording(fail = false) {
  const calls: number[][] = [];
  const loader = batchLoader(
    async (keys: number[]) => {
      calls.push(keys);
      if (fail) throw new Error('database down');
      return new Map(keys.filter((k) => k > 0).map((k) => [k, `v${k}`]));
    },
    'none',
    { maxBatch: 3 },
  );
  return { calls, loader };
}

describe('batch loader', () => {
  it('reads the keys asked for in one turn with one call, each distinct key once', async () => {
    const { calls, loader } = recording();
    const values = await Promise.all([loader.load(1), loader.load(2), loader.load(1)]);
    expect(values).toEqual(['v1', 'v2', 'v1']);
    expect(calls).toEqual([[1, 2]]);
  });

  it('answers `missing` for a key the read did not return', async () => {
    const { loader } = recording();
    expect(await Promise.all([loader.load(-1), loader.load(2)])).toEqual(['none', 'v2']);
  });

  it('sends a full batch at once and starts another for the rest', async () => {
    const { calls, loader } = recording();
    const values = await Promise.all([1, 2, 3, 4, 5].map((k) => loader.load(k)));
    expect(values).toEqual(['v1', 'v2', 'v3', 'v4', 'v5']);
    expect(calls).toEqual([[1, 2, 3], [4, 5]]);
  });

  it('asks again in a later turn rather than keeping answers', async () => {
    const { calls, loader } = recording();
    await loader.load(1);
    await loader.load(1);
    expect(calls).toEqual([[1], [1]]);
  });

  it('fails every caller of a failed batch', async () => {
    const { loader } = recording(true);
    const results = await Promise.allSettled([loader.load(1), loader.load(2)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
