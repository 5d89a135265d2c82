import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLoad } from '../../bench/ussd/load.ts';
import { SCENARIO_A } from '../../bench/ussd/protocol.ts';

/** a server that answers every hop of scenario A at once */
let server: Server;
let port: number;
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const text = new URLSearchParams(body).get('text') ?? '';
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(text === '' ? 'CON Main menu\n2. Balance' : 'CON Balance: KES 1.00');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const phones = Array.from({ length: 5 }, (_, i) => `+2547110000${i}`);
const load = (offeredHopsPerSecond?: number) =>
  runLoad({ port, scenario: SCENARIO_A, phones, seconds: 1, maxSessionsPerPhone: 10_000, sessionPrefix: 'T', checkScreens: true, offeredHopsPerSecond });

describe('USSD load generator pacing', () => {
  it('offers about the asked hops per second, far below what the server can take', async () => {
    const free = await load();
    const paced = await load(40);
    expect(free.errorCount + paced.errorCount).toBe(0);
    expect(free.hopsPerSecond).toBeGreaterThan(200);
    expect(paced.hopsPerSecond).toBeGreaterThan(20);
    expect(paced.hopsPerSecond).toBeLessThan(60);
  });
});
