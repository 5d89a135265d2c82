/**
 * The USSD load generator: `phones` handsets, each running whole sessions of one scenario back to back (a new
 * sessionId per session, the cumulative `text` a handset sends, the next hop as soon as the reply is in) against a
 * server over keep-alive HTTP, until `seconds` have passed or every phone has run `maxSessionsPerPhone` sessions.
 * With `offeredHopsPerSecond` the phones are paced: each sends its hops at most every `phones ÷ rate` seconds (the
 * phones start spread over one such interval), so the server sees that load instead of all it can take, and latency
 * shows the service time at that load rather than the queue of a saturated server. A phone whose reply comes late
 * sends its next hop at once, without catching up on the hops it missed.
 * At the deadline no phone starts another session, but each finishes the one it is in (a handset hanging up mid-bet
 * would leave a resume offer that changes its next session's first screen). Throughput and latency count the hops
 * answered before the deadline, so the window is exact; the hops after it count only as answered (for the hop log
 * check) and for errors. Every hop's latency is recorded;
 * errors are counted by kind: transport failures and timeouts, non-200 answers, bodies that are not CON/END, busy
 * screens, an END before the session's last hop, a bet END without a reference, and (when `checkScreens`) a screen
 * that is not the one the scenario expects.
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Latencies, round, sleep, type LatencySummary } from '../stats.ts';
import {
  BET_REFERENCE,
  BUSY_SCREENS,
  RESUME_OFFER,
  HOP_PATH,
  hopsPerSession,
  NETWORK_CODE,
  SERVICE_CODE,
  textOfHop,
  type Scenario,
} from './protocol.ts';

export interface LoadOptions {
  port: number;
  scenario: Scenario;
  phones: string[];
  seconds: number;
  maxSessionsPerPhone: number;
  /** sessionIds are `${sessionPrefix}-${phone index}-${n}`, so the hop log and the bets can be counted per phase */
  sessionPrefix: string;
  checkScreens: boolean;
  hopTimeoutMs?: number;
  /** stops the run early (the server child died) */
  abort?: () => boolean;
  /** pace the phones to offer about this many hops per second in all; unset = each hop as soon as the reply is in */
  offeredHopsPerSecond?: number;
}

export interface LoadResult {
  scenario: string;
  sessionPrefix: string;
  phones: number;
  seconds: number;
  /** hops that got an answer (any answer, also after the deadline), and of those the right ones before the deadline */
  hops: number;
  okHops: number;
  /** right hops per second (an error is not throughput) */
  /** requests that were sent at all (hops + transport failures) */
  sent: number;
  hopsPerSecond: number;
  sessionsStarted: number;
  sessionsCompleted: number;
  sessionsPerSecond: number;
  /** references of the bets whose END the phones received */
  betReferences: string[];
  errors: Record<string, number>;
  errorCount: number;
  errorSamples: string[];
  latency: LatencySummary;
  loadCpuMsPerHop: number;
}

interface Answer {
  status: number;
  body: string;
}

