import { loadSystemAccounts, type SystemAccountIds } from './accounts.ts';
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
}

export async function createCore(db: Db, settings: CoreSettings, clock: Clock): Promise<Core> {
  return { db, accounts: await loadSystemAccounts(db), settings, taxes: settings.taxes, clock };
}
