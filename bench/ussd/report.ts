/** The USSD run's tables for `npm run bench`. */
import { round, table } from '../stats.ts';
import type { GatewayStats } from './protocol.ts';
import { TARGETS, type UssdResult, type WindowFigures } from './ussd-bench.ts';

const verdict = (ok: boolean, pass: string, fail: string) => (ok ? `PASS (${pass})` : `FAIL (${fail})`);
const n = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : String(x));

export function ussdReport(u: UssdResult): string {
  const out: string[] = [];
  const cols: [string, WindowFigures][] = [
    ['floor A', u.floor.A],
    ['ours A', u.ours.A],
    ['floor B', u.floor.B],
    ['ours B', u.ours.B],
  ];
  const row = (label: string, f: (w: WindowFigures) => string | number) => [label, ...cols.map(([, w]) => f(w))];
  out.push(
    table(
      [`USSD, ${u.phones} phones, ${u.seconds} s per window`, ...cols.map(([c]) => c)],
      [
        row('hops/s (right answers)', (w) => w.hopsPerSecond),
        row('  sessions completed/s', (w) => w.sessionsPerSecond),
        row('  hop latency p50 / p99 ms', (w) => `${w.latency.p50Ms} / ${w.latency.p99Ms}`),
        row('  hop latency mean / max ms', (w) => `${w.latency.meanMs} / ${w.latency.maxMs}`),
        row('  errors', (w) => (w.errorCount === 0 ? '0' : `${w.errorCount} (${Object.entries(w.errors).map(([k, v]) => `${k} ${v}`).join(', ')})`)),
        row('  bet references received', (w) => (w.scenario === 'B' ? w.betReferences : '')),
        row('  CPU ms/hop: server process', (w) => n(w.cpu.serverMs)),
        row('    of which kernel (syscalls, loopback TCP)', (w) => `${n(w.cpu.serverKernelPct)}%`),
        row('  CPU ms/hop: Redis', (w) => n(w.cpu.redisMs)),
        row('  CPU ms/hop: PostgreSQL backends', (w) => n(w.cpu.postgresMs)),
        row('  CPU ms/hop: load generator', (w) => w.cpu.loadGeneratorMs),
        row('  machine CPU busy (2 cores = 100%)', (w) => `${n(w.cpu.machineBusyPct)}%`),
      ],
    ),
  );
  const solo: [string, WindowFigures][] = [
    ['floor A', u.solo.floorA],
    ['ours A', u.solo.A],
    ['floor B', u.solo.floorB],
    ['ours B', u.solo.B],
  ];
  const soloRow = (label: string, f: (w: WindowFigures) => string | number) => [label, ...solo.map(([, w]) => f(w))];
  out.push('');
  out.push(
    table(
      ['solo: 1 phone (no queueing)', ...solo.map(([c]) => c)],
      [
        soloRow('hops/s', (w) => w.hopsPerSecond),
        soloRow('  hop latency p50 / p99 ms', (w) => `${w.latency.p50Ms} / ${w.latency.p99Ms}`),
        soloRow('  errors', (w) => w.errorCount),
        soloRow('  CPU ms/hop: server process', (w) => n(w.cpu.serverMs)),
        soloRow('    of which kernel', (w) => `${n(w.cpu.serverKernelPct)}%`),
        soloRow('  CPU ms/hop: Redis / PostgreSQL', (w) => `${n(w.cpu.redisMs)} / ${n(w.cpu.postgresMs)}`),
      ],
    ),
  );
  out.push('');
  out.push(
    table(
      ['USSD target', 'value', 'verdict'],
      [
        ['A hops/s ÷ floor A', `${u.ratios.A}×`, verdict(u.verdicts.ratioA, `≥ ${TARGETS.ratioA}×`, `< ${TARGETS.ratioA}×`)],
        ['B hops/s ÷ floor B', `${u.ratios.B}×`, verdict(u.verdicts.ratioB, `≥ ${TARGETS.ratioB}×`, `< ${TARGETS.ratioB}×`)],
        ['A hop p99 ms', u.ours.A.latency.p99Ms, verdict(u.verdicts.p99A, `≤ ${TARGETS.p99Ms} ms`, `> ${TARGETS.p99Ms} ms`)],
        ['B hop p99 ms', u.ours.B.latency.p99Ms, verdict(u.verdicts.p99B, `≤ ${TARGETS.p99Ms} ms`, `> ${TARGETS.p99Ms} ms`)],
        ['every hop logged (ussd_hops = hops answered)', u.verification.filter((v) => v.phase === 'A' || v.phase === 'B').map((v) => `${v.phase} ${v.hopRows}/${v.hopsAnswered}`).join(', '), verdict(u.verdicts.logged, 'drained, gapless seqs', 'see below')],
        ['bets = B sessions ended with a reference', `${n(u.verification.find((v) => v.phase === 'B')?.bets)} / ${n(u.verification.find((v) => v.phase === 'B')?.betReferences)}`, verdict(u.verdicts.bets, 'equal', 'differ')],
        ['session locks left in Redis', u.lockKeysLeft, verdict(u.verdicts.locks, 'none', 'locks left')],
        ['ledger check after the run', u.ledger.pass ? 'pass' : `${u.ledger.problems} problems`, verdict(u.verdicts.ledger, 'balanced', 'see latest.json')],
      ],
    ),
  );
  out.push('');
  out.push(
    table(
      ['phase (session prefix)', 'hops answered', 'ussd_hops rows', 'gapped sessions', 'bets / refs', 'check'],
      u.verification.map((v) => [
        v.phase,
        v.hopsAnswered,
        v.hopRows,
        v.gappedSessions,
        v.bets === null ? '' : `${v.bets} / ${v.betReferences}`,
        v.pass ? 'ok' : 'MISMATCH',
      ]),
    ),
  );
  out.push(
    `session record (JSON bytes) after each hop: A ${u.recordBytes.A.join(', ')}; B ${u.recordBytes.B.join(', ')}; floor blob ${u.recordBytes.floorBlob}`,
  );
  for (const [name, w] of [['A', u.ours.A], ['B', u.ours.B], ['A solo', u.solo.A], ['B solo', u.solo.B]] as const) {
    out.push('');
    out.push(serverReport(name, w.server, w.okHops, w.logLines));
  }
  if (u.profiles) {
    for (const [name, p] of Object.entries(u.profiles)) {
      out.push('');
      out.push(`CPU profile of the gateway during ours ${name} (${p.file}): ${p.seconds} s sampled, main thread busy ${p.busyPct}%`);
      out.push(table(['component (innermost owner on the stack)', '% of busy', 'ms'], p.components.map((c) => [c.component, c.pct, c.ms])));
      out.push(table(['area (self time)', '% of busy', 'ms'], p.areas.slice(0, 12).map((a) => [a.area, a.pct, a.ms])));
      out.push(table(['function (self time)', 'where', '% of busy'], p.functions.map((f) => [f.name.slice(0, 40), f.where.slice(0, 70), f.pct])));
    }
  }
  return out.join('\n');
}

