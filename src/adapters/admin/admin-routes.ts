/**
 * Support tools over HTTP, under /admin.
 *
 *   GET /admin/                              the support web page (static; its script calls the API with a token)
 *   GET /admin/sessions?phone=&from=&to=&limit=   a phone's USSD sessions, newest first
 *   GET /admin/sessions/:sessionId           every hop of one session, in order
 *   GET /admin/sessions/:sessionId/rerun     the recorded inputs through today's menus (dry run), screen by screen
 *   GET /admin/players/:msisdn               profile, limits, balance, bets, payments, SMS (+ statement for finance)
 *   GET /admin/players/:msisdn/statement     finance only: wallet statement lines
 *   GET /admin/bets/:reference               selections, odds, state, settlement (+ ledger entries for finance)
 *   GET /admin/events/:id                    markets, result and the fairness proof
 *
 * Every API route: bearer token (401 without a valid one, 403 when the role may not), zod-checked params (400),
 * 404 for unknown things, and an audit row (who, what, when, status) written before the answer leaves — a read that
 * cannot be audited is not answered.
 */
import { readFileSync } from 'node:fs';
import Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import { z } from 'zod';
import { betByReference, normaliseReference } from '../../core/bets.ts';
import type { Clock } from '../../core/clock.ts';
import type { Queryable } from '../../core/db.ts';
import { eventOutcomes, getEvent, verifyEvent } from '../../core/events.ts';
import { findPlayerByMsisdn } from '../../core/players.ts';
import { statement } from '../../core/wallet.ts';
import { normaliseMsisdn } from '../telco/msisdn.ts';
import { identify, type AdminIdentity, type AdminRole, type AdminToken } from './admin-tokens.ts';
import { entriesForReference, playerView } from './player-view.ts';
import type { Rerunner } from './rerunner.ts';
import { rerunSession } from './session-rerun.ts';
import { endingOf, sessionEndNotice, sessionHops, sessionsOfPhone } from './session-log.ts';

export interface AdminRoutesDeps {
  db: Queryable;
  clock: Clock;
  logger: Logger;
  tokens: readonly AdminToken[];
  /** idle TTL of a USSD session: a session silent for longer without an END timed out */
  sessionTtlSeconds: number;
  /** builds a fresh dry-run conversation for each rerun */
  rerunner: Rerunner;
}

const PAGE_PATH = new URL('./admin-page.html', import.meta.url);

const phone = z.string().transform((v, ctx) => {
  const n = normaliseMsisdn(v);
  if (n === null) {
    ctx.addIssue({ code: 'custom', message: 'not a Kenyan mobile number (07…, 2547…, +2547…)' });
    return z.NEVER;
  }
  return n;
});
const SessionListQuery = z.object({
  phone,
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
const SessionIdParams = z.object({ sessionId: z.string().min(1).max(128).regex(/^[A-Za-z0-9_.:-]+$/) });
const MsisdnParams = z.object({ msisdn: phone });
const ReferenceParams = z.object({ reference: z.string().regex(/^[A-Za-z0-9]{2,16}$/).transform(normaliseReference) });
const EventParams = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });

interface AdminState {
  admin?: AdminIdentity;
  resource?: string;
}

function reply(ctx: Context, status: number, error: string, message: string, extra: Record<string, unknown> = {}) {
  ctx.status = status;
  ctx.body = { error, message, ...extra };
}

/** parses with the schema or answers 400 naming the fields; null when answered */
function parse<S extends z.ZodType>(ctx: Context, schema: S, value: unknown): z.infer<S> | null {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  reply(ctx, 400, 'invalid_request', 'Some parameters are not valid.', {
    issues: parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })),
  });
  return null;
}

const bearer = (ctx: Context): string | null => {
  const header = ctx.get('authorization');
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1]! : null;
};

