import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpuBusyPct, cpuSnapshot, walPerTx, walSnapshot, type Scratch, type WalPerTx } from './env.ts';
import { WaitSampler } from './stats.ts';

export interface PgbenchResult {
  skipped: false;
  binary: string;
  scale: number;
  clients: number;
  threads: number;
  seconds: number;
  initSeconds: number;
  tps: number;
  transactions: number | null;
  latencyAvgMs: number | null;
  machineCpuBusyPct: number | null;
  wal: WalPerTx | null;
  /** CPU the server's backends spent per transaction (ms), from /proc; null when the server is not local */
  backendCpuMsPerTx: number | null;
  waits: Record<string, number>;
}

export type PgbenchOutcome = PgbenchResult | { skipped: true; reason: string };

function findPgbench(): string | null {
  const candidates = [process.env.PGBENCH, 'pgbench', '/usr/bin/pgbench', '/usr/lib/postgresql/15/bin/pgbench'];
  for (const c of candidates) {
    if (!c) continue;
    if (c.includes('/') && !existsSync(c)) continue;
    const r = spawnSync(c, ['--version'], { encoding: 'utf8', timeout: 5_000 });
    if (r.status === 0) return c;
  }
  return null;
}

/** runs a command with a hard time limit; resolves with its output, rejects on a non-zero exit or the limit */
function run(cmd: string, args: string[], limitMs: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args[0]} exceeded ${limitMs} ms`));
    }, limitMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${cmd} exited with ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
}

/** pgbench prints "tps = N (without initial connection time)" (v14+) or "tps = N (excluding connections establishing)" */
export function parseTps(output: string): number | null {
  const m =
    /tps = ([\d.]+) \((?:without initial connection time|excluding connections establishing)\)/.exec(output) ??
    /tps = ([\d.]+)/.exec(output);
  return m ? Number(m[1]) : null;
}

/**
 * The textbook baseline on this very server: `pgbench -i -s <scale>` into a scratch database, then the default
 * TPC-B-like script with `-c <clients> -j <threads> -T <seconds>` (simple protocol), then the database is dropped.
 */
export async function runPgbench(
  scratch: Scratch,
  opts: { scale: number; clients: number; threads: number; seconds: number },
): Promise<PgbenchOutcome> {
  const binary = findPgbench();
  if (!binary) return { skipped: true, reason: 'pgbench not found (set PGBENCH=/path/to/pgbench)' };
  const db = await scratch.create('pgbench');
  try {
    const t0 = performance.now();
    await run(binary, ['-i', '-q', '-s', String(opts.scale), db.url], 180_000);
    const initSeconds = (performance.now() - t0) / 1000;
    const sampler = await WaitSampler.start(scratch.baseUrl, db.name, 100, (opts.seconds + 30) * 1000);
    const w0 = await walSnapshot(scratch);
    const c0 = cpuSnapshot();
    const out = await run(
      binary,
      ['-c', String(opts.clients), '-j', String(opts.threads), '-T', String(opts.seconds), db.url],
      (opts.seconds + 60) * 1000,
    );
    const c1 = cpuSnapshot();
    const w1 = await walSnapshot(scratch);
    const waits = await sampler.stop();
    const text = out.stdout + out.stderr;
    const tps = parseTps(text);
    if (tps === null) throw new Error(`could not read tps from pgbench output:\n${text}`);
    const tx = /number of transactions actually processed: (\d+)/.exec(text);
    const lat = /latency average = ([\d.]+) ms/.exec(text);
    return {
      skipped: false,
      binary,
      ...opts,
      initSeconds: Math.round(initSeconds * 10) / 10,
      tps: Math.round(tps * 10) / 10,
      transactions: tx ? Number(tx[1]) : null,
      latencyAvgMs: lat ? Number(lat[1]) : null,
      machineCpuBusyPct: cpuBusyPct(c0, c1),
      backendCpuMsPerTx:
        waits.backendCpuSeconds === null || !tx ? null : Math.round((waits.backendCpuSeconds * 1e6) / Number(tx[1])) / 1000,
      wal: await walPerTx(scratch, w0, w1, tx ? Number(tx[1]) : Math.round(tps * opts.seconds)),
      waits: waits.shares,
    };
  } finally {
    await scratch.drop(db.name);
  }
}
