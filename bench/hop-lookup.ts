/**
 * Support lookups on a big hop log: generates ≥1,000,000 hops (6 monthly partitions, 200k sessions of 6 hops,
 * 40k phones) in a scratch schema on real PostgreSQL with generate_series, then times the admin API's two queries —
 * a phone's sessions (sessionsOfPhone) and one session's hops (sessionHops) — on random phones/sessions.
 *
 *   DATABASE_URL=postgres://… npx tsx bench/hop-lookup.ts [hops=1200000]
 *
 * The scratch schema is dropped at the end.
 */
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { migrate } from '../src/adapters/db/migrate.ts';
import { postgresDb } from '../src/adapters/db/postgres.ts';
import { sessionHops, sessionsOfPhone } from '../src/adapters/admin/session-log.ts';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL is required');
const total = Number(process.argv[2] ?? 1_200_000);
const HOPS_PER_SESSION = 6;
const PHONES = 40_000;
const MONTHS = 6;
const sessions = Math.ceil(total / HOPS_PER_SESSION);
const schema = `bench_hops_${randomBytes(4).toString('hex')}`;
const admin = postgresDb({ connectionString: url, max: 1 });
await admin.query(`CREATE SCHEMA ${schema}`);
const db = postgresDb({ connectionString: url, schema, max: 2 });
try {
  await migrate(db);
  const end = new Date(Date.UTC(2026, 10, 1));
  const start = new Date(Date.UTC(2026, 10 - MONTHS, 1));
  let t = performance.now();
  for (let m = 0; m < MONTHS; m++) {
    const from = new Date(Date.UTC(2026, 10 - MONTHS + m, 1));
    const { rows } = await db.query<{ name: string }>('SELECT ussd_hops_ensure_partition($1) AS name', [from]);
    const to = new Date(Date.UTC(2026, 10 - MONTHS + m + 1, 1));
    const lo = Math.floor((sessions * m) / MONTHS);
    const hi = Math.floor((sessions * (m + 1)) / MONTHS);
    // session s starts at a time spread evenly across its month; its phone is s mod PHONES
    await db.query(
      `INSERT INTO ${rows[0]!.name} (session_id, seq, phone, network, service_code, text, input, reply, state, latency_ms, at)
       SELECT 'ATUid_' || s, k, '2547' || lpad((s % ${PHONES})::text, 8, '0'), '63902', '*290*290#',
              repeat('1*', k - 1), CASE WHEN k = 1 THEN '' ELSE '1' END,
              CASE WHEN k = ${HOPS_PER_SESSION} THEN 'END Bet placed' ELSE 'CON Main menu' || chr(10) || '1. Bet on virtuals' END,
              'main', 12,
              $1::timestamptz + ((s - $3) * (extract(epoch FROM $2::timestamptz - $1::timestamptz) / ($4 - $3))) * interval '1 second'
                + (k * interval '8 seconds')
         FROM generate_series($3::int, $4::int - 1) s, generate_series(1, ${HOPS_PER_SESSION}) k`,
      [from, to, lo, hi],
    );
  }
  await db.query('ANALYZE');
  const { rows } = await db.query<{ n: string }>('SELECT count(*)::text AS n FROM ussd_hops');
  console.log(`generated ${rows[0]!.n} hops in ${MONTHS} monthly partitions in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  const time = async (label: string, n: number, fn: (i: number) => Promise<unknown>) => {
    for (let i = 0; i < 5; i++) await fn(i); // warm
    const ms: number[] = [];
    for (let i = 0; i < n; i++) {
      t = performance.now();
      await fn(i * 7919);
      ms.push(performance.now() - t);
    }
    ms.sort((a, b) => a - b);
    const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]!.toFixed(2);
    console.log(`${label}: median ${q(0.5)} ms, p95 ${q(0.95)} ms, max ${q(1)} ms (${n} lookups)`);
  };
  const phone = (i: number) => `2547${String(i % PHONES).padStart(8, '0')}`;
  await time('sessions of a phone (newest 20)', 200, (i) =>
    sessionsOfPhone(db, { phone: phone(i), from: new Date(0), to: end, limit: 20, now: end, ttlSeconds: 180 }),
  );
  await time('sessions of a phone, last 30 days', 200, (i) =>
    sessionsOfPhone(db, { phone: phone(i), from: new Date(end.getTime() - 30 * 86_400_000), to: end, limit: 20, now: end, ttlSeconds: 180 }),
  );
  await time('hops of one session', 200, (i) => sessionHops(db, `ATUid_${i % sessions}`));
  void start;
} finally {
  await db.close();
  await admin.query(`DROP SCHEMA ${schema} CASCADE`);
  await admin.close();
}
