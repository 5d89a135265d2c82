/**
 * The SMS channel as one module for the composition root: notifications from the transactional outbox, delivery
 * reports, and betting by SMS. It reads no environment itself: `SmsConfigShape` is spread into the gateway's config
 * schema and the parsed config is handed back here.
 *
 *   const sms = createSmsModule({ core, services, logger, config });
 *   createApp({ ..., routers: [..., sms.router] });
 *   const worker = sms.startWorker();   // on shutdown: await worker.stop()
 */
import type Router from '@koa/router';
import type { Logger } from 'pino';
import type { Core } from '../../core/core.ts';
import type { MenuServices } from '../../menus/services.ts';
import { createAfricasTalkingSender } from './africastalking-sender.ts';
import { createConsoleSender } from './console-sender.ts';
import { applyDeliveryReport } from './delivery-reports.ts';
import { sendDueOnce, startOutboxWorker, type SendRunSummary } from './outbox-worker.ts';
import { smsConfigProblems, type SmsConfig } from './sms-config.ts';
import { createInboundSmsHandler, type InboundOutcome, type InboundSms } from './sms-inbound.ts';
import { createSmsRouter } from './sms-routes.ts';
import type { SmsSender } from './sms-sender.ts';

export { DEV_CALLBACK_TOKEN, SmsConfigSchema, SmsConfigShape, smsConfigProblems, type SmsConfig } from './sms-config.ts';

export interface SmsModuleDeps {
  core: Core;
  services: MenuServices;
  logger: Logger;
  config: SmsConfig;
  /** a sender to use instead of the configured one (tests) */
  sender?: SmsSender;
}

export interface SmsModule {
  router: Router;
  sender: SmsSender;
  /** the inbound handler behind the route (tests, a CLI) */
  handleInbound(sms: InboundSms): Promise<InboundOutcome>;
  /** one outbox run now */
  sendDueOnce(): Promise<SendRunSummary>;
  startWorker(): { stop(): Promise<void> };
}

export function createSmsSender(config: SmsConfig, logger: Logger): SmsSender {
  if (config.SMS === 'console') return createConsoleSender(logger.child({ component: 'sms' }));
  return createAfricasTalkingSender({ username: config.AT_USERNAME!, apiKey: config.AT_API_KEY!, from: config.AT_SMS_FROM });
}

export function createSmsModule(deps: SmsModuleDeps): SmsModule {
  const { core, services, config } = deps;
  const logger = deps.logger.child({ component: 'sms' });
  const problems = smsConfigProblems(config);
  if (problems.length > 0) throw new Error(`invalid SMS configuration:\n  ${problems.join('\n  ')}`);

  const sender = deps.sender ?? createSmsSender(config, logger);
  const handleInbound = createInboundSmsHandler({
    db: core.db,
    clock: core.clock,
    services,
    logger,
    maxPerMinute: config.SMS_MAX_PER_MINUTE,
    termsUrl: config.SMS_TERMS_URL,
  });
  const router = createSmsRouter({
    callbackToken: config.CALLBACK_TOKEN,
    handleInbound,
    applyDeliveryReport: (report) => applyDeliveryReport(core.db, report, core.clock()),
    logger,
  });
  const worker = {
    db: core.db,
    sender,
    clock: core.clock,
    logger,
    batch: config.SMS_WORKER_BATCH,
    maxAttempts: config.SMS_MAX_ATTEMPTS,
    sendTimeoutMs: config.SMS_SEND_TIMEOUT_MS,
    // the batch is sent concurrently, so a claim needs to outlive one send plus the time to record it
    leaseMs: config.SMS_SEND_TIMEOUT_MS + 30_000,
  };

  if (config.SMS === 'africastalking') logger.info({ from: config.AT_SMS_FROM ?? '(default)' }, 'sms through africastalking');
  return {
    router,
    sender,
    handleInbound,
    sendDueOnce: () => sendDueOnce(worker),
    startWorker: () => startOutboxWorker({ ...worker, intervalMs: config.SMS_WORKER_INTERVAL_MS }),
  };
}
