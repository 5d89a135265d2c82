/**
 * The Daraja OAuth token: one token, cached and shared by every request (and, through the database store, by every
 * instance), refreshed about a minute before it expires, with at most one refresh in flight per process.
 *
 * Intermittent `404.001.03` ("invalid access token") is the most reported Daraja complaint: usually a stale cache, or
 * a token knocked out by a newer one (a new token may invalidate the previous one). So after a 404.001.03 the caller
 * hands back the token that failed: if a newer one is already known (another request or instance refreshed), that one
 * is used, otherwise exactly one refresh is made for everyone waiting.
 */
import type { Queryable } from '../../core/db.ts';

export interface CachedToken {
  accessToken: string;
  /** milliseconds since the epoch */
  expiresAt: number;
}

export interface TokenStore {
  load(): Promise<CachedToken | null>;
  save(token: CachedToken): Promise<void>;
}

export function memoryTokenStore(): TokenStore {
  let token: CachedToken | null = null;
  return {
    load: async () => token,
    save: async (t) => {
      token = t;
    },
  };
}

/** the token in `payment_oauth_tokens`, so every instance on the database shares one */
export function dbTokenStore(q: Queryable, name = 'daraja'): TokenStore {
  return {
    async load() {
      const { rows } = await q.query<{ access_token: string; expires_at: Date | string }>(
        'SELECT access_token, expires_at FROM payment_oauth_tokens WHERE name = $1',
        [name],
      );
      const r = rows[0];
      return r ? { accessToken: r.access_token, expiresAt: new Date(r.expires_at).getTime() } : null;
    },
    async save(t) {
      await q.query(
        `INSERT INTO payment_oauth_tokens (name, access_token, expires_at, updated_at) VALUES ($1, $2, $3, now())
         ON CONFLICT (name) DO UPDATE SET access_token = EXCLUDED.access_token, expires_at = EXCLUDED.expires_at,
                                          updated_at = EXCLUDED.updated_at`,
        [name, t.accessToken, new Date(t.expiresAt)],
      );
    },
  };
}

export interface FreshToken {
  accessToken: string;
  /** Daraja's `expires_in`, already a number */
  expiresInSeconds: number;
}

export interface TokenProviderOptions {
  /** asks Daraja for a new token (GET /oauth/v1/generate) */
  fetchToken(): Promise<FreshToken>;
  store?: TokenStore;
  now?: () => number;
  /** refresh this long before the stated expiry (default 60 s; at most half the token's life) */
  refreshMarginMs?: number;
}

export interface TokenProvider {
  /** a token believed valid: the cached one, or a refreshed one */
  token(): Promise<string>;
  /** `failed` was refused with 404.001.03: returns a newer token (someone else's, or one refresh shared by all) */
  replace(failed: string): Promise<string>;
}

/** Daraja sends `expires_in` as a number or a numeric string; anything unusable means "the usual hour" */
export function parseExpiresIn(value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : NaN;
  return Number.isFinite(n) && n > 0 ? n : 3599;
}

export function createTokenProvider(opts: TokenProviderOptions): TokenProvider {
  const store = opts.store ?? memoryTokenStore();
  const now = opts.now ?? Date.now;
  const margin = opts.refreshMarginMs ?? 60_000;
  let cached: (CachedToken & { refreshAt: number }) | null = null;
  let refreshing: Promise<string> | null = null;

  const usable = (t: CachedToken & { refreshAt: number } | null, not?: string): t is CachedToken & { refreshAt: number } =>
    t !== null && t.accessToken !== not && now() < t.refreshAt;

  const remember = (t: CachedToken, lifeMs: number) => {
    cached = { ...t, refreshAt: t.expiresAt - Math.min(margin, lifeMs / 2) };
  };

  /** the single flight: a shared token newer than `not` if one exists, else one request to Daraja */
  const refresh = (not?: string): Promise<string> => {
    refreshing ??= (async () => {
      try {
        const stored = await store.load().catch(() => null);
        if (stored && stored.accessToken !== not && now() < stored.expiresAt - margin) {
          remember(stored, stored.expiresAt - now());
          return stored.accessToken;
        }
        const fresh = await opts.fetchToken();
        const lifeMs = fresh.expiresInSeconds * 1000;
        const token = { accessToken: fresh.accessToken, expiresAt: now() + lifeMs };
        remember(token, lifeMs);
        // sharing is best effort: a token we cannot store is still good for this process
        await store.save(token).catch(() => undefined);
        return token.accessToken;
      } finally {
        refreshing = null;
      }
    })();
    return refreshing;
  };

  return {
    async token() {
      if (usable(cached)) return cached.accessToken;
      return refresh();
    },
    async replace(failed) {
      if (usable(cached, failed)) return cached.accessToken;
      // a refresh already under way may be fetching exactly the replacement we need
      if (refreshing) {
        const next = await refreshing;
        if (next !== failed) return next;
      }
      return refresh(failed);
    },
  };
}
