import Router from '@koa/router';
import Koa from 'koa';
import type { Logger } from 'pino';

export interface Probe {
  name: string;
  check(): Promise<boolean>;
}

export interface AppDeps {
  logger: Logger;
  /** what /readyz asks: the database, the session store */
  probes: Probe[];
  routers?: Router[];
}

export function createApp(deps: AppDeps): Koa {
  const app = new Koa();
  app.proxy = true;
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      // internals never reach a caller; the error is logged once here
      deps.logger.error({ err, path: ctx.path }, 'request failed');
      ctx.status = 500;
      ctx.body = { error: 'internal_error', message: 'Something went wrong. Please try again.' };
    }
  });
  const health = new Router();
  health.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  health.get('/readyz', async (ctx) => {
    const results = await Promise.all(
      deps.probes.map(async (p) => [p.name, await p.check().catch(() => false)] as const),
    );
    const ready = results.every(([, up]) => up);
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'unavailable', checks: Object.fromEntries(results) };
  });
  app.use(health.routes()).use(health.allowedMethods());
  for (const r of deps.routers ?? []) app.use(r.routes()).use(r.allowedMethods());
  app.use((ctx) => {
    ctx.status = 404;
    ctx.body = { error: 'not_found', message: `No route for ${ctx.method} ${ctx.path}` };
  });
  return app;
}
