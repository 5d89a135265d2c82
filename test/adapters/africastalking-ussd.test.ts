import { describe, expect, it } from 'vitest';
import {
  AtHopSchema,
  formatAtReply,
  parseAtHop,
  parseAtSessionEnd,
} from '../../src/adapters/telco/africastalking-ussd.ts';

const firstHop = {
  sessionId: 'ATUid_6f1c2b7e0d9a4c1bb1e4',
  serviceCode: '*290*290#',
  phoneNumber: '+254712345678',
  networkCode: '63902',
  text: '',
};

function reasonOf(body: unknown): string {
  const result = parseAtHop(body);
  if (result.ok) throw new Error('expected a rejection');
  return result.reason;
}

describe('parseAtHop', () => {
  it('maps the first hop (empty text) to a request with no inputs', () => {
    expect(parseAtHop(firstHop)).toEqual({
      ok: true,
      request: {
        aggregator: 'africastalking',
        sessionId: 'ATUid_6f1c2b7e0d9a4c1bb1e4',
        serviceCode: '*290*290#',
        phone: '254712345678',
        network: '63902',
        inputs: [],
        rawText: '',
      },
    });
  });

  it('splits the text of later hops into the whole input history', () => {
    const second = parseAtHop({ ...firstHop, text: '1' });
    const third = parseAtHop({ ...firstHop, text: '1*2*100' });
    expect(second.ok && second.request.inputs).toEqual(['1']);
    expect(third.ok && third.request.inputs).toEqual(['1', '2', '100']);
    expect(third.ok && third.request.rawText).toBe('1*2*100');
  });

  it('reads a shortcut dial (*290*290*2#) as the input 2 on the first hop', () => {
    const result = parseAtHop({ ...firstHop, serviceCode: '*290*290#', text: '2' });
    expect(result.ok && result.request.inputs).toEqual(['2']);
  });

  it('keeps empty inputs where the user sent nothing between separators', () => {
    const result = parseAtHop({ ...firstHop, text: '1**3' });
    expect(result.ok && result.request.inputs).toEqual(['1', '', '3']);
  });

  it('treats a missing text or networkCode as empty', () => {
    const { text: _text, networkCode: _network, ...rest } = firstHop;
    const result = parseAtHop(rest);
    expect(result.ok && result.request.inputs).toEqual([]);
    expect(result.ok && result.request.rawText).toBe('');
    expect(result.ok && result.request.network).toBe('');
  });

  it('normalises the phone number in any Kenyan form, including Airtel/Telkom 01 numbers', () => {
    for (const phoneNumber of ['254712345678', '0712345678', ' 254712345678']) {
      const result = parseAtHop({ ...firstHop, phoneNumber });
      expect(result.ok && result.request.phone).toBe('254712345678');
    }
    const airtel = parseAtHop({ ...firstHop, phoneNumber: '+254110345678', networkCode: '63903' });
    expect(airtel.ok && airtel.request.phone).toBe('254110345678');
  });

  it('ignores extra unknown fields', () => {
    const result = parseAtHop({ ...firstHop, text: '1', foo: 'bar', hopsCount: '2' });
    expect(result.ok).toBe(true);
    expect(result.ok && Object.keys(result.request).sort()).toEqual(
      ['aggregator', 'inputs', 'network', 'phone', 'rawText', 'serviceCode', 'sessionId'],
    );
  });

  it('accepts URLSearchParams, a raw urlencoded body and a null-prototype object', () => {
    const params = new URLSearchParams({ ...firstHop, text: '1*2' });
    for (const body of [params, params.toString(), Object.assign(Object.create(null) as object, { ...firstHop, text: '1*2' })]) {
      const result = parseAtHop(body);
      expect(result.ok && result.request.inputs).toEqual(['1', '2']);
    }
  });

  it.each(['sessionId', 'serviceCode', 'phoneNumber'] as const)('names a missing %s in the reason', (field) => {
    const { [field]: _dropped, ...rest } = firstHop;
    expect(reasonOf(rest)).toBe(`${field}: missing`);
  });

  it.each(['sessionId', 'serviceCode', 'phoneNumber'] as const)('names an empty %s in the reason', (field) => {
    expect(reasonOf({ ...firstHop, [field]: '' })).toBe(`${field}: empty`);
    expect(reasonOf({ ...firstHop, [field]: '   ' })).toBe(`${field}: empty`);
  });

  it('rejects a non-Kenyan number with a reason naming phoneNumber', () => {
    expect(reasonOf({ ...firstHop, phoneNumber: '+255712345678' })).toBe('phoneNumber: not a Kenyan mobile number');
    expect(reasonOf({ ...firstHop, phoneNumber: '+254202345678' })).toBe('phoneNumber: not a Kenyan mobile number');
  });

  it('rejects an oversized sessionId or text, and a non-numeric networkCode', () => {
    expect(reasonOf({ ...firstHop, sessionId: 'x'.repeat(101) })).toBe('sessionId: longer than 100 characters');
    expect(reasonOf({ ...firstHop, text: '1*'.repeat(500) + '1' })).toBe('text: longer than 1000 characters');
    expect(reasonOf({ ...firstHop, networkCode: 'safaricom' })).toBe('networkCode: must be digits');
    expect(parseAtHop({ ...firstHop, sessionId: 'x'.repeat(100), text: '1'.repeat(1000) }).ok).toBe(true);
  });

  it('rejects control characters, which no keypad types and PostgreSQL cannot store (NUL), but not in a valid hop', () => {
    expect(reasonOf({ ...firstHop, text: '1*\u00002' })).toBe('text: contains control characters');
    expect(reasonOf({ ...firstHop, sessionId: 'ATUid_\u001b1' })).toBe('sessionId: contains control characters');
    expect(reasonOf({ ...firstHop, serviceCode: '*290#\u007f' })).toBe('serviceCode: contains control characters');
    expect(parseAtHop({ ...firstHop, text: '1*2*100' }).ok).toBe(true);
  });

  it('rejects a field sent twice (an array) or of the wrong type', () => {
    expect(reasonOf({ ...firstHop, text: ['1', '2'] })).toBe('text: must be a string');
    expect(reasonOf({ ...firstHop, sessionId: 42 })).toBe('sessionId: must be a string');
  });

  it('lists every problem, and rejects a body that is not a form', () => {
    expect(reasonOf({})).toBe('sessionId: missing; serviceCode: missing; phoneNumber: missing');
    expect(reasonOf(null)).toBe('body: expected form fields');
    expect(reasonOf([firstHop])).toBe('body: expected form fields');
  });

  it('exposes the schema, whose output carries the normalised phone number', () => {
    expect(AtHopSchema.parse({ ...firstHop, phoneNumber: '0712345678', networkCode: undefined })).toEqual({
      ...firstHop,
      phoneNumber: '254712345678',
      networkCode: '',
    });
  });
});

