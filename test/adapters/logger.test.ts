import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, maskPhones } from '../../src/adapters/logger.ts';

describe('phone numbers in logs', () => {
  it('are masked in text', () => {
    expect(maskPhones('hop from 254712345678 and +254112345678')).toBe('hop from 2547****5678 and 2541****5678');
  });

  it('are masked in structured log lines', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger('info', sink);
    logger.info({ phone: '254712345678', nested: { to: '+254798765432' } }, 'dial from 254712345678');
    expect(lines.join('')).not.toMatch(/12345678|98765432/);
    expect(JSON.parse(lines[0]!)).toMatchObject({ phone: '2547****5678', nested: { to: '2547****5432' } });
  });
});
