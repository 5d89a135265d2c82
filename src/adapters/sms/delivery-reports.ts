/**
 * Africa's Talking delivery reports: what became of a message we sent, matched by the provider's messageId.
 *
 *   Success                                     → delivered
 *   Failed, Rejected, AbsentSubscriber, Expired → undelivered, with AT's failureReason
 *   Sent, Submitted, Buffered, anything else    → recorded in delivery_status only
 *
 * AT re-posts a report until it gets a 200, so applying one twice must change nothing: each case is a plain
 * assignment. An in-between report never overwrites a final one (they can arrive out of order); a later final report
 * does replace an earlier one (a network can deliver after a first failure).
 */
import { z } from 'zod';
import type { Queryable } from '../../core/db.ts';

// NUL and other control characters cannot be stored in PostgreSQL text and never come from the aggregator
const PRINTABLE = /^[^\u0000-\u001f\u007f]*$/;
const field = (max: number) => z.string().trim().min(1).max(max).regex(PRINTABLE, 'control characters');
const optional = (max: number) =>
  z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z.string().trim().max(max).regex(PRINTABLE, 'control characters').optional(),
  );

export const AtDeliveryReportSchema = z.object({
  id: field(100),
  status: field(40),
  phoneNumber: optional(32),
  networkCode: optional(16),
  failureReason: optional(100),
  retryCount: optional(16),
});
export type AtDeliveryReport = z.infer<typeof AtDeliveryReportSchema>;

export const DELIVERED = new Set(['Success']);
export const UNDELIVERED = new Set(['Failed', 'Rejected', 'AbsentSubscriber', 'Expired']);

export type DeliveryOutcome = 'delivered' | 'undelivered' | 'recorded' | 'unknown_message';

export async function applyDeliveryReport(q: Queryable, report: AtDeliveryReport, now: Date): Promise<DeliveryOutcome> {
  const status = DELIVERED.has(report.status) ? 'delivered' : UNDELIVERED.has(report.status) ? 'undelivered' : null;
  const { rows } =
    status === null
      ? await q.query(
          `UPDATE sms_outbox SET delivery_status = $2, delivery_reported_at = $3
            WHERE provider_message_id = $1 AND status = 'sent'
           RETURNING id`,
          [report.id, report.status, now],
        )
      : await q.query(
          `UPDATE sms_outbox SET status = $2, delivery_status = $3, delivery_reported_at = $4,
                  failure_reason = CASE WHEN $2 = 'undelivered' THEN $5 ELSE NULL END
            WHERE provider_message_id = $1 AND status IN ('sent', 'delivered', 'undelivered')
           RETURNING id`,
          [report.id, status, report.status, now, report.failureReason ?? report.status],
        );
  if (rows.length === 0) {
    // an in-between report for a message already final is expected; a report for an id we never recorded is not
    const known = await q.query('SELECT 1 FROM sms_outbox WHERE provider_message_id = $1 LIMIT 1', [report.id]);
    return known.rows.length > 0 ? 'recorded' : 'unknown_message';
  }
  return status ?? 'recorded';
}
