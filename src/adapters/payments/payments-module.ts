/**
 * M-Pesa as one module for the composition root: the payments port (deposits by STK push, withdrawals by B2C), the
 * callback routes, the local Daraja simulator, and reconciliation. It reads no environment itself:
 * `PaymentsConfigShape` is spread into the gateway's config schema and the parsed config is handed back here.
 *
 *   const payments = createPaymentsModule({ core, logger, config, selfBaseUrl: () => `http://127.0.0.1:${port}` });
 *   createApp({ ..., routers: [..., payments.router] });
 *   const reconciler = payments.startReconciler();   // on shutdown: await reconciler.stop(); await payments.close()
 *
 * PAYMENTS=daraja talks to MPESA_BASE_URL with the configured credentials, callbacks at PUBLIC_BASE_URL.
 * PAYMENTS=simulator (the default without Daraja credentials) talks, through the same client, to the fake Daraja
 * mounted on this app (http-simulator.ts), whose callbacks come back over HTTP to our own routes.
 */
import type Router from '@koa/router';
import type { Logger } from 'pino';
import type { Core } from '../../core/core.ts';
import { callbackUrls, type CallbackUrls } from './callback-urls.ts';
import { createCircuitBreaker } from './circuit-breaker.ts';
import { createDarajaClient, type DarajaClient } from './daraja-client.ts';
import { dbTokenStore, memoryTokenStore } from './daraja-oauth.ts';
import { createDarajaPayments, type DarajaPayments } from './daraja-payments.ts';
import { createDarajaSimulator, SIMULATOR_PREFIX, type DarajaSimulator } from './http-simulator.ts';
import { createPaymentRouter } from './payment-routes.ts';
import { paymentsConfigProblems, paymentsMode, SANDBOX, type PaymentsConfig } from './payments-config.ts';
import type { PaymentsPort } from './payments-port.ts';
import { reconcileOnce, startReconciler, type ReconcileSummary } from './reconcile.ts';
import { resolveSecurityCredential } from './security-credential.ts';
import { addressList } from './source-ip.ts';

export {
  PaymentsConfigSchema,
  PaymentsConfigShape,
  paymentsConfigProblems,
  paymentsMode,
  SANDBOX,
  type PaymentsConfig,
} from './payments-config.ts';

export interface PaymentsModuleDeps {
  core: Core;
  logger: Logger;
  config: PaymentsConfig;
  /** where this process itself listens (http://127.0.0.1:PORT): the simulator's base URL and callback target */
  selfBaseUrl: () => string;
  /** tests: another fetch, another clock for token expiry and the breaker */
  fetch?: typeof fetch;
  now?: () => number;
}

