import { createCore, type Core } from '../../src/core/core.ts';
import type { Db } from '../../src/core/db.ts';
import { registerPlayer, type Player } from '../../src/core/players.ts';
import { DEFAULT_SETTINGS, type CoreSettings } from '../../src/core/settings.ts';
import { deposit } from '../../src/core/wallet.ts';

export interface TestClock {
  (): Date;
  set(at: Date | number): void;
  advance(ms: number): void;
}

export function testClock(start: Date | number = Date.UTC(2026, 10, 25, 12, 0, 0)): TestClock {
  let now = new Date(start).getTime();
  const clock = (() => new Date(now)) as TestClock;
  clock.set = (at) => {
    now = new Date(at).getTime();
  };
  clock.advance = (ms) => {
    now += ms;
  };
  return clock;
}

export async function testCore(db: Db, settings: Partial<CoreSettings> = {}, clock = testClock()) {
  const core = await createCore(db, { ...DEFAULT_SETTINGS, ...settings }, clock);
  return { core, clock };
}

let phoneSeq = 0;
/** a fresh registered player, optionally funded (the deposit's excise is taken as configured) */
export async function newPlayer(core: Core, depositCents = 0): Promise<Player> {
  phoneSeq += 1;
  const msisdn = `2547${String(process.pid % 100).padStart(2, '0')}${String(phoneSeq).padStart(6, '0')}`;
  const reg = await registerPlayer(core.db, {
    msisdn,
    language: 'en',
    acceptedTerms: true,
    confirmedAdult: true,
    now: core.clock(),
  });
  if (!reg.ok) throw new Error(reg.reason);
  if (depositCents > 0) {
    const dep = await deposit(core, { playerId: reg.value.id, amount: depositCents, receipt: `R${msisdn}`, now: core.clock() });
    if (!dep.ok) throw new Error(dep.reason);
  }
  return reg.value;
}
