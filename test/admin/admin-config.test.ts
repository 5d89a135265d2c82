import { describe, expect, it } from 'vitest';
import { identify, parseAdminTokens } from '../../src/adapters/admin/admin-tokens.ts';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('admin configuration', () => {
  it('refuses to start in production without ADMIN_TOKENS, naming the variable', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/ADMIN_TOKENS/);
  });

  it('starts in development without admin tokens (the API then answers 401 to everyone)', () => {
    expect(loadConfig({}).ADMIN_TOKENS).toBe('');
    expect(loadConfig({}).HOP_RETENTION_DAYS).toBe(180);
  });

  it('rejects malformed entries, unknown roles and short tokens', () => {
    expect(() => loadConfig({ ADMIN_TOKENS: 'alice:short:support' })).toThrow(/ADMIN_TOKENS entry 1: token must be at least 16/);
    expect(() => loadConfig({ ADMIN_TOKENS: 'alice:0123456789abcdef:root' })).toThrow(/role must be support or finance/);
    expect(() => loadConfig({ ADMIN_TOKENS: 'alice-0123456789abcdef' })).toThrow(/expected name:token:role/);
  });

  it('identifies a token owner and nobody for near misses', () => {
    const { tokens } = parseAdminTokens('alice:0123456789abcdef:support, bob:fedcba9876543210:finance');
    expect(identify(tokens, 'fedcba9876543210')).toEqual({ name: 'bob', role: 'finance' });
    expect(identify(tokens, '0123456789abcde')).toBeNull();
    expect(identify(tokens, '')).toBeNull();
  });
});
