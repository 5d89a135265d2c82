/**
 * The bounded body reader over real HTTP: how it reads, where it stops, and that it lets go of a request whose client
 * goes away; and the Koa form reader built on it.
 */
import { once } from 'node:events';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBoundedBody } from '../../src/adapters/http/bounded-body.ts';
import { FormBodyError, readForm } from '../../src/adapters/http/form-body.ts';

const LIMIT = 16;

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

describe('readBoundedBody', () => {
  let server: Server;
  let port: number;
  /** what the reader gave, and the request as it was left at that moment */
  type Read = { outcome: string; flowing: boolean | null; listeners: number[] };
  let reported: (read: Read) => void;
  const nextRead = () => new Promise<Read>((resolve) => (reported = resolve));

  beforeAll(async () => {
    server = createServer((req, res) => {
      const seen = (outcome: string) => ({
        outcome,
        flowing: req.readableFlowing,
        listeners: ['data', 'end', 'error', 'close'].map((event) => req.listenerCount(event)),
      });
      void readBoundedBody(req, LIMIT, { tooLarge: () => new Error('too large'), unreadable: () => new Error('unreadable') })
        .then(
          (text) => seen(`text:${text}`),
          (err: Error) => seen(err.message),
        )
        .then((read) => {
          reported(read);
          res.writeHead(200, { connection: 'close' }).end(read.outcome);
        });
    });
    port = await listen(server);
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** sends the chunks a few ms apart, so they reach the server as separate reads */
  async function sendChunked(chunks: Buffer[], headers: Record<string, string> = {}): Promise<void> {
    const req = request({ host: '127.0.0.1', port, method: 'POST', headers, agent: false });
    req.on('error', () => undefined).on('response', (res: IncomingMessage) => res.resume());
    for (const chunk of chunks) {
      req.write(chunk);
      await new Promise((r) => setTimeout(r, 10));
    }
    req.end();
  }

  it('reads a body that arrives in several chunks, a character split across two of them', async () => {
    const read = nextRead();
    const bytes = Buffer.from('text=é*1');
    await sendChunked([bytes.subarray(0, 6), bytes.subarray(6)]);
    expect((await read).outcome).toBe('text:text=é*1');
  });

  it('refuses a declared length over the limit before reading anything', async () => {
    const read = nextRead();
    const body = Buffer.alloc(LIMIT + 1, 'x');
    await sendChunked([body], { 'content-length': String(body.length) });
    expect(await read).toMatchObject({ outcome: 'too large', flowing: null });
  });

  it('stops at the limit on a body without a length: pauses the request and lets go of it', async () => {
    const read = nextRead();
    await sendChunked([Buffer.alloc(10, 'x'), Buffer.alloc(10, 'x'), Buffer.alloc(10, 'x')]);
    expect(await read).toEqual({ outcome: 'too large', flowing: false, listeners: [0, 0, 0, 0] });
  });

  it('rejects as unreadable when the client leaves mid-body, and lets go of the request', async () => {
    const read = nextRead();
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\nhalf');
    await new Promise((r) => setTimeout(r, 20));
    socket.destroy();
    expect(await read).toMatchObject({ outcome: 'unreadable', listeners: [0, 0, 0, 0] });
  });
});

describe('readForm on a Koa route', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    const app = new Koa();
    app.use(async (ctx) => {
      try {
        ctx.body = await readForm(ctx, LIMIT);
      } catch (err) {
        if (!(err instanceof FormBodyError)) throw err;
        ctx.status = err.status;
        ctx.body = { error: err.id };
      }
    });
    server = createServer(app.callback());
    port = await listen(server);
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('answers a body that grows past the limit with its 413 and closes the connection', async () => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    req.on('error', () => undefined);
    // Just past the limit, then the client waits without ending the body. Writing on would race the server's close:
    // bytes it never reads make the kernel reset the connection, and the client may then never see the 413.
    for (let i = 0; i < 9; i++) req.write(`a=${'x'.repeat(1020)}&`);
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    expect([res.statusCode, res.headers.connection]).toEqual([413, 'close']);
    res.resume();
    await new Promise((resolve) => req.socket!.once('close', resolve));
  });

  it('decodes a form within the limit', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1&b=%2B2&a=3',
    });
    expect(await res.json()).toEqual({ a: '3', b: '+2' });
  });
});
