/**
 * The floor for the USSD bench: the least a USSD hop can cost on this machine. A bare node:http server speaking the
 * same protocol: parse the form, one Redis GET of the session blob (FLOOR_BLOB_BYTES of JSON, sized like the
 * gateway's persisted record), JSON parse/stringify, one SET with EX, reply `CON <fixed menu>` — or END with a
 * reference once the text carries FLOOR_END_AFTER_INPUTS inputs (the bet scenario's last hop).
 * Env: REDIS_URL, FLOOR_PREFIX, FLOOR_BLOB_BYTES, FLOOR_END_AFTER_INPUTS. IPC: sends { type: 'ready', port }; exits on
 * any message, on SIGINT/SIGTERM, or when the bench goes away.
 */
import { createServer } from 'node:http';
import { Redis } from 'ioredis';

const prefix = process.env.FLOOR_PREFIX ?? 'floor:';
const endAfter = Number(process.env.FLOOR_END_AFTER_INPUTS ?? 8);
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1, commandTimeout: 1_000 });
const padding = 'x'.repeat(Math.max(0, Number(process.env.FLOOR_BLOB_BYTES ?? 2_000) - 120));
const MENU = 'CON Main menu\n1. Bet on virtuals\n2. Balance\n3. My bets\n4. Deposit\n5. Withdraw\n6. Account\n0. Exit';

async function hop(body: string): Promise<[number, string]> {
  const form = new URLSearchParams(body);
  const sessionId = form.get('sessionId');
  const phone = form.get('phoneNumber');
  const text = form.get('text') ?? '';
  if (!sessionId || !phone || !form.get('serviceCode')) return [400, 'missing field'];
  const key = `${prefix}s:${sessionId}`;
  const json = await redis.get(key);
  const record = json ? (JSON.parse(json) as { seq: number }) : { seq: 0, phone, snapshot: padding };
  const ended = (text === '' ? 0 : text.split('*').length) >= endAfter;
  const reply = ended ? `END Bet F${record.seq} placed. Stake KES 100.00` : MENU;
  await redis.set(key, JSON.stringify({ ...record, seq: record.seq + 1, lastText: text, lastReply: reply, ended }), 'EX', 180);
  return [200, reply];
}

const server = createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (body += chunk));
  req.on('end', () => {
    hop(body).then(
      ([status, reply]) => {
        res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(reply) });
        res.end(reply);
      },
      () => {
        res.writeHead(500).end();
      },
    );
  });
});

const stop = () => {
  server.close();
  redis.disconnect();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
process.once('disconnect', stop);
process.on('message', stop);
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({ type: 'ready', port: typeof address === 'object' && address ? address.port : 0 });
});
