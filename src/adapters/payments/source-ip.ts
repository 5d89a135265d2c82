/**
 * Where a callback came from, and whether that is allowed. Safaricom signs nothing and publishes no official list of
 * source addresses, so the allowlist (MPESA_ALLOWED_IPS) is configuration, empty = off. X-Forwarded-For is believed
 * only when the connection itself comes from a trusted proxy (TRUSTED_PROXIES); the Koa app trusts it from anyone
 * (`app.proxy`), so `ctx.ip` is not used here.
 */
import { BlockList, isIP } from 'node:net';
import type { Context } from 'koa';

/** "196.201.214.200, 196.201.212.0/24, ::1" → a matcher; null when the list is empty */
export function addressList(spec: string): BlockList | null {
  const items = spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) return null;
  const list = new BlockList();
  for (const item of items) {
    const [address = '', bits] = item.split('/');
    const family = isIP(address);
    if (family === 0) throw new Error(`not an IP address or CIDR: ${item}`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(address, type);
    else {
      const prefix = Number(bits);
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) throw new Error(`bad prefix length: ${item}`);
      list.addSubnet(address, prefix, type);
    }
  }
  return list;
}

/** "::ffff:10.0.0.1" → "10.0.0.1" */
function plain(address: string): string {
  const a = address.trim();
  return a.startsWith('::ffff:') && isIP(a.slice(7)) === 4 ? a.slice(7) : a;
}

export function listed(list: BlockList, address: string): boolean {
  const a = plain(address);
  const family = isIP(a);
  if (family === 0) return false;
  return list.check(a, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * The caller's address: the socket's, or — when the socket belongs to a trusted proxy — the right-most
 * X-Forwarded-For entry that is not itself a trusted proxy (entries further left are whatever the client claimed).
 */
export function sourceIp(ctx: Context, trustedProxies: BlockList | null): string {
  const socketIp = plain(ctx.req.socket.remoteAddress ?? '');
  if (!trustedProxies || !listed(trustedProxies, socketIp)) return socketIp;
  const header = ctx.get('X-Forwarded-For');
  if (!header) return socketIp;
  const hops = header.split(',').map(plain).filter((h) => h !== '');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (!listed(trustedProxies, hop)) return hop;
  }
  return hops[0] ?? socketIp;
}
