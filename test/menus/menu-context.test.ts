import { describe, expect, it } from 'vitest';
import { initialContext } from '../../src/menus/menu-machine.ts';
import { setup } from './dial.ts';
import { LIMITS } from './fake-menu-services.ts';

const INPUT = {
  sessionId: 's',
  phone: '254700000001',
  settings: { maxChars: 160, limits: LIMITS, termsUrl: 'x', supportPhone: '' },
  resume: null,
};

describe('the menu context', () => {
  // XState's assign copies the context with Object.assign on every action; V8 turns an object built that way with
  // more than about 16 properties into a slow dictionary object, and every hop pays for it (about 30% of a hop).
  it('keeps at most 15 top-level keys, so a new field goes into one of the flow groups', () => {
    expect(Object.keys(initialContext(INPUT)).length).toBeLessThanOrEqual(15);
  });

  it('keeps the same top-level keys through a whole bet', async () => {
    const { dial } = setup();
    await dial.start();
    await dial.send('1', '1', '1', '1', '1', '2', '100', '1');
    expect(dial.state).toBe('betPlaced');
    const { context } = dial.last!.snapshot as { context: object };
    expect(Object.keys(context).sort()).toEqual(Object.keys(initialContext(INPUT)).sort());
  });
});
