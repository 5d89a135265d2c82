import type { PlayerInfo } from './services.ts';

/**
 * When the player's self-exclusion ends (ISO time), or null when they are not on a break at `now`. A break that
 * has run out is no break: the player gets the full menu back without anyone lifting it.
 */
export function breakEndsAt(player: PlayerInfo | null, now: string): string | null {
  const until = player?.excludedUntil ?? null;
  if (until === null) return null;
  return Date.parse(until) > Date.parse(now) ? until : null;
}
