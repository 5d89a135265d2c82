import { loadSystemAccounts, type SystemAccountIds } from './accounts.ts';
import { createBetBatcher, type BetBatcher } from './bet-batcher.ts';
import type { Clock } from './clock.ts';
import type { Db } from './db.ts';
import type { CoreSettings } from './settings.ts';

/** what every core operation needs, built once by the composition root */
export interface Core {
  db: Db;
  accounts: SystemAccountIds;
  settings: CoreSettings;
  taxes: CoreSettings['taxes'];
  clock: Clock;
  betBatcher: BetBatcher;
}

export async function createCore(db: Db, settings: CoreSettings, clock: Clock): Promise<Core> {
  const accounts = await loadSystemAccounts(db);
  return {
    db,
    accounts,
    settings,
    taxes: settings.taxes,
    clock,
    betBatcher: createBetBatcher(db, accounts, { maxInFlight: settings.betBatchConcurrency }),
  };
}
