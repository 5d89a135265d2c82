import { describe, expect, it } from 'vitest';
import { dialWith, setup } from './dial.ts';
import { defaultWorld, fakeServices, player } from './fake-menu-services.ts';

const NEW_NUMBER = { phone: '254799999999' };

describe('first dial of an unknown number', () => {
  it('shows the short terms with accept, decline and a language option', async () => {
    const dial = dialWith(fakeServices(), {}, NEW_NUMBER);
    const reply = await dial.start();
    expect(reply).toEqual({
      kind: 'CON',
      screen:
        '18+ only. Gambling can be addictive. T&Cs at bet.example/terms\n1. I am 18+ and accept\n2. Decline\n3. Kiswahili',
    });
    expect(dial.state).toBe('terms');
    expect(dial.resumable).toBeNull();
  });

  it('registers the player on accept and lands on the main menu with a welcome line', async () => {
    const services = fakeServices();
    const dial = dialWith(services, {}, NEW_NUMBER);
    await dial.start();
    const reply = await dial.send('1');
    expect(services.world.calls.filter((c) => c.method === 'register')).toEqual([
      { method: 'register', args: ['254799999999', 'en'] },
    ]);
    expect(reply.kind).toBe('CON');
    expect(reply.screen).toBe(
      'Welcome! You are registered.\nMain menu\n1. Bet on virtuals\n2. Balance\n3. My bets\n4. Deposit\n5. Withdraw\n6. Account\n0. Exit',
    );
    expect(dial.state).toBe('main');
  });

  it('switches the terms to Swahili and registers the player in Swahili', async () => {
    const services = fakeServices();
    const dial = dialWith(services, {}, NEW_NUMBER);
    await dial.start();
    const sw = await dial.send('3');
    expect(sw.screen).toBe('18+ tu. Kamari inaweza kulevya. Masharti: bet.example/terms\n1. Nina 18+, nakubali\n2. Sikubali\n3. English');
    const back = await dial.send('3');
    expect(back.screen).toContain('3. Kiswahili');
    await dial.send('3');
    const main = await dial.send('1');
    expect(services.world.calls.find((c) => c.method === 'register')?.args).toEqual(['254799999999', 'sw']);
    expect(main.screen).toBe(
      'Karibu! Umesajiliwa.\nMenyu kuu\n1. Beti michezo ya virtual\n2. Salio\n3. Beti zangu\n4. Weka pesa\n5. Toa pesa\n6. Akaunti\n0. Ondoka',
    );
  });

  it('says goodbye on decline without registering anyone', async () => {
    const services = fakeServices();
    const dial = dialWith(services, {}, NEW_NUMBER);
    await dial.start();
    const reply = await dial.send('2');
    expect(reply).toEqual({ kind: 'END', screen: 'You declined the terms. Goodbye.' });
    expect(dial.state).toBe('declined');
    expect(services.world.calls.some((c) => c.method === 'register')).toBe(false);
  });

  it('does not take "00" as a way past the terms', async () => {
    const dial = dialWith(fakeServices(), {}, NEW_NUMBER);
    await dial.start();
    const reply = await dial.send('00');
    expect(reply.screen.split('\n')[0]).toBe('Invalid choice. Try again.');
    expect(dial.state).toBe('terms');
  });
});

describe('a registered number', () => {
  it('goes straight to the main menu in the player\'s language', async () => {
    const world = defaultWorld();
    world.players.set('254700000001', player({ language: 'sw' }));
    const { dial } = setup(world);
    const reply = await dial.start();
    expect(reply.screen.split('\n')[0]).toBe('Menyu kuu');
    expect(dial.state).toBe('main');
  });

  it('is turned away with a call-support END when blocked', async () => {
    const world = defaultWorld();
    world.players.set('254700000001', player({ blocked: true }));
    const services = fakeServices(world);
    const dial = dialWith(services, { supportPhone: '0700 123 456' });
    const reply = await dial.start();
    expect(reply).toEqual({ kind: 'END', screen: 'Your account is blocked. Please call customer care on 0700 123 456.' });
    expect(dial.state).toBe('blocked');
  });
});
