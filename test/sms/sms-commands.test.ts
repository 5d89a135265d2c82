/** Reading what people type: tolerant of case, spaces, separators and glued keywords; never throws. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalisePick, parseCommand, type Command } from '../../src/adapters/sms/sms-commands.ts';
import { PICK_CODES, resolvePick } from '../../src/adapters/sms/sms-picks.ts';

describe('parsing SMS commands', () => {
  it.each<[string, Command]>([
    ['GAMES', { kind: 'games' }],
    ['games', { kind: 'games' }],
    ['  Games  ', { kind: 'games' }],
    ['GAMES#FOOTBALL', { kind: 'games' }],
    ['mechi', { kind: 'games' }],
    ['BAL', { kind: 'balance' }],
    ['bal#', { kind: 'balance' }],
    ['Balance please', { kind: 'balance' }],
    ['SALIO', { kind: 'balance' }],
    ['BETS', { kind: 'bets' }],
    ['HELP', { kind: 'help' }],
    ['?', { kind: 'help' }],
    ['STOP', { kind: 'stop' }],
    ['start', { kind: 'start' }],
    ['ACCEPT', { kind: 'accept', language: 'en' }],
    ['accept ', { kind: 'accept', language: 'en' }],
    ['Kubali', { kind: 'accept', language: 'sw' }],
    ['DEPOSIT#100', { kind: 'deposit', amount: 100_00 }],
    ['deposit # 1,000', { kind: 'deposit', amount: 1000_00 }],
    ['DEPOSIT 250', { kind: 'deposit', amount: 250_00 }],
    ['deposit100', { kind: 'deposit', amount: 100_00 }],
    ['DEP#KES 50', { kind: 'deposit', amount: 50_00 }],
    ['weka*100', { kind: 'deposit', amount: 100_00 }],
    ['W#100', { kind: 'withdraw', amount: 100_00 }],
    ['w 99.50', { kind: 'withdraw', amount: 99_50 }],
    ['W100', { kind: 'withdraw', amount: 100_00 }],
    ['withdraw#Ksh500', { kind: 'withdraw', amount: 500_00 }],
    ['LANG#SW', { kind: 'language', language: 'sw' }],
    ['lang # en', { kind: 'language', language: 'en' }],
    ['LANGSW', { kind: 'language', language: 'sw' }],
    ['lugha kiswahili', { kind: 'language', language: 'sw' }],
    ['EXCLUDE#7', { kind: 'exclude', days: 7 }],
    ['exclude 3650', { kind: 'exclude', days: 3650 }],
    ['EXCLUDE1', { kind: 'exclude', days: 1 }],
    ['1234#1#100', { kind: 'bet', legs: [{ gameId: 1234, pick: '1' }], stake: 100_00 }],
    ['gid'.replace('gid', '1234') + ' # x # 100', { kind: 'bet', legs: [{ gameId: 1234, pick: 'X' }], stake: 100_00 }],
    ['1234 1x 50', { kind: 'bet', legs: [{ gameId: 1234, pick: '1X' }], stake: 50_00 }],
    ['1234*ov2.5*50', { kind: 'bet', legs: [{ gameId: 1234, pick: 'OV25' }], stake: 50_00 }],
    ['1234#0v25#50', { kind: 'bet', legs: [{ gameId: 1234, pick: 'OV25' }], stake: 50_00 }],
    ['1234##hcp1#50#', { kind: 'bet', legs: [{ gameId: 1234, pick: 'HCP1' }], stake: 50_00 }],
    [
      '1234#1#1240#GG#1300#s3#20',
      {
        kind: 'bet',
        legs: [
          { gameId: 1234, pick: '1' },
          { gameId: 1240, pick: 'GG' },
          { gameId: 1300, pick: 'S3' },
        ],
        stake: 20_00,
      },
    ],
  ])('%j', (text, expected) => {
    expect(parseCommand(text)).toEqual(expected);
  });

  it.each<[string, string]>([
    ['', 'empty'],
    ['   ', 'empty'],
    ['###', 'empty'],
    ['hello', 'unknown'],
    ['1X2', 'unknown'],
    ['1234', 'bet_syntax'],
    ['1234#1', 'bet_syntax'],
    ['1234#1#1240#50', 'bet_syntax'],
    ['1234#1#abc', 'bad_amount'],
    ['1234#1#0', 'bad_amount'],
    ['1234#1#-5', 'bad_amount'],
    ['12O4#1#50', 'bad_game_id'],
    ['1234#1#12X4#2#50', 'bad_game_id'],
    ['DEPOSIT', 'deposit_syntax'],
    ['DEPOSIT#100#200', 'deposit_syntax'],
    ['DEPOSIT#lots', 'bad_amount'],
    ['W', 'withdraw_syntax'],
    ['W#1.234', 'bad_amount'],
    ['LANG', 'lang_syntax'],
    ['LANG#FR', 'lang_syntax'],
    ['EXCLUDE', 'exclude_syntax'],
    ['EXCLUDE#0', 'exclude_syntax'],
    ['EXCLUDE#3651', 'exclude_syntax'],
    ['EXCLUDE#forever', 'exclude_syntax'],
    ['EXCLUDE#7.5', 'exclude_syntax'],
  ])('%j is a syntax problem: %s', (text, problem) => {
    expect(parseCommand(text)).toMatchObject({ kind: 'invalid', problem });
  });

  it('never throws, whatever arrives', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' })), (text) => {
        const cmd = parseCommand(text);
        expect(typeof cmd.kind).toBe('string');
      }),
      { numRuns: 2000 },
    );
  });

  it('normalises picks the way people type them', () => {
    expect(['ov 2.5', '0V25', 'Ov25'].map(normalisePick)).toEqual(['OV25', 'OV25', 'OV25']);
  });
});

describe('pick codes', () => {
  it.each([
    ['football', '1', '1X2', '1'],
    ['football', 'X', '1X2', 'X'],
    ['football', '2', '1X2', '2'],
    ['football', '1X', 'DC', '1X'],
    ['football', 'X2', 'DC', 'X2'],
    ['football', '12', 'DC', '12'],
    ['football', 'OV25', 'OU25', 'OV25'],
    ['football', 'UN25', 'OU25', 'UN25'],
    ['football', 'GG', 'BTTS', 'GG'],
    ['football', 'NG', 'BTTS', 'NG'],
    ['football', 'HCP1', 'HCP', '1'],
    ['football', 'HCPX', 'HCP', 'X'],
    ['football', 'HCP2', 'HCP', '2'],
    ['basketball', '1', 'WIN', '1'],
    ['basketball', '2', 'WIN', '2'],
    ['basketball', 'OV', 'TOT', 'OV'],
    ['basketball', 'UN', 'TOT', 'UN'],
    ['tennis', '1', 'WIN', '1'],
    ['tennis', '2', 'WIN', '2'],
    ['tennis', 'S2', 'SETS', '2'],
    ['tennis', 'S3', 'SETS', '3'],
  ] as const)('%s %s → %s:%s', (sport, code, market, pick) => {
    expect(resolvePick(sport, code)).toEqual({ market, pick });
  });

  it('every advertised code resolves, and codes of one sport do not leak into another', () => {
    for (const [sport, codes] of Object.entries(PICK_CODES) as [keyof typeof PICK_CODES, string][]) {
      for (const code of codes.split(' ')) expect(resolvePick(sport, code)).not.toBeNull();
    }
    expect(resolvePick('basketball', 'X')).toBeNull();
    expect(resolvePick('tennis', 'OV')).toBeNull();
    expect(resolvePick('football', 'S2')).toBeNull();
  });
});