function serverReport(name: string, s: GatewayStats, okHops: number, logLines: number): string {
  const per = (x: number) => round(x / Math.max(okHops, 1), 2);
  const hopDb = Object.values(s.db).filter((d) => !d.background);
  const dbCalls = hopDb.reduce((a, d) => a + d.calls, 0);
  const dbMs = hopDb.reduce((a, d) => a + d.ms, 0);
  const lines: string[] = [];
  lines.push(
    `gateway during ours ${name}: event loop busy ${round(s.eventLoop.utilization * 100, 1)}% (delay p50 ${s.eventLoop.delayP50Ms} / p99 ${s.eventLoop.delayP99Ms} ms); ` +
      `server-side request ${s.requestMs.p50} / ${s.requestMs.p99} ms p50/p99, handleHop ${s.hopMs.p50} / ${s.hopMs.p99} ms; ` +
      `per hop: ${per(dbCalls)} core queries (${per(dbMs)} ms), ${per(s.redis.trips)} Redis round trips; ${logLines} log lines`,
  );
  const stages = Object.entries(s.bySeq).map(([seq, b]) => [seq, b.hops, b.open, b.conversation, b.commit, b.release, b.hop]);
  lines.push(table([`hop # (ours ${name}), mean ms`, 'hops', 'open', 'conversation', 'commit', 'unlock', 'handleHop'], stages));
  const q = Object.entries(s.db)
    .slice(0, 8)
    .map(([sql, d]) => [sql.slice(0, 70), d.calls, per(d.calls), round(d.ms / Math.max(d.calls, 1), 2), d.background ? 'background' : 'hop']);
  if (q.length > 0) lines.push(table(['query (first 70 chars)', 'calls', 'per hop', 'mean ms', 'who'], q));
  lines.push(`Redis commands: ${Object.entries(s.redis.commands).map(([c, k]) => `${c} ${k}`).join(', ')}`);
  return lines.join('\n');
}
