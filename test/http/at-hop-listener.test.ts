/**
 * The hop answered in front of Koa: the whole HTTP contract of POST /ussd/africastalking over real HTTP, with a stub
 * hop handler and a captured log, and everything else still reaching the Koa app.
 */
import { once } from 'node:events';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/adapters/http/app.ts';
import { createAtHopListener } from '../../src/adapters/http/at-hop-listener.ts';
import { createUssdRouter } from '../../src/adapters/http/ussd-routes.ts';
import type { UssdReply, UssdRequest } from '../../src/adapters/telco/ussd.ts';

const FORM = 'application/x-www-form-urlencoded';
const hop = {
  sessionId: 'ATUid_listener_1',
  serviceCode: '*290*290#',
  phoneNumber: '+254712300001',
  networkCode: '63902',
  text: '1*2',
};
const BUSY = 'END Service busy, please try again shortly.';

describe('the AT hop listener', () => {
  let server: Server;
  let base: string;
  let port: number;
  let logs: Array<{ level: number; msg: string; [key: string]: unknown }>;
  let hops: UssdRequest[];
  let handleHop: (req: UssdRequest) => Promise<UssdReply>;
  const sessionEnds: unknown[][] = [];
  const serverSockets = new Set<Socket>();

  beforeAll(async () => {
    const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
    const db = {
      query: async (_sql: string, params?: readonly unknown[]) => {
        sessionEnds.push([...(params ?? [])]);
        return { rows: [] };
      },
      exec: async () => undefined,
    };
    const app = createApp({ logger, probes: [], routers: [createUssdRouter({ db, clock: () => new Date(0), logger })] });
    server = createServer(createAtHopListener({ handleHop: (req) => handleHop(req), logger }, app.callback()));
    server.on('connection', (socket: Socket) => {
      serverSockets.add(socket);
      socket.once('close', () => serverSockets.delete(socket));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    logs = [];
    hops = [];
    handleHop = async (req) => {
      hops.push(req);
      return { kind: 'CON', screen: 'Main menu\n1. Bet' };
    };
  });

  const post = (body: string | URLSearchParams | undefined, headers: Record<string, string> = { 'content-type': FORM }, path = '/ussd/africastalking') =>
    fetch(`${base}${path}`, { method: 'POST', headers, ...(body === undefined ? {} : { body }) });
  const form = (fields: Record<string, string> = hop) => new URLSearchParams(fields);
  /** the server's end of a raw client connection, once the server has let go of it */
  async function serverClosed(client: Socket): Promise<void> {
    const ours = [...serverSockets].find((s) => s.remotePort === client.localPort);
    expect(ours).toBeDefined();
    // not events.once: node destroys the socket with a parse error when a body ends early, which once() would throw
    if (!ours!.destroyed) await new Promise((resolve) => ours!.once('close', resolve));
  }

  it('answers a hop with 200 text/plain and hands the handler the parsed request', async () => {
    const res = await post(form());
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await res.text()).toBe('CON Main menu\n1. Bet');
    expect(hops).toEqual([
      {
        aggregator: 'africastalking',
        sessionId: 'ATUid_listener_1',
        serviceCode: '*290*290#',
        phone: '254712300001',
        network: '63902',
        inputs: ['1', '2'],
        rawText: '1*2',
      },
    ]);
  });

  it('takes the hop with a query string or a trailing slash, and a charset on the content type', async () => {
    for (const path of ['/ussd/africastalking?tag=ke', '/ussd/africastalking/', '/ussd/africastalking/?tag=ke']) {
      expect(await (await post(form(), undefined, path)).text()).toBe('CON Main menu\n1. Bet');
    }
    expect((await post(form(), { 'content-type': `${FORM}; charset=utf-8` })).status).toBe(200);
    expect(hops).toHaveLength(4);
  });

  it('rejects a malformed hop with 400 JSON naming the field, and logs a warning', async () => {
    const res = await post(form({ ...hop, phoneNumber: '+15551234567', networkCode: 'safaricom' }));
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toEqual({
      error: 'invalid_request',
      message: 'phoneNumber: not a Kenyan mobile number; networkCode: must be digits',
    });
    expect(hops).toEqual([]);
    expect(logs).toEqual([
      expect.objectContaining({ level: 40, msg: 'malformed ussd hop rejected', reason: expect.stringMatching(/^phoneNumber/) }),
    ]);
  });

  it('reads an empty body without a content type as an empty form', async () => {
    const res = await post(undefined, {});
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: 'invalid_request',
      message: 'sessionId: missing; serviceCode: missing; phoneNumber: missing',
    });
  });

  it('rejects a body that is not form-encoded with 415, and a body without a content type', async () => {
    for (const type of ['application/json', 'Application/X-WWW-Form-Urlencoded']) {
      const res = await post(JSON.stringify(hop), { 'content-type': type });
      expect(res.status).toBe(415);
      expect(await res.json()).toEqual({ error: 'unsupported_media_type', message: 'expected application/x-www-form-urlencoded' });
    }
    // fetch would add text/plain to a string body: this one goes out with no content type at all
    const body = form().toString();
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/ussd/africastalking', headers: { 'content-length': body.length } });
    req.end(body);
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    res.resume();
    expect(res.statusCode).toBe(415);
    expect(hops).toEqual([]);
  });

  it('rejects a declared body over 8 KiB with 413 and closes the connection', async () => {
    const res = await post(form({ ...hop, padding: 'x'.repeat(8 * 1024) }));
    expect(res.status).toBe(413);
    expect(res.headers.get('connection')).toBe('close');
    expect(await res.json()).toEqual({ error: 'payload_too_large', message: 'body larger than 8192 bytes' });
    expect(hops).toEqual([]);
  });

  it('cuts off a chunked body at 8 KiB: answers 413 before the body ends, then closes', async () => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/ussd/africastalking', headers: { 'content-type': FORM } });
    req.on('error', () => undefined);
    // Just past the limit, then the client waits without ending the body. Writing on would race the server's close:
    // bytes it never reads make the kernel reset the connection, and the client may then never see the 413.
    for (let i = 0; i < 9; i++) req.write(`padding=${'x'.repeat(1016)}&`);
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    expect(res.statusCode).toBe(413);
    expect(res.headers.connection).toBe('close');
    res.resume();
    await new Promise((resolve) => req.socket!.once('close', resolve));
    expect(hops).toEqual([]);
  });

  it('answers 200 with the busy screen and logs the error when the handler throws', async () => {
    handleHop = () => Promise.reject(new Error('bug in the hop'));
    const rejected = await post(form());
    expect(rejected.status).toBe(200);
    expect(rejected.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await rejected.text()).toBe(BUSY);
    handleHop = () => {
      throw new Error('thrown before any await');
    };
    const thrown = await post(form());
    expect([thrown.status, await thrown.text()]).toEqual([200, BUSY]);
    expect(logs).toEqual([
      expect.objectContaining({ level: 50, msg: 'ussd hop handler threw', sessionId: 'ATUid_listener_1', err: expect.objectContaining({ message: 'bug in the hop' }) }),
      expect.objectContaining({ level: 50, msg: 'ussd hop handler threw', err: expect.objectContaining({ message: 'thrown before any await' }) }),
    ]);
  });

  it('answers GET and HEAD on the hop path with 405, Allow: POST', async () => {
    const get = await fetch(`${base}/ussd/africastalking`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(await get.json()).toEqual({ error: 'method_not_allowed', message: '/ussd/africastalking accepts POST only' });
    const head = await fetch(`${base}/ussd/africastalking`, { method: 'HEAD' });
    expect([head.status, head.headers.get('allow'), await head.text()]).toEqual([405, 'POST', '']);
    expect(hops).toEqual([]);
  });

  it('hands every other request to Koa', async () => {
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    const end = await post(form({ sessionId: 'ATUid_end_1', phoneNumber: '0712300001', status: 'Success' }), undefined, '/ussd/africastalking/events');
    expect([end.status, await end.text()]).toEqual([200, 'OK']);
    expect(sessionEnds.at(-1)?.slice(0, 5)).toEqual(['ATUid_end_1', '254712300001', null, null, 'Success']);
    for (const path of ['/nope', '/USSD/africastalking', '/ussd/africastalking2', '/ussd//africastalking']) {
      const res = await post(form(), undefined, path);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: 'not_found', message: `No route for POST ${path}` });
    }
    expect(hops).toEqual([]);
  });

  it('survives a client that leaves mid-body: no hop, no error, its connection closed', async () => {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(`POST /ussd/africastalking HTTP/1.1\r\nHost: x\r\nContent-Type: ${FORM}\r\nContent-Length: 500\r\n\r\nsessionId=ATUid_gone`);
    await new Promise((r) => setTimeout(r, 20));
    const closed = serverClosed(socket);
    socket.destroy();
    await closed;
    expect(hops).toEqual([]);
    expect(logs.filter((l) => l.level >= 50)).toEqual([]);
    expect((await post(form())).status).toBe(200);
  });

  it('survives a client that leaves while its hop runs', async () => {
    let finish!: () => void;
    const running = new Promise<void>((resolve) => (finish = resolve));
    let started!: () => void;
    const didStart = new Promise<void>((resolve) => (started = resolve));
    handleHop = async () => {
      started();
      await running;
      return { kind: 'END', screen: 'too late' };
    };
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const body = form().toString();
    socket.write(`POST /ussd/africastalking HTTP/1.1\r\nHost: x\r\nContent-Type: ${FORM}\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    await didStart;
    const closed = serverClosed(socket);
    socket.destroy();
    await closed;
    finish();
    await new Promise((r) => setTimeout(r, 20));
    expect(logs.filter((l) => l.level >= 50)).toEqual([]);
    handleHop = async () => ({ kind: 'CON', screen: 'still here' });
    expect(await (await post(form())).text()).toBe('CON still here');
  });
});
