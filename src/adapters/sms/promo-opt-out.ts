import type { Queryable } from '../../core/db.ts';

/** STOP / START by SMS: promotional messages only; receipts are transactional and always sent */
export async function setPromoOptOut(q: Queryable, playerId: number, optOut: boolean): Promise<void> {
  await q.query('UPDATE players SET promo_opt_out = $2 WHERE id = $1', [playerId, optOut]);
}
