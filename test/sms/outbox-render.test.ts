/** What each outbox kind says, in each language: GSM-7 only, one SMS for any realistic amount, taxes shown. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderOutboxMessage, RenderError } from '../../src/adapters/sms/outbox-render.ts';
import { en, sw } from '../../src/adapters/sms/sms-texts.ts';
import { TWO_PARTS } from '../../src/adapters/sms/sms-length.ts';
import { gsm7Length, isGsm7 } from '../../src/menus/gsm7.ts';

const samples: [kind: string, params: Record<string, unknown>][] = [
  ['bet_placed', { reference: 'B7K2QX', stake: 100_00, potentialPayout: 185_00, legs: 1 }],
  ['bet_won', { reference: 'B7K2QX', payout: 185_00, wht: 0, credited: 185_00 }],
  ['bet_won', { reference: 'B7K2QX', payout: 1_250_00, wht: 50_00, credited: 1_200_00 }],
  ['bet_void', { reference: 'B7K2QX', payout: 100_00, wht: 0, credited: 100_00 }],
  ['deposit_credited', { receipt: 'SIMAB12CD3', amount: 1000_00, excise: 50_00, credited: 950_00, balance: 1_950_00 }],
  ['deposit_credited', { receipt: 'SIMAB12CD3', amount: 1000_00, excise: 0, credited: 1000_00, balance: 1000_00 }],
  ['deposit_failed', { depositId: 3, amount: 500_00, code: '1032', reason: 'You cancelled the M-Pesa request' }],
  ['deposit_failed', {}],
  ['withdrawal_paid', { withdrawalId: 7, amount: 100_00, wht: 5_00, net: 95_00, receipt: 'PAID1', reason: null }],
  ['withdrawal_paid', { withdrawalId: 7, amount: 100_00, wht: 0, net: 100_00, receipt: null, reason: null }],
  ['withdrawal_failed', { withdrawalId: 7, amount: 100_00, wht: 5_00, net: 95_00, receipt: null, reason: 'no account' }],
  ['self_excluded', { until: '2026-12-02T12:00:00.000Z', days: 7 }],
  ['reply', { text: 'Balance KES 0.00.' }],
];

describe('rendering outbox messages', () => {
  it.each(samples.flatMap(([kind, params]) => (['en', 'sw'] as const).map((lang) => [kind, lang, params] as const)))(
    '%s in %s is GSM-7 and one SMS',
    (kind, lang, params) => {
      const text = renderOutboxMessage(kind, params, lang);
      expect(isGsm7(text)).toBe(true);
      expect(gsm7Length(text)).toBeLessThanOrEqual(160);
      expect(text.length).toBeGreaterThan(10);
    },
  );

  it('shows amounts as KES 1,250.00 and the tax where one was taken', () => {
    expect(renderOutboxMessage('deposit_credited', samples[4]![1], 'en')).toBe(
      'Deposit of KES 1,000.00 received (M-Pesa SIMAB12CD3). Excise duty KES 50.00, to your wallet KES 950.00. Balance KES 1,950.00.',
    );
    expect(renderOutboxMessage('deposit_credited', samples[5]![1], 'en')).not.toMatch(/Excise/);
    expect(renderOutboxMessage('withdrawal_paid', samples[8]![1], 'en')).toBe(
      'Withdrawal of KES 100.00: KES 95.00 sent to your M-Pesa, receipt PAID1. Withholding tax KES 5.00.',
    );
    expect(renderOutboxMessage('bet_won', samples[2]![1], 'en')).toMatch(/won KES 1,250\.00\. Withholding tax KES 50\.00\. KES 1,200\.00 is in your wallet/);
    expect(renderOutboxMessage('bet_won', samples[1]![1], 'sw')).toMatch(/^Hongera! Beti B7K2QX imeshinda KES 185\.00\./);
    expect(renderOutboxMessage('deposit_failed', samples[6]![1], 'en')).toBe(
      'Your M-Pesa deposit of KES 500.00 was not completed: You cancelled the M-Pesa request. No money was taken. Send DEPOSIT#AMOUNT to try again.',
    );
    // Nairobi time: 12:00 UTC is 15:00 EAT
    expect(renderOutboxMessage('self_excluded', samples[11]![1], 'en')).toContain('02/12/2026 15:00');
  });

  it('renders in the language given, English when there is none', () => {
    expect(renderOutboxMessage('bet_placed', samples[0]![1], 'sw')).toMatch(/^Beti B7K2QX imewekwa/);
    expect(renderOutboxMessage('bet_placed', samples[0]![1], null)).toMatch(/^Bet B7K2QX placed/);
    expect(renderOutboxMessage('bet_placed', JSON.stringify(samples[0]![1]), 'en')).toMatch(/^Bet B7K2QX placed/);
  });

  it('makes reply text GSM-7 (a curly quote would switch the SMS to UCS-2)', () => {
    expect(renderOutboxMessage('reply', { text: '\u201cHi\u201d \u2014 you\u2019re in' }, 'en')).toBe('"Hi" - you\'re in');
  });

  it('refuses an unknown kind or missing params rather than sending nonsense', () => {
    expect(() => renderOutboxMessage('mystery', {}, 'en')).toThrow(RenderError);
    expect(() => renderOutboxMessage('bet_placed', { reference: 'B1' }, 'en')).toThrow(RenderError);
    expect(() => renderOutboxMessage('self_excluded', { until: 'soon' }, 'en')).toThrow(RenderError);
  });

  it('every receipt fits one SMS for any amount up to the maximum payout, in both languages', () => {
    const amount = fc.integer({ min: 0, max: 1_000_000_00 });
    const ref = fc.stringMatching(/^B[0-9A-HJKMNP-TV-Z]{5,8}$/);
    const receipt = fc.stringMatching(/^[A-Z0-9]{10}$/);
    fc.assert(
      fc.property(amount, amount, amount, fc.integer({ min: 0, max: 100_000_000_00 }), ref, receipt, fc.constantFrom('en', 'sw'), (a, b, c, bal, r, rc, lang) => {
        const params: [string, Record<string, unknown>][] = [
          ['bet_placed', { reference: r, stake: a, potentialPayout: b, legs: 10 }],
          ['bet_won', { reference: r, payout: a, wht: b, credited: c }],
          ['bet_void', { reference: r, payout: a, wht: 0, credited: a }],
          ['deposit_credited', { receipt: rc, amount: a, excise: b, credited: c, balance: bal }],
          ['withdrawal_paid', { amount: a, wht: b, net: c, receipt: rc }],
          ['withdrawal_failed', { amount: a }],
          ['deposit_failed', { amount: a, reason: 'Another M-Pesa request is still open on your phone' }],
        ];
        for (const [kind, p] of params) {
          const text = renderOutboxMessage(kind, p, lang);
          if (!isGsm7(text) || gsm7Length(text) > 160) throw new Error(`${kind}/${lang} too long: ${text}`);
        }
      }),
    );
  });

  it('the help texts fit two SMS, the terms one', () => {
    for (const t of [en, sw]) {
      expect(gsm7Length(`${t.registered}\n${t.help}`)).toBeLessThanOrEqual(TWO_PARTS);
      // the detailed terms fit one SMS with the default URL; the shortest fits with the longest URL allowed
      expect(gsm7Length(t.terms('example.co.ke/terms')[0]!)).toBeLessThanOrEqual(160);
      expect(gsm7Length(t.terms('x'.repeat(60)).at(-1)!)).toBeLessThanOrEqual(160);
    }
  });
});
