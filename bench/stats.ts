import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import pg from 'pg';

const CLK_TCK = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(r.stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

/** CPU seconds a local process has used (user + system), or null when /proc cannot tell (remote server, not Linux) */
export function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

export interface LatencySummary {
  count: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** a bounded sample store: latencies past `capacity` are counted but not kept */
export class Latencies {
  private readonly values: Float64Array;
  private n = 0;
  private sum = 0;
  private seen = 0;
  constructor(capacity: number) {
    this.values = new Float64Array(capacity);
  }
  add(ms: number): void {
    this.seen += 1;
    this.sum += ms;
    if (this.n < this.values.length) this.values[this.n++] = ms;
  }
  summary(): LatencySummary {
    const sorted = this.values.slice(0, this.n).sort();
    const at = (q: number) => (this.n === 0 ? 0 : sorted[Math.min(this.n - 1, Math.floor(q * this.n))]!);
    return {
      count: this.seen,
      meanMs: round(this.seen === 0 ? 0 : this.sum / this.seen, 2),
      p50Ms: round(at(0.5), 2),
      p90Ms: round(at(0.9), 2),
      p99Ms: round(at(0.99), 2),
      maxMs: round(this.n === 0 ? 0 : sorted[this.n - 1]!, 2),
    };
  }
}

export function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** mulberry32: a small seeded PRNG so every run draws the same slips */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Samples pg_stat_activity for one database every `intervalMs` until stopped (and never past `maxMs`): what the
 * server's client backends were doing — on CPU, waiting on a lock, on WAL flush, or idle waiting for the client.
 */
export class WaitSampler {
  private readonly counts = new Map<string, number>();
  /** per backend pid: CPU seconds when first and last seen */
  private readonly cpu = new Map<number, { first: number; last: number }>();
  private cpuUnavailable = false;
  private samples = 0;
  private stopped = false;
  private loop: Promise<void> | null = null;
  private constructor(
    private readonly client: pg.Client,
    private readonly database: string,
  ) {}

  static async start(url: string, database: string, intervalMs = 50, maxMs = 60_000): Promise<WaitSampler> {
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => undefined);
    await client.connect();
    const s = new WaitSampler(client, database);
    const until = Date.now() + maxMs;
    s.loop = (async () => {
      while (!s.stopped && Date.now() < until) {
        const { rows } = await client.query<{ what: string; pid: number }>(
          `SELECT CASE WHEN state = 'active' THEN coalesce(wait_event_type || ':' || wait_event, 'CPU (running)')
                       ELSE coalesce(state, '?') || coalesce(' / ' || wait_event, '') END AS what,
                  pid
             FROM pg_stat_activity
            WHERE datname = $1 AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
          [s.database],
        );
        s.samples += 1;
        for (const r of rows) {
          s.counts.set(r.what, (s.counts.get(r.what) ?? 0) + 1);
          if (s.cpuUnavailable) continue;
          const sec = processCpuSeconds(r.pid);
          if (sec === null) {
            s.cpuUnavailable = true;
            continue;
          }
          const seen = s.cpu.get(r.pid);
          if (seen) seen.last = sec;
          else s.cpu.set(r.pid, { first: sec, last: sec });
        }
        await sleep(intervalMs);
      }
    })().catch(() => undefined);
    return s;
  }

  /**
   * Share of backend-samples per state, largest first; and the CPU seconds the sampled backends used while sampled
   * (read from /proc, so only for a server on this machine; a backend's last interval before it exits is missed).
   */
  async stop(): Promise<{ samples: number; shares: Record<string, number>; backendCpuSeconds: number | null }> {
    this.stopped = true;
    await this.loop;
    await this.client.end().catch(() => undefined);
    const total = [...this.counts.values()].reduce((a, b) => a + b, 0);
    const shares = Object.fromEntries(
      [...this.counts.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, round((v / Math.max(total, 1)) * 100, 1)]),
    );
    const backendCpuSeconds =
      this.cpuUnavailable || this.cpu.size === 0
        ? null
        : round([...this.cpu.values()].reduce((a, c) => a + (c.last - c.first), 0), 2);
    return { samples: this.samples, shares, backendCpuSeconds };
  }
}

/** a plain text table: first column left-aligned, the rest right-aligned */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const sep = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(cells[0]!), sep, ...cells.slice(1).map(line)].join('\n');
}
