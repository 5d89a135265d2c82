/** The USSD run's tables for `npm run bench`. */
import { round, table } from '../stats.ts';
import { SCENARIO_A, SCENARIO_B, type GatewayStats } from './protocol.ts';
import { median, type Spread } from './rounds.ts';
import { STAND_IN_KINDS, STAND_IN_LABELS } from './stand-ins.ts';
import { TARGETS, type OurWindow, type UssdResult, type WindowFigures } from './ussd-bench.ts';

const verdict = (ok: boolean, pass: string, fail: string) => (ok ? `PASS (${pass})` : `FAIL (${fail})`);
const n = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : String(x));

export function ussdReport(u: UssdResult): string {
  const out: string[] = [];
  const rounds = `${u.rounds} round${u.rounds === 1 ? '' : 's'}`;
  const spread = (s: Spread, unit: string) => (s.min === s.max ? `${s.median}${unit}` : `${s.median}${unit} (${s.min}–${s.max})`);
  const overRounds = u.rounds === 1 ? ', one round' : `: median of ${rounds} (min–max)`;
  const med = (xs: (number | null)[], digits = 3) => {
    const known = xs.filter((x): x is number => x !== null);
    return known.length === 0 ? 'n/a' : String(round(median(known), digits));
  };
  const pct = (x: number | null) => (x === null ? 'n/a' : `${x}%`);

  // every round's pair, so the spread shows; the verdicts take the median row's ratio and our p99
  const roundRows: (string | number)[][] = [];
  for (const s of ['A', 'B'] as const) {
    for (const r of u.byRound) {
      const f = r.floor[s];
      const o = r.ours[s];
      roundRows.push([
        `${s} round ${r.round}${r.profiled ? ' (profiled)' : ''}`,
        f.hopsPerSecond,
        o.hopsPerSecond,
        `${r.ratios[s]}×`,
        `${f.latency.p50Ms} / ${f.latency.p99Ms}`,
        `${o.latency.p50Ms} / ${o.latency.p99Ms}`,
        `${n(f.cpu.serverMs)} / ${n(o.cpu.serverMs)}`,
        `${pct(f.cpu.machineBusyPct)} / ${pct(o.cpu.machineBusyPct)}`,
        `${f.errorCount} / ${o.errorCount}`,
      ]);
    }
    if (u.rounds === 1) continue;
    const sum = u.summary[s];
    const windows = (who: 'floor' | 'ours') => u.byRound.map((r) => r[who][s]);
    const p = (who: 'floor' | 'ours', q: 'p50Ms' | 'p99Ms') => med(windows(who).map((w) => w.latency[q]), 2);
    roundRows.push([
      `${s} median`,
      sum.floorHopsPerSecond.median,
      sum.oursHopsPerSecond.median,
      `${sum.ratio.median}×`,
      `${p('floor', 'p50Ms')} / ${p('floor', 'p99Ms')}`,
      `${p('ours', 'p50Ms')} / ${sum.oursP99Ms.median}`,
      `${med(windows('floor').map((w) => w.cpu.serverMs))} / ${med(windows('ours').map((w) => w.cpu.serverMs))}`,
      '',
      '',
    ]);
  }
  out.push(
    table(
      [`USSD, ${u.phones} phones, ${rounds} × ${u.seconds} s`, 'floor hops/s', 'ours hops/s', 'ours ÷ floor', 'floor p50 / p99 ms', 'ours p50 / p99 ms', 'server CPU ms/hop floor / ours', 'machine busy floor / ours', 'errors floor / ours'],
      roundRows,
    ),
  );
  out.push(
    `A: ${SCENARIO_A.label}, B: ${SCENARIO_B.label}. ours ÷ floor is per round (the two windows ran back to back); ` +
      'its median is the median of those ratios, not the ratio of the median hops/s',
  );

  if (u.standIns) {
    const standIns = u.standIns;
    const line = (label: string, windows: (s: 'A' | 'B') => WindowFigures[], ratio: (s: 'A' | 'B') => string) => [
      label,
      ...(['A', 'B'] as const).flatMap((s) => [
        med(windows(s).map((w) => w.hopsPerSecond), 1),
        ratio(s),
        med(windows(s).map((w) => w.cpu.serverMs)),
        med(windows(s).map((w) => w.latency.p99Ms), 2),
      ]),
    ];
    out.push('');
    out.push(
      table(
        ['what a hop costs, layer by layer (median over rounds)', 'A hops/s', 'A ÷ floor', 'A CPU ms/hop', 'A p99 ms', 'B hops/s', 'B ÷ floor', 'B CPU ms/hop', 'B p99 ms'],
        [
          line('floor: node:http + Redis GET/SET', (s) => u.byRound.map((r) => r.floor[s]), () => '1×'),
          ...STAND_IN_KINDS.map((kind) =>
            line(
              `gateway with ${STAND_IN_LABELS[kind]}`,
              (s) => u.byRound.map((r) => r.standIns![kind][s]),
              (s) => spread(standIns[kind][s].ratio, '×'),
            ),
          ),
          line('gateway with the menus (ours)', (s) => u.byRound.map((r) => r.ours[s]), (s) => spread(u.summary[s].ratio, '×')),
        ],
      ),
    );
    out.push(
      'Each stand-in is the real gateway (HTTP, session lock, record, hop log) answering the same screens; its ratio is to ' +
        'the floor of its own round. "CPU ms/hop" is the server process\'s CPU, all threads, per hop answered.',
    );
  }

  const cols: [string, WindowFigures[]][] = [
    ['floor A', u.byRound.map((r) => r.floor.A)],
    ['ours A', u.byRound.map((r) => r.ours.A)],
    ['floor B', u.byRound.map((r) => r.floor.B)],
    ['ours B', u.byRound.map((r) => r.ours.B)],
  ];
  const row = (label: string, f: (ws: WindowFigures[]) => string | number) => [label, ...cols.map(([, ws]) => f(ws))];
  const medOf = (f: (w: WindowFigures) => number | null, digits = 3) => (ws: WindowFigures[]) => med(ws.map(f), digits);
  const errors = (ws: WindowFigures[]) => {
    const kinds: Record<string, number> = {};
    for (const w of ws) for (const [k, v] of Object.entries(w.errors)) kinds[k] = (kinds[k] ?? 0) + v;
    const total = Object.values(kinds).reduce((a, b) => a + b, 0);
    return total === 0 ? '0' : `${total} (${Object.entries(kinds).map(([k, v]) => `${k} ${v}`).join(', ')})`;
  };
  out.push('');
  out.push(
    table(
      [`median over ${rounds} (errors, references: all rounds)`, ...cols.map(([c]) => c)],
      [
        row('  sessions completed/s', medOf((w) => w.sessionsPerSecond, 1)),
        row('  hop latency mean / max ms', (ws) => `${medOf((w) => w.latency.meanMs, 2)(ws)} / ${medOf((w) => w.latency.maxMs, 2)(ws)}`),
        row('  errors', errors),
        row('  bet references received', (ws) => (ws[0]?.scenario === 'B' ? ws.reduce((a, w) => a + w.betReferences, 0) : '')),
        row('  CPU ms/hop: server process', medOf((w) => w.cpu.serverMs)),
        row('    of which kernel (syscalls, loopback TCP) %', medOf((w) => w.cpu.serverKernelPct, 1)),
        row('  CPU ms/hop: Redis', medOf((w) => w.cpu.redisMs)),
        row('  CPU ms/hop: PostgreSQL backends', medOf((w) => w.cpu.postgresMs)),
        row('  CPU ms/hop: load generator', medOf((w) => w.cpu.loadGeneratorMs)),
        row('  machine CPU busy % (2 cores = 100%)', medOf((w) => w.cpu.machineBusyPct, 1)),
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
      [
        'paced: below saturation (50 phones)',
        'offered hops/s',
        'answered floor / ours',
        'floor p50 / p99 ms',
        'ours p50 / p99 ms',
        `ours p99 ≤ ${TARGETS.p99Ms} ms`,
        'CPU ms/hop floor / ours',
        'errors floor / ours',
      ],
      (['A', 'B'] as const).flatMap((s) =>
        u.paced[s].map((p) => [
          `${s} at ${p.share * 100}% of our median hops/s`,
          p.offeredHopsPerSecond,
          `${p.floor.hopsPerSecond} / ${p.figures.hopsPerSecond}`,
          `${p.floor.latency.p50Ms} / ${p.floor.latency.p99Ms}`,
          `${p.figures.latency.p50Ms} / ${p.figures.latency.p99Ms}`,
          p.figures.latency.p99Ms <= TARGETS.p99Ms ? 'yes' : 'no',
          `${n(p.floor.cpu.serverMs)} / ${n(p.figures.cpu.serverMs)}`,
          `${p.floor.errorCount} / ${p.figures.errorCount}`,
        ]),
      ),
    ),
  );
  out.push('');
  const ours = u.verification;
  const bets = ours.filter((v) => v.bets !== null);
  const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  out.push(
    table(
      ['USSD target', 'value', 'verdict'],
      [
        [`A hops/s ÷ floor A${overRounds}`, spread(u.summary.A.ratio, '×'), verdict(u.verdicts.ratioA, `≥ ${TARGETS.ratioA}×`, `< ${TARGETS.ratioA}×`)],
        [`B hops/s ÷ floor B${overRounds}`, spread(u.summary.B.ratio, '×'), verdict(u.verdicts.ratioB, `≥ ${TARGETS.ratioB}×`, `< ${TARGETS.ratioB}×`)],
        [`A hop p99 ms (ours)${overRounds}`, spread(u.summary.A.oursP99Ms, ''), verdict(u.verdicts.p99A, `≤ ${TARGETS.p99Ms} ms`, `> ${TARGETS.p99Ms} ms`)],
        [`B hop p99 ms (ours)${overRounds}`, spread(u.summary.B.oursP99Ms, ''), verdict(u.verdicts.p99B, `≤ ${TARGETS.p99Ms} ms`, `> ${TARGETS.p99Ms} ms`)],
        [
          // Little's law: 50 phones in a closed loop wait 50 ÷ hops/s on average, so p99 is set by throughput
          `floor hop p99 ms A / B, same load (for scale)`,
          `${med(u.byRound.map((r) => r.floor.A.latency.p99Ms), 2)} / ${med(u.byRound.map((r) => r.floor.B.latency.p99Ms), 2)}`,
          '',
        ],
        [
          'every hop logged (ussd_hops = hops answered)',
          `${total(ours.map((v) => v.hopRows))} / ${total(ours.map((v) => v.hopsAnswered))} in ${ours.length} phases`,
          verdict(u.verdicts.logged, 'drained, gapless seqs', 'see below'),
        ],
        [
          'bets = B sessions ended with a reference',
          `${total(bets.map((v) => v.bets ?? 0))} / ${total(bets.map((v) => v.betReferences ?? 0))}`,
          verdict(u.verdicts.bets, 'equal', 'differ'),
        ],
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
  // one round's stage split per scenario is enough to read: the round nearest the median ratio
  const typical = (s: 'A' | 'B') => u.byRound[u.summary[s].typicalRound - 1]!;
  const servers: [string, OurWindow][] = [
    [`A, round ${typical('A').round} (nearest the median ratio)`, typical('A').ours.A],
    [`B, round ${typical('B').round} (nearest the median ratio)`, typical('B').ours.B],
    ['A solo', u.solo.A],
    ['B solo', u.solo.B],
    ...(['A', 'B'] as const).flatMap((s) => u.paced[s].slice(0, 1).map((p): [string, OurWindow] => [`${s}, paced at ${p.share * 100}%`, p.figures])),
  ];
  for (const [name, w] of servers) {
    out.push('');
    out.push(serverReport(name, w.server, w.okHops, w.logLines));
  }
  if (u.profiles) {
    for (const [name, p] of Object.entries(u.profiles)) {
      out.push('');
      out.push(`CPU profile of the gateway during ours ${name}, round ${u.rounds} (${p.file}): ${p.seconds} s sampled, main thread busy ${p.busyPct}%`);
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
    `gateway during ours ${name}: event loop busy ${round(s.eventLoop.utilization * 100, 1)}% (delay p50 ${s.eventLoop.delayP50Ms} / p99 ${s.eventLoop.delayP99Ms} / max ${s.eventLoop.delayMaxMs} ms); ` +
      `GC ${s.gc.pauses} pauses, ${s.gc.totalMs} ms in all, longest ${s.gc.maxMs} ms; ` +
      `server-side request ${s.requestMs.p50} / ${s.requestMs.p99} ms p50/p99, handleHop ${s.hopMs.p50} / ${s.hopMs.p99} ms; ` +
      `per hop: ${per(dbCalls)} core queries (${per(dbMs)} ms), ${per(s.redis.trips)} Redis round trips; ${logLines} log lines`,
  );
  const stages = Object.entries(s.bySeq).map(([seq, b]) => [seq, b.hops, b.open, b.conversation, b.commit, b.release, b.hop]);
  lines.push(table([`hop # (ours ${name.split(',')[0]}), mean ms`, 'hops', 'open', 'conversation', 'commit', 'unlock', 'handleHop'], stages));
  const q = Object.entries(s.db)
    .slice(0, 8)
    .map(([sql, d]) => [sql.slice(0, 70), d.calls, per(d.calls), round(d.ms / Math.max(d.calls, 1), 2), d.background ? 'background' : 'hop']);
  if (q.length > 0) lines.push(table(['query (first 70 chars)', 'calls', 'per hop', 'mean ms', 'who'], q));
  lines.push(`Redis commands: ${Object.entries(s.redis.commands).map(([c, k]) => `${c} ${k}`).join(', ')}`);
  return lines.join('\n');
}