export interface PaymentsModule {
  mode: 'daraja' | 'simulator';
  port: PaymentsPort;
  router: Router;
  client: DarajaClient;
  /** the port's implementation, for tests and the CLI */
  payments: DarajaPayments;
  simulator: DarajaSimulator | null;
  urls(): CallbackUrls;
  reconcileOnce(): Promise<ReconcileSummary>;
  startReconciler(): { stop(): Promise<void> };
  /** resolves when background work (simulated callbacks, status queries) has settled (tests) */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export function createPaymentsModule(deps: PaymentsModuleDeps): PaymentsModule {
  const { core, config } = deps;
  const logger = deps.logger.child({ component: 'payments' });
  const problems = paymentsConfigProblems(config);
  if (problems.length > 0) throw new Error(`invalid payments configuration:\n  ${problems.join('\n  ')}`);
  const mode = paymentsMode(config);
  const simulated = mode === 'simulator';

  const urls = () => callbackUrls(simulated ? deps.selfBaseUrl() : config.PUBLIC_BASE_URL!, config.CALLBACK_TOKEN);
  const breaker = createCircuitBreaker({
    failureThreshold: config.MPESA_BREAKER_FAILURES,
    openMs: config.MPESA_BREAKER_OPEN_MS,
    now: deps.now,
    onStateChange: (state) =>
      state === 'open'
        ? logger.error({ openMs: config.MPESA_BREAKER_OPEN_MS }, 'Daraja failing: circuit open, payments answer "unavailable"')
        : logger.info({ state }, `Daraja circuit ${state}`),
  });

  const shortcode = simulated ? (config.MPESA_SHORTCODE ?? SANDBOX.shortcode) : config.MPESA_SHORTCODE!;
  const passkey = simulated ? (config.MPESA_PASSKEY ?? SANDBOX.passkey) : config.MPESA_PASSKEY!;
  const client = createDarajaClient({
    // the simulator's address is known once the server listens: resolved per request below
    baseUrl: simulated ? 'http://simulator.invalid' : config.MPESA_BASE_URL,
    consumerKey: config.MPESA_CONSUMER_KEY ?? 'simulator',
    consumerSecret: config.MPESA_CONSUMER_SECRET ?? 'simulator',
    shortcode,
    passkey,
    transactionType: config.MPESA_TRANSACTION_TYPE,
    tillNumber: config.MPESA_TILL_NUMBER,
    b2cShortcode: simulated ? (config.MPESA_B2C_SHORTCODE ?? SANDBOX.b2cShortcode) : config.MPESA_B2C_SHORTCODE,
    initiatorName: simulated ? (config.MPESA_INITIATOR_NAME ?? SANDBOX.initiatorName) : config.MPESA_INITIATOR_NAME,
    securityCredential: simulated
      ? 'simulated-security-credential'
      : resolveSecurityCredential({
          securityCredential: config.MPESA_SECURITY_CREDENTIAL,
          initiatorPassword: config.MPESA_INITIATOR_PASSWORD,
          certPath: config.MPESA_CERT_PATH,
        }),
    timeoutMs: config.MPESA_TIMEOUT_MS,
    breaker,
    // shared by every instance on the database; the simulator's tokens die with the process anyway
    tokenStore: simulated ? memoryTokenStore() : dbTokenStore(core.db),
    fetch: simulated ? simulatorFetch(deps.selfBaseUrl, deps.fetch) : deps.fetch,
    now: deps.now,
  });

  const payments = createDarajaPayments({ core, client, logger, urls, checkAfterMs: config.RECONCILE_AFTER_SECONDS * 1000 });

  const simulator = simulated
    ? createDarajaSimulator({
        logger,
        delayMs: config.SIMULATOR_DELAY_MS,
        shortcode,
        passkey,
        c2bUrls: () => ({ validation: urls().c2bValidation, confirmation: urls().c2bConfirmation }),
        fetch: deps.fetch,
      })
    : null;

  const callbacks = createPaymentRouter({
    core,
    payments,
    callbackToken: config.CALLBACK_TOKEN,
    allowedIps: addressList(config.MPESA_ALLOWED_IPS),
    trustedProxies: addressList(config.TRUSTED_PROXIES),
    logger,
  });
  if (simulator) callbacks.use(simulator.router.routes(), simulator.router.allowedMethods());

  const reconcileDeps = {
    core,
    client,
    payments,
    logger,
    afterMs: config.RECONCILE_AFTER_SECONDS * 1000,
    maxAttempts: config.RECONCILE_MAX_ATTEMPTS,
  };

  logger.info(
    simulated
      ? { mode, delayMs: config.SIMULATOR_DELAY_MS }
      : { mode, baseUrl: config.MPESA_BASE_URL, shortcode, transactionType: config.MPESA_TRANSACTION_TYPE },
    simulated ? 'payments through the local Daraja simulator' : 'payments through Safaricom Daraja',
  );

  return {
    mode,
    port: payments,
    router: callbacks,
    client,
    payments,
    simulator,
    urls,
    reconcileOnce: () => reconcileOnce(reconcileDeps),
    startReconciler: () =>
      config.RECONCILER === 'on'
        ? startReconciler({ ...reconcileDeps, intervalMs: config.RECONCILE_INTERVAL_MS })
        : { stop: async () => undefined },
    async idle() {
      await simulator?.idle();
      await payments.idle();
      await simulator?.idle();
    },
    async close() {
      await simulator?.close();
      await payments.close();
    },
  };
}

/** requests for the placeholder host go to the simulator mounted on this process */
function simulatorFetch(selfBaseUrl: () => string, inner: typeof fetch | undefined): typeof fetch {
  const doFetch = inner ?? globalThis.fetch;
  return (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const local = url.replace(/^http:\/\/simulator\.invalid/, selfBaseUrl().replace(/\/+$/, '') + SIMULATOR_PREFIX);
    return doFetch(local, init);
  };
}
