import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import pg from 'pg';

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** the server to measure, and whether it came from the environment */
export function databaseUrl(): { url: string; fromEnv: boolean } {
  const env = process.env.DATABASE_URL;
  return env ? { url: env, fromEnv: true } : { url: DEFAULT_DATABASE_URL, fromEnv: false };
}

/** the URL with any password masked, for printing and the JSON file */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable DATABASE_URL>';
  }
}

/** the same server and credentials, another database */
export function urlFor(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** every scratch database of one run shares this prefix, so a leftover is recognisable */
export const RUN_TAG = `bench_${randomBytes(4).toString('hex')}`;

/**
 * Creates and drops the run's scratch databases through one admin connection to DATABASE_URL. Nothing outside
 * `bench_<tag>_*` is ever created, altered or dropped.
 */
export class Scratch {
  private readonly created = new Set<string>();
  private constructor(
    private readonly admin: pg.Client,
    readonly baseUrl: string,
  ) {}

  static async open(baseUrl: string): Promise<Scratch> {
    const admin = new pg.Client({ connectionString: baseUrl });
    admin.on('error', () => undefined);
    await admin.connect();
    return new Scratch(admin, baseUrl);
  }

  /** a fresh empty database; returns its URL */
  async create(suffix: string): Promise<{ name: string; url: string }> {
    const name = `${RUN_TAG}_${suffix}`;
    if (!/^bench_[0-9a-f]{8}_[a-z0-9_]+$/.test(name)) throw new Error(`refusing odd scratch name ${name}`);
    await this.admin.query(`CREATE DATABASE ${name}`);
    this.created.add(name);
    return { name, url: urlFor(this.baseUrl, name) };
  }

  async drop(name: string): Promise<void> {
    if (!this.created.has(name)) return;
    await this.admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    this.created.delete(name);
  }

  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]) {
    return this.admin.query<R>(sql, params);
  }

  async close(): Promise<void> {
    for (const name of [...this.created]) {
      await this.drop(name).catch((err: unknown) => {
        console.error(`could not drop scratch database ${name}: ${String(err)}`);
      });
    }
    await this.admin.end().catch(() => undefined);
  }
}

export interface MachineFacts {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  platform: string;
  postgres: string;
  settings: Record<string, string>;
  pgStatStatementsLoaded: boolean;
}

const SETTINGS = [
  'synchronous_commit',
  'fsync',
  'wal_sync_method',
  'commit_delay',
  'full_page_writes',
  'wal_level',
  'shared_buffers',
  'wal_buffers',
  'max_wal_size',
  'checkpoint_timeout',
  'work_mem',
  'effective_cache_size',
  'max_connections',
  'jit',
  'shared_preload_libraries',
];

export async function machineFacts(scratch: Scratch): Promise<MachineFacts> {
  const version = await scratch.query<{ v: string }>('SELECT version() AS v');
  const settings = await scratch.query<{ name: string; setting: string; unit: string | null }>(
    'SELECT name, current_setting(name) AS setting, unit FROM pg_settings WHERE name = ANY ($1) ORDER BY name',
    [SETTINGS],
  );
  const s = Object.fromEntries(settings.rows.map((r) => [r.name, r.setting]));
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    postgres: version.rows[0]!.v,
    settings: s,
    pgStatStatementsLoaded: (s.shared_preload_libraries ?? '').includes('pg_stat_statements'),
  };
}

/** whole-machine CPU counters from /proc/stat (Linux); null elsewhere */
export interface CpuSnapshot {
  busy: number;
  total: number;
}

export function cpuSnapshot(): CpuSnapshot | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

/** busy share of all cores between two snapshots, in percent */
export function cpuBusyPct(a: CpuSnapshot | null, b: CpuSnapshot | null): number | null {
  if (!a || !b || b.total === a.total) return null;
  return Math.round(((b.busy - a.busy) / (b.total - a.total)) * 1000) / 10;
}

/** cluster-wide WAL counters (pg_stat_wal, PostgreSQL 14+); other sessions on the server add to them too */
export interface WalSnapshot {
  lsn: string;
  records: number;
  fpi: number;
  syncs: number;
}

export async function walSnapshot(scratch: Scratch): Promise<WalSnapshot | null> {
  try {
    const { rows } = await scratch.query<{ lsn: string; records: string; fpi: string; syncs: string }>(
      `SELECT pg_current_wal_lsn()::text AS lsn, wal_records::text AS records, wal_fpi::text AS fpi, wal_sync::text AS syncs
         FROM pg_stat_wal`,
    );
    const r = rows[0]!;
    return { lsn: r.lsn, records: Number(r.records), fpi: Number(r.fpi), syncs: Number(r.syncs) };
  } catch {
    return null;
  }
}

export interface WalPerTx {
  bytesPerTx: number;
  recordsPerTx: number;
  fullPageImagesPerTx: number;
  /** WAL flushes per committed transaction: below 1 means commits were grouped */
  syncsPerTx: number;
}

export async function walPerTx(scratch: Scratch, a: WalSnapshot | null, b: WalSnapshot | null, tx: number): Promise<WalPerTx | null> {
  if (!a || !b || tx <= 0) return null;
  const { rows } = await scratch.query<{ d: string }>('SELECT pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn)::text AS d', [b.lsn, a.lsn]);
  const r2 = (x: number) => Math.round(x * 100) / 100;
  return {
    bytesPerTx: Math.round(Number(rows[0]!.d) / tx),
    recordsPerTx: r2((b.records - a.records) / tx),
    fullPageImagesPerTx: r2((b.fpi - a.fpi) / tx),
    syncsPerTx: r2((b.syncs - a.syncs) / tx),
  };
}
