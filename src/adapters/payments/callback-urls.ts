/**
 * Where Daraja posts back to us. Each URL ends in the secret CALLBACK_TOKEN (Daraja signs nothing) and none says
 * "mpesa" or "safaricom": Safaricom refuses callback URLs containing those words.
 */
export const PAYMENT_CALLBACK_PATHS = {
  stk: '/payments/stk/callback/:token',
  b2cResult: '/payments/b2c/result/:token',
  b2cTimeout: '/payments/b2c/timeout/:token',
  statusResult: '/payments/status/result/:token',
  statusTimeout: '/payments/status/timeout/:token',
  c2bValidation: '/payments/c2b/validation/:token',
  c2bConfirmation: '/payments/c2b/confirmation/:token',
} as const;

export type CallbackUrls = Record<keyof typeof PAYMENT_CALLBACK_PATHS, string>;

export function callbackUrls(baseUrl: string, token: string): CallbackUrls {
  const base = baseUrl.replace(/\/+$/, '');
  const token64 = encodeURIComponent(token);
  return Object.fromEntries(
    Object.entries(PAYMENT_CALLBACK_PATHS).map(([name, path]) => [name, base + path.replace(':token', token64)]),
  ) as CallbackUrls;
}
