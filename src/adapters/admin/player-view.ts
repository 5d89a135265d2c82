/** What support sees of one player: profile, limits, balance, bets, payments, SMS; finance also the statement. */
import { recentBets } from '../../core/bets.ts';
import { int, intOrNull, type Queryable } from '../../core/db.ts';
import { dailyTotals, findPlayerByMsisdn, isSelfExcluded } from '../../core/players.ts';
import { balance, statement } from '../../core/wallet.ts';
import type { AdminRole } from './admin-tokens.ts';

const iso = (v: Date | string | null) => (v === null ? null : new Date(v).toISOString());

export async function playerView(q: Queryable, msisdn: string, role: AdminRole, now: Date) {
  const player = await findPlayerByMsisdn(q, msisdn);
  if (player === null) return null;
  const [bal, totals, bets, deposits, withdrawals, sms, inbound, optOut, lines] = await Promise.all([
    balance(q, player.id),
    dailyTotals(q, player.id, now),
    recentBets(q, player.id, { limit: 20 }),
    q.query<Record<string, unknown>>(
      `SELECT id, amount, state, receipt, checkout_request_id, result_code, result_desc, flag, created_at, resolved_at
         FROM deposits WHERE player_id = $1 ORDER BY id DESC LIMIT 20`,
      [player.id],
    ),
    q.query<Record<string, unknown>>(
      `SELECT w.id, w.amount, w.wht, w.net, w.state, w.receipt, w.failure_reason, w.created_at, w.finished_at,
              p.state AS payout_state, p.receipt AS payout_receipt, p.result_desc AS payout_result
         FROM withdrawals w LEFT JOIN payouts p ON p.withdrawal_id = w.id
        WHERE w.player_id = $1 ORDER BY w.id DESC LIMIT 20`,
      [player.id],
    ),
    q.query<Record<string, unknown>>(
      `SELECT id, kind, status, delivery_status, failure_reason, attempts, created_at, sent_at, delivery_reported_at
         FROM sms_outbox WHERE player_id = $1 OR msisdn = $2 ORDER BY id DESC LIMIT 20`,
      [player.id, player.msisdn],
    ),
    q.query<Record<string, unknown>>(
      `SELECT id, text, status, command, reply, received_at FROM sms_inbound WHERE msisdn = $1 ORDER BY id DESC LIMIT 20`,
      [player.msisdn],
    ),
    q.query<{ promo_opt_out: boolean }>('SELECT promo_opt_out FROM players WHERE id = $1', [player.id]),
    role === 'finance' ? statement(q, player.id, { limit: 50 }) : Promise.resolve(null),
  ]);
  return {
    profile: {
      id: player.id,
      msisdn: player.msisdn,
      language: player.language,
      status: player.status,
      createdAt: player.createdAt.toISOString(),
      promoOptOut: optOut.rows[0]?.promo_opt_out ?? false,
    },
    limits: {
      dailyDepositLimit: player.dailyDepositLimit,
      dailyStakeLimit: player.dailyStakeLimit,
      today: totals,
    },
    exclusion: {
      excludedUntil: player.excludedUntil?.toISOString() ?? null,
      selfExcluded: isSelfExcluded(player, now),
    },
    balance: bal,
    bets: bets.map((b) => ({ ...b, placedAt: b.placedAt.toISOString(), settledAt: b.settledAt?.toISOString() ?? null })),
    deposits: deposits.rows.map((d) => ({
      id: int(d.id),
      amount: int(d.amount),
      state: d.state,
      receipt: d.receipt,
      checkoutRequestId: d.checkout_request_id,
      resultCode: d.result_code,
      resultDesc: d.result_desc,
      flag: d.flag,
      createdAt: iso(d.created_at as Date | string),
      resolvedAt: iso(d.resolved_at as Date | string | null),
    })),
    withdrawals: withdrawals.rows.map((w) => ({
      id: int(w.id),
      amount: int(w.amount),
      wht: int(w.wht),
      net: int(w.net),
      state: w.state,
      receipt: w.receipt ?? w.payout_receipt ?? null,
      failureReason: w.failure_reason,
      payoutState: w.payout_state ?? null,
      payoutResult: w.payout_result ?? null,
      createdAt: iso(w.created_at as Date | string),
      finishedAt: iso(w.finished_at as Date | string | null),
    })),
    sms: sms.rows.map((s) => ({
      id: int(s.id),
      kind: s.kind,
      status: s.status,
      deliveryStatus: s.delivery_status,
      failureReason: s.failure_reason,
      attempts: intOrNull(s.attempts),
      createdAt: iso(s.created_at as Date | string),
      sentAt: iso(s.sent_at as Date | string | null),
      deliveryReportedAt: iso(s.delivery_reported_at as Date | string | null),
    })),
    smsInbound: inbound.rows.map((s) => ({
      id: int(s.id),
      text: s.text,
      status: s.status,
      command: s.command,
      reply: s.reply,
      receivedAt: iso(s.received_at as Date | string),
    })),
    ...(lines === null
      ? {}
      : { statement: lines.map((l) => ({ ...l, at: l.at.toISOString() })) }),
  };
}

/** the ledger entries of every transfer carrying this reference (bet placement, settlement) */
export async function entriesForReference(q: Queryable, reference: string) {
  const { rows } = await q.query<Record<string, unknown>>(
    `SELECT t.id AS transfer_id, t.kind, t.idempotency_key, t.created_at, e.id AS entry_id, a.code AS account,
            e.amount, e.balance_before, e.balance_after
       FROM transfers t JOIN entries e ON e.transfer_id = t.id JOIN accounts a ON a.id = e.account_id
      WHERE t.reference = $1 ORDER BY t.id, e.id`,
    [reference],
  );
  return rows.map((r) => ({
    transferId: int(r.transfer_id),
    kind: r.kind,
    idempotencyKey: r.idempotency_key,
    at: iso(r.created_at as Date | string),
    entryId: int(r.entry_id),
    account: r.account,
    amount: int(r.amount),
    balanceBefore: intOrNull(r.balance_before),
    balanceAfter: intOrNull(r.balance_after),
  }));
}
