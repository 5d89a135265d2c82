import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/adapters/db/migrate.ts';
import { pgliteDb } from '../../src/adapters/db/pglite.ts';
import { drawDueEvents } from '../../src/core/events.ts';
import { schedulerTick } from '../../src/core/schedule.ts';
import { newPlayer, testCore } from '../support/core.ts';

const run = promisify(execFile);
const tsx = join(process.cwd(), 'node_modules/.bin/tsx');

async function cli(script: string, args: string[], dataDir: string) {
  try {
    const { stdout, stderr } = await run(tsx, [script, ...args], {
      env: { ...process.env, DATABASE_URL: '', DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
    });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

describe('the ledger and fairness command lines', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-cli-'));
  let eventId = 0;
  let wallet = '';
  beforeAll(async () => {
    const db = await pgliteDb(dataDir);
    await migrate(db);
    const { core, clock } = await testCore(db);
    const p = await newPlayer(core, 500_00);
    wallet = `wallet:${p.msisdn}`;
    await schedulerTick(core, clock());
    clock.advance(10 * 60_000);
    await drawDueEvents(db, clock());
    const { rows } = await db.query<{ id: string }>(`SELECT id::text FROM events WHERE status = 'resulted' LIMIT 1`);
    eventId = Number(rows[0]!.id);
    await db.close();
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('ledger:check passes on a whole ledger', async () => {
    const r = await cli('src/cli/ledger-check.ts', [], dataDir);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/ledger ok/);
  });

  it('verify recomputes a drawn event from its revealed seed', async () => {
    const r = await cli('src/cli/verify-event.ts', [String(eventId)], dataDir);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/VERIFIED/);
  });

  it('ledger:check exits 1 and names the account whose balance does not match its entries', async () => {
    const db = await pgliteDb(dataDir);
    await db.query(`UPDATE accounts SET balance = balance + 1 WHERE code = $1`, [wallet]);
    await db.close();
    const r = await cli('src/cli/ledger-check.ts', [], dataDir);
    expect(r.code).toBe(1);
    expect(r.out).toContain(wallet);
    expect(r.out).toMatch(/balance_mismatch/);
  });
});
