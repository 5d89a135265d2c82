/**
 * The admin page in headless Chromium (Debian's `chromium` package at /usr/bin/chromium, driven by playwright-core):
 * sign in with a token, search a phone, open a session, see its screens. Skipped when Chromium is not installed.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { newPlayer } from '../support/core.ts';
import { ADMIN_ENV, adminVariants, SUPPORT_TOKEN } from '../admin/support.ts';

const CHROMIUM = '/usr/bin/chromium';

describe.skipIf(!existsSync(CHROMIUM))('admin page in a browser', () => {
  let app: TestApp;
  let browser: Browser;
  let msisdn: string;
  let sessionId: string;

  beforeAll(async () => {
    app = await startTestApp(adminVariants[0]!, { env: ADMIN_ENV });
    const player = await newPlayer(app.core, 300_00);
    msisdn = player.msisdn;
    const d = app.dial(msisdn);
    await d.start();
    await d.send('2');
    sessionId = d.sessionId;
    await app.drain();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('signs in, searches a phone, opens a session and shows its screens', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${app.url}/admin/`);
      await page.fill('#token', 'wrong-token-0123456789');
      await page.click('#sign-in-form button');
      await page.waitForSelector('#message:has-text("Token not accepted")');

      await page.fill('#token', SUPPORT_TOKEN);
      await page.click('#sign-in-form button');
      await page.waitForSelector('#search-form:not(.hidden)');
      expect(await page.evaluate(() => sessionStorage.getItem('adminToken'))).toBe(SUPPORT_TOKEN);

      await page.fill('#search', `0${msisdn.slice(3)}`);
      await page.click('#search-form button');
      await page.waitForSelector(`tr[data-session-id="${sessionId}"]`);
      expect(await page.textContent('#player-msisdn')).toBe(msisdn);
      expect(await page.textContent('#player-summary')).toContain('KES 285.00');

      await page.click(`tr[data-session-id="${sessionId}"]`);
      await page.waitForSelector('#screens .phone[data-seq="2"]');
      const screens = await page.$$eval('#screens .phone pre', (els) => els.map((e) => e.textContent));
      expect(screens).toHaveLength(2);
      expect(screens[0]).toMatch(/Main menu/);
      expect(screens[1]).toMatch(/KES 285\.00/);
      const inputs = await page.$$eval('#screens .input', (els) => els.map((e) => e.textContent));
      expect(inputs).toEqual(['dial *290*290#', '2']);

      // the audit log saw the page's reads under the token's name
      const { rows } = await app.db.db.query<{ resource: string }>(`SELECT resource FROM admin_audit WHERE actor = 'alice'`);
      expect(rows.map((r) => r.resource)).toEqual(expect.arrayContaining([`session:${sessionId}`, `player:${msisdn}`, `phone:${msisdn}`]));
    } finally {
      await page.close();
    }
  }, 60_000);
});
