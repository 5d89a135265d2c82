/**
 * `npm start` as a newcomer runs it: the package's start command (plain Node with our TypeScript hooks, not tsx) on the
 * embedded defaults, answering a first dial over HTTP, and stopping cleanly on SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const START = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { scripts: { start: string } }).scripts.start;

describe('the start command', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child?.exitCode === null) child.kill('SIGKILL');
  });

  it('runs the gateway on embedded defaults, answers a dial, and stops on SIGTERM', async () => {
    const [node, ...args] = START.split(' ');
    expect(node).toBe('node');
    const env: Record<string, string | undefined> = { ...process.env, PORT: '0', LOG_LEVEL: 'info', SCHEDULER: 'off' };
    delete env.DATABASE_URL;
    delete env.REDIS_URL;
    const proc = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let out = '';
    proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "listening" line within 60 s:\n${out}`)), 60_000);
      proc.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /gateway listening on http:\/\/localhost:(\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      proc.once('exit', (code) => reject(new Error(`exited with ${String(code)} before listening:\n${out}`)));
    });

    const res = await fetch(`http://127.0.0.1:${port}/ussd/africastalking`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ sessionId: 'ATUid_start', serviceCode: '*290*290#', phoneNumber: '+254711000321', networkCode: '63902', text: '' }),
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^CON 18\+ only\./);

    proc.kill('SIGTERM');
    const [code] = (await once(proc, 'exit')) as [number | null];
    expect(code).toBe(0);
  }, 90_000);
});