export function post(agent: Agent, port: number, body: string, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: HOP_PATH,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
        timeout: timeoutMs,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const { scenario } = opts;
  const hops = hopsPerSession(scenario);
  const agent = new Agent({ keepAlive: true, maxSockets: opts.phones.length });
  const latencies = new Latencies(2_000_000);
  const errors: Record<string, number> = {};
  const samples: string[] = [];
  const refs: string[] = [];
  let answered = 0;
  let ok = 0;
  let sent = 0;
  let started = 0;
  let completed = 0;
  let completedInWindow = 0;
  const timeoutMs = opts.hopTimeoutMs ?? 10_000;

  const fail = (kind: string, detail: string) => {
    errors[kind] = (errors[kind] ?? 0) + 1;
    if (samples.length < 8) samples.push(`${kind}: ${detail.slice(0, 160).replace(/\n/g, ' | ')}`);
  };

  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const deadline = t0 + opts.seconds * 1000;
  const over = () => performance.now() >= deadline || (opts.abort?.() ?? false);
  const aborted = () => opts.abort?.() ?? false;

  // the gap between one phone's hops, and when its next one is due
  const interval = opts.offeredHopsPerSecond ? (opts.phones.length * 1000) / opts.offeredHopsPerSecond : 0;
  const pace = async (due: number) => {
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    return Math.max(due + interval, performance.now());
  };

  const phone = async (p: number) => {
    const phoneNumber = opts.phones[p]!;
    let due = t0 + (interval * p) / opts.phones.length;
    for (let n = 0; n < opts.maxSessionsPerPhone && !over(); n++) {
      const sessionId = `${opts.sessionPrefix}-${p}-${n}`;
      started += 1;
      let finished = true;
      for (let i = 0; i < hops; i++) {
        if (interval > 0) due = await pace(due);
        if (aborted()) {
          finished = false;
          break;
        }
        const body = new URLSearchParams({
          sessionId,
          serviceCode: SERVICE_CODE,
          phoneNumber,
          networkCode: NETWORK_CODE,
          text: textOfHop(scenario, i),
        }).toString();
        const h0 = performance.now();
        sent += 1;
        let answer: Answer;
        try {
          answer = await post(agent, opts.port, body, timeoutMs);
        } catch (err) {
          fail('transport', String(err instanceof Error ? err.message : err));
          finished = false;
          await sleep(50); // a dead or refusing server must not turn this loop into a spin
          break;
        }
        const h1 = performance.now();
        const inWindow = h1 <= deadline;
        if (inWindow) latencies.add(h1 - h0);
        answered += 1;
        const last = i === hops - 1;
        const reply = answer.body;
        if (answer.status !== 200) {
          fail(`http ${answer.status}`, reply);
        } else if (!reply.startsWith('CON ') && !reply.startsWith('END ')) {
          fail('not CON/END', reply);
        } else if (BUSY_SCREENS.some((b) => reply.includes(b))) {
          fail('busy screen', reply);
        } else if (!last && reply.startsWith('END ')) {
          fail('END before the last hop', reply);
        } else if (last && scenario.endsWithBet && !BET_REFERENCE.test(reply)) {
          fail('bet END without a reference', reply);
        } else if (opts.checkScreens && !scenario.expect[i]!.test(reply)) {
          fail(`unexpected screen at hop ${i + 1}`, reply);
        } else {
          if (inWindow) ok += 1;
          if (last && scenario.endsWithBet) refs.push(BET_REFERENCE.exec(reply)![1]!);
          continue;
        }
        // a wrong answer ends the session: the handset would show it and hang up
        finished = false;
        if (reply.includes(RESUME_OFFER)) {
          // an earlier session of this phone broke off mid-bet: decline the offer ("2. Start again") so that the
          // phone's next session starts clean instead of failing the same way
          try {
            await post(agent, opts.port, new URLSearchParams({ sessionId, serviceCode: SERVICE_CODE, phoneNumber, networkCode: NETWORK_CODE, text: '2' }).toString(), timeoutMs);
            answered += 1;
          } catch {
            // the next session will meet the offer again
          }
        }
        break;
      }
      if (finished) {
        completed += 1;
        if (performance.now() <= deadline) completedInWindow += 1;
      }
    }
  };

  await Promise.all(opts.phones.map((_, p) => phone(p)));
  const seconds = (Math.min(performance.now(), deadline) - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  agent.destroy();
  const errorCount = Object.values(errors).reduce((a, b) => a + b, 0);
  return {
    scenario: scenario.name,
    sessionPrefix: opts.sessionPrefix,
    phones: opts.phones.length,
    seconds: round(seconds, 2),
    hops: answered,
    okHops: ok,
    sent,
    hopsPerSecond: round(ok / seconds, 1),
    sessionsStarted: started,
    sessionsCompleted: completed,
    sessionsPerSecond: round(completedInWindow / seconds, 1),
    betReferences: refs,
    errors,
    errorCount,
    errorSamples: samples,
    latency: latencies.summary(),
    loadCpuMsPerHop: round((cpu.user + cpu.system) / 1000 / Math.max(answered, 1), 3),
  };
}
