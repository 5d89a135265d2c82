import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/adapters/http/app.ts';
import { createLogger } from '../../src/adapters/logger.ts';
import { pgliteDb } from '../../src/adapters/db/pglite.ts';
import type { Db } from '../../src/core/db.ts';

describe('the HTTP shell', () => {
  let db: Db;
  let base: string;
  let storeUp = true;
  let close: () => void;
  beforeAll(async () => {
    db = await pgliteDb();
    const broken = new Router();
    broken.get('/boom', () => {
      throw new Error('secret internal detail');
    });
    const app = createApp({
      logger: createLogger('silent'),
      probes: [
        { name: 'database', check: async () => (await db.query('SELECT 1 AS up')).rows.length === 1 },
        { name: 'sessions', check: async () => storeUp },
      ],
      routers: [broken],
    });
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => server.close();
  });
  afterAll(async () => {
    close();
    await db.close();
  });

  it('answers /healthz while the process is alive', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz with each dependency, and 503 when one is down', async () => {
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ status: 'ready', checks: { database: true, sessions: true } });
    storeUp = false;
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'unavailable', checks: { database: true, sessions: false } });
    storeUp = true;
  });

  it('answers an unknown route with a JSON 404', async () => {
    const res = await fetch(`${base}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: 'not_found' });
  });

  it('never lets internals reach a caller', async () => {
    const res = await fetch(`${base}/boom`);
    expect(res.status).toBe(500);
    expect(await res.text()).not.toContain('secret');
  });
});
