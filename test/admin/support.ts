/** shared by the admin tests: a gateway with admin tokens, and sessions driven over the real USSD endpoint */
import type { AppVariant, TestApp } from '../support/app.ts';
import { backends } from '../support/databases.ts';

export const SUPPORT_TOKEN = 'support-token-0123456789abcdef';
export const FINANCE_TOKEN = 'finance-token-0123456789abcdef';
export const ADMIN_ENV = {
  ADMIN_TOKENS: `alice:${SUPPORT_TOKEN}:support,bob:${FINANCE_TOKEN}:finance`,
  HOP_RETENTION: 'off',
};

/** every database backend, memory sessions (the admin tools read PostgreSQL only) */
export const adminVariants: AppVariant[] = backends.map((backend) => ({ name: backend.name, backend, store: 'memory' as const }));

export async function adminGet(app: TestApp, path: string, token?: string) {
  const res = await fetch(`${app.url}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body, headers: res.headers };
}

/** from the main menu: football → first match → match result → home → enter stake → stake → confirm */
export const betInputs = (stake: string) => ['1', '1', '1', '1', '1', '2', stake, '1'];
