import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boxScreen, shortcutText } from '../../src/cli/phone.ts';
import { findPlayerByMsisdn } from '../../src/core/players.ts';
import { appVariants, startTestApp, type TestApp } from '../support/app.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** runs the terminal phone with piped stdin, like `printf '1\n2\n' | npm run phone -- ...` */
function runPhone(args: string[], stdin: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/phone.ts', ...args], { cwd: ROOT, stdio: 'pipe' });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
    child.stdin.end(stdin);
  });
}

describe('the terminal phone', () => {
  it('reads shortcut dials like the network does', () => {
    expect(shortcutText('*290*290#', '*290*290#')).toBe('');
    expect(shortcutText('*290*290*1#', '*290*290#')).toBe('1');
    expect(shortcutText('*290*290*1*2#', '*290*290#')).toBe('1*2');
  });

  it('boxes a screen like a handset, wrapping long lines', () => {
    const box = boxScreen('CON', 'Main menu\n1. A line long enough that it has to wrap somewhere', 20).split('\n');
    expect(box[0]).toMatch(/^┌ CON/);
    expect(box.at(-1)).toMatch(/chars ┘$/);
    expect(new Set(box.map((l) => [...l].length)).size).toBe(1);
  });

  describe('against a running gateway', () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startTestApp(appVariants[0]!);
    });
    afterAll(() => app.close());

    it('dials, keeps the cumulative text, and stops when piped input ends', async () => {
      const { code, out, err } = await runPhone(['--url', app.url, '--phone', '0712000111'], '1\n2\n0\n');
      expect(err).toBe('');
      expect(code).toBe(0);
      expect(out).toContain('Dialling *290*290# from +254712000111');
      expect(out).toMatch(/18\+ only/);
      expect(out).toContain('Welcome! You are registered.');
      expect(out).toContain('Balance: KES 0.00');
      expect(out).toContain('(end of input)');
      expect(await findPlayerByMsisdn(app.core.db, '254712000111')).not.toBeNull();
      await app.drain();
      const { rows } = await app.db.db.query<{ text: string }>(
        "SELECT text FROM ussd_hops WHERE phone = '254712000111' ORDER BY seq",
      );
      expect(rows.map((r) => r.text)).toEqual(['', '1', '1*2', '1*2*0']);
    });

    it('exits on END', async () => {
      const { code, out } = await runPhone(['--url', app.url, '--phone', '0712000111', '--code', '*290*290*0#'], '1\n');
      expect(code).toBe(0);
      expect(out).toMatch(/END: session closed/);
      expect(out).not.toContain('(end of input)');
    });

    it('says so when the gateway cannot be reached', async () => {
      const { code, err } = await runPhone(['--url', 'http://127.0.0.1:1', '--phone', '0712000111'], '');
      expect(code).toBe(1);
      expect(err).toMatch(/cannot reach the gateway/);
    });
  });
});
