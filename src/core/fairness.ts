import { createHash, createHmac, randomBytes } from 'node:crypto';

export function newServerSeed(): string {
  return randomBytes(32).toString('hex');
}

/** Published before betting opens, so the operator is committed to a seed it cannot later swap. */
export function seedHash(serverSeed: string): string {
  return createHash('sha256').update(serverSeed, 'utf8').digest('hex');
}

const UNIFORMS_PER_BLOCK = 5;
const BYTES_PER_UNIFORM = 6;
const TWO_POW_48 = 2 ** 48;

/**
 * Deterministic uniforms in [0, 1) for one event, recomputable by anyone once the seed is revealed:
 *   block 0      = HMAC-SHA256(key = serverSeed (utf8), message = String(eventId))
 *   block i >= 1 = HMAC-SHA256(key = serverSeed (utf8), message = `${eventId}:${i}`)
 * Each 32-byte block gives 5 uniforms: bytes [0,6), [6,12), [12,18), [18,24), [24,30),
 * each read as a 48-bit big-endian unsigned integer and divided by 2^48. Bytes 30-31 are unused.
 * Uniforms are consumed in order: block 0's five, then block 1's, and so on.
 */
export function uniformStream(serverSeed: string, eventId: string | number): () => number {
  let blockNo = 0;
  let block = Buffer.alloc(0);
  let used = UNIFORMS_PER_BLOCK;
  return () => {
    if (used === UNIFORMS_PER_BLOCK) {
      const message = blockNo === 0 ? String(eventId) : `${eventId}:${blockNo}`;
      block = createHmac('sha256', Buffer.from(serverSeed, 'utf8')).update(message, 'utf8').digest();
      blockNo += 1;
      used = 0;
    }
    const value = block.readUIntBE(used * BYTES_PER_UNIFORM, BYTES_PER_UNIFORM) / TWO_POW_48;
    used += 1;
    return value;
  };
}