describe('formatAtReply', () => {
  it('prefixes CON to keep the session open and END to close it', () => {
    expect(formatAtReply({ kind: 'CON', screen: 'Welcome\n1. Bet\n0. Exit' })).toBe('CON Welcome\n1. Bet\n0. Exit');
    expect(formatAtReply({ kind: 'END', screen: 'Thank you' })).toBe('END Thank you');
  });
});

describe('parseAtSessionEnd', () => {
  const notification = {
    date: '2025-03-14 10:20:30',
    sessionId: 'ATUid_6f1c2b7e0d9a4c1bb1e4',
    serviceCode: '*290*290#',
    networkCode: '63902',
    phoneNumber: '+254712345678',
    status: 'Success',
    cost: 'KES 0.10',
    durationInMillis: '15234',
    hopsCount: '4',
    input: '1*2*100',
    lastAppResponse: 'END Bet placed',
    errorMessage: '',
  };

  it('parses a full notification, converting the numeric strings to numbers', () => {
    expect(parseAtSessionEnd(notification)).toEqual({
      ok: true,
      sessionEnd: { ...notification, phoneNumber: '254712345678', durationInMillis: 15234, hopsCount: 4 },
    });
  });

  it('needs only sessionId, phoneNumber and status', () => {
    const result = parseAtSessionEnd({ sessionId: 'ATUid_1', phoneNumber: '0712345678', status: 'Incomplete' });
    expect(result).toEqual({
      ok: true,
      sessionEnd: { sessionId: 'ATUid_1', phoneNumber: '254712345678', status: 'Incomplete' },
    });
  });

  it('treats empty numeric fields as absent', () => {
    const result = parseAtSessionEnd({ ...notification, status: 'Failed', durationInMillis: '', hopsCount: '' });
    expect(result.ok && result.sessionEnd.durationInMillis).toBeUndefined();
    expect(result.ok && result.sessionEnd.hopsCount).toBeUndefined();
  });

  it('accepts a URL-encoded body', () => {
    const result = parseAtSessionEnd(new URLSearchParams(notification).toString());
    expect(result.ok && result.sessionEnd.status).toBe('Success');
  });

  it('names the field when a required one is missing or a value is invalid', () => {
    const reason = (body: unknown) => {
      const result = parseAtSessionEnd(body);
      return result.ok ? 'accepted' : result.reason;
    };
    const { status: _status, ...noStatus } = notification;
    expect(reason(noStatus)).toBe('status: missing');
    expect(reason({ ...notification, status: 'Done' })).toBe('status: must be Incomplete, Success or Failed');
    expect(reason({ ...notification, sessionId: '' })).toBe('sessionId: empty');
    expect(reason({ ...notification, phoneNumber: '+255712345678' })).toBe('phoneNumber: not a Kenyan mobile number');
    expect(reason({ ...notification, durationInMillis: 'soon' })).toBe('durationInMillis: not a number');
    expect(reason({ ...notification, hopsCount: '2.5' })).toBe('hopsCount: not a whole number');
    expect(reason({ ...notification, hopsCount: '-1' })).toBe('hopsCount: not a whole number');
    expect(reason({ ...notification, input: '1*\u00002' })).toBe('input: contains control characters');
  });

  it('keeps the line breaks of the last screen it reports', () => {
    const result = parseAtSessionEnd({ ...notification, lastAppResponse: 'CON Main menu\n1. Bet\r\n2. Balance' });
    expect(result.ok && result.sessionEnd.lastAppResponse).toBe('CON Main menu\n1. Bet\r\n2. Balance');
  });

  it('ignores extra unknown fields', () => {
    const result = parseAtSessionEnd({ ...notification, extra: 'x' });
    expect(result.ok && 'extra' in result.sessionEnd).toBe(false);
  });
});