export function createAdminRouter(deps: AdminRoutesDeps): Router {
  const router = new Router({ prefix: '/admin' });
  const page = readFileSync(PAGE_PATH, 'utf8');

  const audit = async (ctx: Context, who: AdminIdentity) => {
    const state = ctx.state as AdminState;
    await deps.db.query(
      `INSERT INTO admin_audit (actor, role, method, path, resource, status, at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [who.name, who.role, ctx.method, ctx.path, state.resource ?? null, ctx.status, deps.clock()],
    );
  };

  /** 401 without a known token, 403 when the role is not enough; audits every answered request of a known admin */
  const guard = (roles: readonly AdminRole[]) => async (ctx: Context, next: Next) => {
    ctx.set('cache-control', 'no-store');
    const token = bearer(ctx);
    const who = token === null ? null : identify(deps.tokens, token);
    if (who === null) {
      ctx.set('www-authenticate', 'Bearer realm="admin"');
      deps.logger.warn({ path: ctx.path, ip: ctx.ip }, 'admin request without a valid token');
      return reply(ctx, 401, 'unauthorized', 'A valid admin token is required.');
    }
    (ctx.state as AdminState).admin = who;
    if (!roles.includes(who.role)) {
      reply(ctx, 403, 'forbidden', `The ${who.role} role may not see this.`);
    } else {
      await next();
    }
    await audit(ctx, who);
  };
  const anyAdmin = guard(['support', 'finance']);
  const financeOnly = guard(['finance']);
  const resource = (ctx: Context, what: string) => {
    (ctx.state as AdminState).resource = what;
  };
  const roleOf = (ctx: Context) => (ctx.state as AdminState).admin!.role;

  const servePage = (ctx: Context) => {
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('cache-control', 'no-store');
    ctx.set(
      'content-security-policy',
      "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    ctx.set('referrer-policy', 'no-referrer');
    ctx.body = page;
  };
  router.get('/', servePage);

  router.get('/sessions', anyAdmin, async (ctx) => {
    const query = parse(ctx, SessionListQuery, ctx.query);
    if (query === null) return;
    resource(ctx, `phone:${query.phone}`);
    const now = deps.clock();
    const sessions = await sessionsOfPhone(deps.db, {
      phone: query.phone,
      from: query.from ?? new Date(0),
      to: query.to ?? new Date(now.getTime() + 86_400_000),
      limit: query.limit,
      now,
      ttlSeconds: deps.sessionTtlSeconds,
    });
    ctx.body = { phone: query.phone, sessions };
  });

  router.get('/sessions/:sessionId', anyAdmin, async (ctx) => {
    const params = parse(ctx, SessionIdParams, ctx.params);
    if (params === null) return;
    resource(ctx, `session:${params.sessionId}`);
    const [hops, notice] = await Promise.all([sessionHops(deps.db, params.sessionId), sessionEndNotice(deps.db, params.sessionId)]);
    const last = hops.at(-1);
    if (!last) return reply(ctx, 404, 'not_found', 'No hops recorded for this session.');
    ctx.body = {
      sessionId: params.sessionId,
      phone: last.phone,
      network: last.network,
      serviceCode: last.serviceCode,
      startedAt: hops[0]!.at,
      ending: endingOf(`${last.kind} ${last.screen}`, notice, last.at, deps.clock(), deps.sessionTtlSeconds),
      endNotice: notice,
      hops,
    };
  });

  router.get('/sessions/:sessionId/rerun', anyAdmin, async (ctx) => {
    const params = parse(ctx, SessionIdParams, ctx.params);
    if (params === null) return;
    resource(ctx, `session:${params.sessionId}`);
    const hops = await sessionHops(deps.db, params.sessionId);
    if (hops.length === 0) return reply(ctx, 404, 'not_found', 'No hops recorded for this session.');
    const { conversation, services } = deps.rerunner();
    ctx.body = await rerunSession(params.sessionId, hops, conversation, services);
  });

  router.get('/players/:msisdn', anyAdmin, async (ctx) => {
    const params = parse(ctx, MsisdnParams, ctx.params);
    if (params === null) return;
    resource(ctx, `player:${params.msisdn}`);
    const view = await playerView(deps.db, params.msisdn, roleOf(ctx), deps.clock());
    if (view === null) return reply(ctx, 404, 'not_found', 'No player with this number.');
    ctx.body = view;
  });

  router.get('/players/:msisdn/statement', financeOnly, async (ctx) => {
    const params = parse(ctx, MsisdnParams, ctx.params);
    if (params === null) return;
    resource(ctx, `statement:${params.msisdn}`);
    const player = await findPlayerByMsisdn(deps.db, params.msisdn);
    if (player === null) return reply(ctx, 404, 'not_found', 'No player with this number.');
    const lines = await statement(deps.db, player.id, { limit: 100 });
    ctx.body = { msisdn: player.msisdn, lines };
  });

  router.get('/bets/:reference', anyAdmin, async (ctx) => {
    const params = parse(ctx, ReferenceParams, ctx.params);
    if (params === null) return;
    resource(ctx, `bet:${params.reference}`);
    const bet = await betByReference(deps.db, params.reference);
    if (bet === null) return reply(ctx, 404, 'not_found', 'No bet with this reference.');
    const { rows } = await deps.db.query<{ msisdn: string }>('SELECT msisdn FROM players WHERE id = $1', [bet.playerId]);
    ctx.body = {
      ...bet,
      msisdn: rows[0]?.msisdn ?? null,
      ...(roleOf(ctx) === 'finance' ? { entries: await entriesForReference(deps.db, bet.reference) } : {}),
    };
  });

  router.get('/events/:id', anyAdmin, async (ctx) => {
    const params = parse(ctx, EventParams, ctx.params);
    if (params === null) return;
    resource(ctx, `event:${params.id}`);
    const event = await getEvent(deps.db, params.id);
    if (event === null) return reply(ctx, 404, 'not_found', 'No event with this id.');
    const [outcomes, fairness] = await Promise.all([eventOutcomes(deps.db, params.id), verifyEvent(deps.db, params.id)]);
    const { rows } = await deps.db.query<{ result: unknown }>('SELECT result FROM events WHERE id = $1', [params.id]);
    ctx.body = { event, result: rows[0]?.result ?? null, outcomes, fairness };
  });

  return router;
}
