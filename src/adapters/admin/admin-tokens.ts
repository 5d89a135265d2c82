/**
 * Admin bearer tokens from `ADMIN_TOKENS`: comma-separated `name:token:role` entries, role `support` or `finance`.
 * The name is who the audit log says asked; the role decides what they see (finance also sees ledger lines).
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export type AdminRole = 'support' | 'finance';

export interface AdminToken {
  name: string;
  token: string;
  role: AdminRole;
}

export interface AdminIdentity {
  name: string;
  role: AdminRole;
}

/** shorter tokens are refused: they would be guessable */
export const MIN_TOKEN_LENGTH = 16;

export function parseAdminTokens(raw: string): { tokens: AdminToken[]; problems: string[] } {
  const tokens: AdminToken[] = [];
  const problems: string[] = [];
  const entries = raw.split(',').map((e) => e.trim()).filter((e) => e !== '');
  entries.forEach((entry, i) => {
    const parts = entry.split(':');
    const where = `ADMIN_TOKENS entry ${i + 1}`;
    if (parts.length !== 3) return problems.push(`${where}: expected name:token:role`);
    const [name, token, role] = parts as [string, string, string];
    if (!/^[A-Za-z0-9._@-]{1,64}$/.test(name)) return problems.push(`${where}: name must be 1-64 letters, digits or ._@-`);
    if (token.length < MIN_TOKEN_LENGTH) return problems.push(`${where}: token must be at least ${MIN_TOKEN_LENGTH} characters`);
    if (role !== 'support' && role !== 'finance') return problems.push(`${where}: role must be support or finance`);
    if (tokens.some((t) => t.name === name)) return problems.push(`${where}: name ${name} appears twice`);
    if (tokens.some((t) => t.token === token)) return problems.push(`${where}: token appears twice`);
    tokens.push({ name, token, role });
    return undefined;
  });
  return { tokens, problems };
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * Finds the token's owner in constant time: every configured token is compared (no early exit), each comparison is
 * timingSafeEqual over SHA-256 digests (equal length whatever was sent), so timing tells nothing about how close a
 * guess was or which entry matched.
 */
export function identify(tokens: readonly AdminToken[], presented: string): AdminIdentity | null {
  const given = digest(presented);
  let found: AdminIdentity | null = null;
  for (const t of tokens) {
    const match = timingSafeEqual(digest(t.token), given);
    if (match && found === null) found = { name: t.name, role: t.role };
  }
  return found;
}
