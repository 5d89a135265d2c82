/**
 * Read side of the USSD hop log for support: a phone's sessions and one session's hops, as recorded in ussd_hops
 * (every month's partition) and ussd_session_ends.
 */
import { int, type Queryable } from '../../core/db.ts';

export interface RecordedHop {
  seq: number;
  at: Date;
  phone: string;
  network: string;
  serviceCode: string;
  /** the aggregator's cumulative text */
  text: string;
  /** the input(s) new in this hop, '*'-joined ('' on the first hop or a re-shown screen) */
  input: string;
  kind: 'CON' | 'END';
  screen: string;
  state: string;
  latencyMs: number;
}

export type SessionEnding =
  | { how: 'end_by_us' }
  | { how: 'aggregator_end'; status: string; receivedAt: Date }
  | { how: 'timeout' }
  | { how: 'active' };

export interface SessionEndNotice {
  status: string;
  receivedAt: Date;
  durationMs: number | null;
  hopsCount: number | null;
  errorMessage: string | null;
  cost: string | null;
}

export interface SessionSummary {
  sessionId: string;
  phone: string;
  network: string;
  serviceCode: string;
  startedAt: Date;
  lastHopAt: Date;
  hops: number;
  lastScreen: string;
  lastState: string;
  ending: SessionEnding;
}

function splitReply(reply: string): { kind: 'CON' | 'END'; screen: string } {
  const kind = reply.startsWith('END') ? 'END' : 'CON';
  return { kind, screen: reply.slice(4) };
}

/**
 * How a session ended: an END we sent wins (the aggregator also notifies those); otherwise the aggregator's end
 * notification; otherwise, once the last hop is older than the session TTL, it timed out (the player walked away or
 * the network dropped it without telling us); before that it may still be going.
 */
export function endingOf(lastReply: string, notice: { status: string; receivedAt: Date } | null, lastHopAt: Date, now: Date, ttlSeconds: number): SessionEnding {
  if (lastReply.startsWith('END')) return { how: 'end_by_us' };
  if (notice) return { how: 'aggregator_end', status: notice.status, receivedAt: notice.receivedAt };
  if (now.getTime() - lastHopAt.getTime() > ttlSeconds * 1000) return { how: 'timeout' };
  return { how: 'active' };
}

interface HopRow {
  seq: unknown;
  at: Date | string;
  phone: string;
  network: string;
  service_code: string;
  text: string;
  input: string;
  reply: string;
  state: string;
  latency_ms: unknown;
}

export async function sessionHops(q: Queryable, sessionId: string): Promise<RecordedHop[]> {
  const { rows } = await q.query<HopRow>(
    `SELECT seq, at, phone, network, service_code, text, input, reply, state, latency_ms
       FROM ussd_hops WHERE session_id = $1 ORDER BY seq`,
    [sessionId],
  );
  return rows.map((r) => ({
    seq: int(r.seq),
    at: new Date(r.at),
    phone: r.phone,
    network: r.network,
    serviceCode: r.service_code,
    text: r.text,
    input: r.input,
    ...splitReply(r.reply),
    state: r.state,
    latencyMs: int(r.latency_ms),
  }));
}

export async function sessionEndNotice(q: Queryable, sessionId: string): Promise<SessionEndNotice | null> {
  const { rows } = await q.query<{
    status: string;
    received_at: Date | string;
    duration_ms: unknown;
    hops_count: unknown;
    error_message: string | null;
    cost: string | null;
  }>(
    'SELECT status, received_at, duration_ms, hops_count, error_message, cost FROM ussd_session_ends WHERE session_id = $1',
    [sessionId],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    status: r.status,
    receivedAt: new Date(r.received_at),
    durationMs: r.duration_ms === null ? null : int(r.duration_ms),
    hopsCount: r.hops_count === null ? null : int(r.hops_count),
    errorMessage: r.error_message,
    cost: r.cost,
  };
}

/**
 * A phone's sessions, newest first. The phone index of each month's partition finds the hops; only the `limit`
 * newest sessions are then looked at for their last hop and end notification.
 */
export async function sessionsOfPhone(
  q: Queryable,
  input: { phone: string; from: Date; to: Date; limit: number; now: Date; ttlSeconds: number },
): Promise<SessionSummary[]> {
  const { rows } = await q.query<{
    session_id: string;
    phone: string;
    network: string;
    service_code: string;
    started_at: Date | string;
    last_at: Date | string;
    hops: unknown;
    reply: string;
    state: string;
    end_status: string | null;
    end_at: Date | string | null;
  }>(
    `WITH s AS (
       SELECT session_id, min(at) AS started_at, max(at) AS last_at, count(*) AS hops,
              min(network) AS network, min(service_code) AS service_code
         FROM ussd_hops WHERE phone = $1 AND at >= $2 AND at < $3
        GROUP BY session_id ORDER BY started_at DESC LIMIT $4)
     SELECT s.session_id, $1 AS phone, s.network, s.service_code, s.started_at, s.last_at, s.hops,
            l.reply, l.state, e.status AS end_status, e.received_at AS end_at
       FROM s
       JOIN LATERAL (SELECT h.reply, h.state FROM ussd_hops h WHERE h.session_id = s.session_id
                      ORDER BY h.seq DESC LIMIT 1) l ON true
       LEFT JOIN ussd_session_ends e ON e.session_id = s.session_id
      ORDER BY s.started_at DESC`,
    [input.phone, input.from, input.to, input.limit],
  );
  return rows.map((r) => {
    const lastHopAt = new Date(r.last_at);
    const notice = r.end_status === null ? null : { status: r.end_status, receivedAt: new Date(r.end_at!) };
    return {
      sessionId: r.session_id,
      phone: r.phone,
      network: r.network,
      serviceCode: r.service_code,
      startedAt: new Date(r.started_at),
      lastHopAt,
      hops: int(r.hops),
      lastScreen: r.reply,
      lastState: r.state,
      ending: endingOf(r.reply, notice, lastHopAt, input.now, input.ttlSeconds),
    };
  });
}
