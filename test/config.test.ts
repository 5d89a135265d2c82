import { describe, expect, it } from 'vitest';
import { coreSettings, loadConfig } from '../src/config.ts';

describe('configuration', () => {
  it('runs on embedded defaults with nothing set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ PORT: 3000, DATA_DIR: './data', EVENT_INTERVAL_SECONDS: 120, ROUNDS_AHEAD: 3, SESSION_CACHE_SIZE: 1_000 });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(coreSettings(config)).toMatchObject({
      minStake: 20_00,
      taxes: { exciseRateBp: 500, exciseBase: 'deposit', whtRateBp: 500, whtBase: 'withdrawal' },
    });
  });

  it('selects the earlier tax regime by configuration', () => {
    const settings = coreSettings(
      loadConfig({ EXCISE_RATE: '0.125', EXCISE_BASE: 'stake', WHT_RATE: '0.2', WHT_BASE: 'winnings' }),
    );
    expect(settings.taxes).toEqual({ exciseRateBp: 1250, exciseBase: 'stake', whtRateBp: 2000, whtBase: 'winnings' });
  });

  it.each([
    ['PORT', 'seventy'],
    ['EVENT_INTERVAL_SECONDS', '5'],
    ['EXCISE_BASE', 'winnings'],
    ['DATABASE_URL', 'not a url'],
    ['WHT_RATE', '1.5'],
    ['SESSION_CACHE_SIZE', '-1'],
  ])('stops start-up naming %s when it is wrong', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^invalid configuration:\\n  ${name}: `));
  });

  it('refuses a minimum stake above the maximum', () => {
    expect(() => loadConfig({ MIN_STAKE: '500', MAX_STAKE: '100' })).toThrow(/MIN_STAKE/);
  });
});
