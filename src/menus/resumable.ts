import { z } from 'zod';

/**
 * A half-finished bet slip or deposit that a dropped session leaves behind. The session layer keeps it under the
 * phone number for a while and hands it back to `Conversation.start`; it comes back from storage, so it is checked
 * here before the machine sees it (a value from an older release, or anything else, is simply not offered).
 */
const SlipLegSchema = z.object({
  eventId: z.number().int(),
  sport: z.enum(['football', 'basketball', 'tennis']),
  home: z.string(),
  away: z.string(),
  /** ISO time */
  kickoffAt: z.string(),
  outcomeId: z.number().int(),
  market: z.string(),
  pick: z.string(),
  line: z.number().nullable(),
  /** hundredths */
  odds: z.number().int().positive(),
});

const ResumableSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('bet'),
    selections: z.array(SlipLegSchema).min(1),
    /** cents; null when the player had not entered a stake yet */
    stake: z.number().int().positive().nullable(),
  }),
  z.object({
    kind: z.literal('deposit'),
    /** cents */
    amount: z.number().int().positive(),
  }),
]);

/** One leg of a bet slip, with what the screens need to show it again without a lookup. */
export type SlipLeg = z.infer<typeof SlipLegSchema>;
export type Resumable = z.infer<typeof ResumableSchema>;

export function parseResumable(value: unknown): Resumable | null {
  if (value === null || value === undefined) return null;
  const parsed = ResumableSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}
