/**
 * Server children of the USSD bench: spawned with an IPC channel, waited for until they report their port, asked
 * things by id, stopped by id. Every child started here is remembered until it exits, so `killChildren` (the bench's
 * Ctrl-C / error path) can end exactly those processes — by their pid, nothing else.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { ChildMessage, ParentMessage } from './protocol.ts';

const live = new Set<ChildProcess>();

export interface ServerChild {
  name: string;
  pid: number;
  port: number;
  /** sends a command and waits (bounded) for its reply */
  ask<T = unknown>(cmd: ParentMessage['cmd'], opts?: { label?: string; profile?: boolean; timeoutMs?: number }): Promise<T>;
  /** asks it to stop, waits up to `timeoutMs`, then kills it */
  stop(timeoutMs?: number): Promise<void>;
  /** true once the process has exited */
  exited(): boolean;
  /** the last lines it wrote (stdout and stderr), for a failure message */
  tail(): string;
  /** lines written since the last call (the gateway writes only warnings and errors) */
  takeLineCount(): number;
}

/**
 * Starts `file` (TypeScript, through scripts/typescript.mjs) as a child with `env` added to this process's environment
 * and waits for it to send { type: 'ready', port }. Its output is kept (last 60 lines), not printed.
 */
export async function startChild(name: string, file: string, env: Record<string, string>, readyTimeoutMs = 60_000): Promise<ServerChild> {
  const proc = fork(file, [], {
    env: { ...process.env, ...env },
    // how `npm start` runs the gateway (the floor child runs the same way, so neither pays tsx's name-keeping wrappers)
    execArgv: ['--enable-source-maps', '--import', new URL('../../scripts/typescript.mjs', import.meta.url).href],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  live.add(proc);
  let exitCode: number | null = null;
  let exitSignal: NodeJS.Signals | null = null;
  let hasExited = false;
  const exitWaiters: (() => void)[] = [];
  proc.once('exit', (code, signal) => {
    hasExited = true;
    exitCode = code;
    exitSignal = signal;
    live.delete(proc);
    for (const w of exitWaiters.splice(0)) w();
  });
  const lines: string[] = [];
  let lineCount = 0;
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      lineCount += 1;
      lines.push(line.length > 400 ? `${line.slice(0, 400)}…` : line);
      if (lines.length > 60) lines.shift();
    }
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);

  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let port = 0;
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within ${readyTimeoutMs} ms`)), readyTimeoutMs);
    proc.on('message', (raw) => {
      const m = raw as ChildMessage;
      if (m.type === 'ready') {
        clearTimeout(timer);
        port = m.port;
        resolve();
      } else if (m.type === 'reply') {
        const p = pending.get(m.id);
        pending.delete(m.id);
        if (m.error !== undefined) p?.reject(new Error(`${name}: ${m.error}`));
        else p?.resolve(m.data);
      }
    });
    proc.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (code ${String(exitCode)}, signal ${String(exitSignal)}) before it was ready`));
      for (const p of pending.values()) p.reject(new Error(`${name} exited`));
      pending.clear();
    });
  });

  const child: ServerChild = {
    name,
    pid: proc.pid ?? -1,
    get port() {
      return port;
    },
    ask<T>(cmd: ParentMessage['cmd'], opts: { label?: string; profile?: boolean; timeoutMs?: number } = {}) {
      if (hasExited) return Promise.reject(new Error(`${name} has exited`));
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${name} did not answer ${cmd} within ${opts.timeoutMs ?? 30_000} ms`));
        }, opts.timeoutMs ?? 30_000);
        pending.set(id, {
          resolve: (v) => {
            clearTimeout(timer);
            resolve(v as T);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
        const msg: ParentMessage = { id, cmd, ...(opts.label ? { label: opts.label } : {}), ...(opts.profile ? { profile: true } : {}) };
        proc.send(msg);
      });
    },
    async stop(timeoutMs = 10_000) {
      if (hasExited) return;
      const gone = new Promise<void>((resolve) => exitWaiters.push(resolve));
      try {
        proc.send({ id: 0, cmd: 'stop' } satisfies ParentMessage);
      } catch {
        proc.kill('SIGTERM');
      }
      const timer = setTimeout(() => {
        if (!hasExited) proc.kill('SIGKILL');
      }, timeoutMs);
      await gone;
      clearTimeout(timer);
    },
    exited: () => hasExited,
    tail: () => lines.join('\n'),
    takeLineCount() {
      const n = lineCount;
      lineCount = 0;
      return n;
    },
  };
  try {
    await ready;
  } catch (err) {
    if (!hasExited) proc.kill('SIGKILL');
    throw new Error(`${String(err instanceof Error ? err.message : err)}\n${child.tail()}`);
  }
  return child;
}

/** ends every child this module started that is still running (SIGTERM, then SIGKILL after `graceMs`) */
export async function killChildren(graceMs = 3_000): Promise<void> {
  const procs = [...live];
  if (procs.length === 0) return;
  await Promise.all(
    procs.map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.exitCode !== null || p.signalCode !== null) return resolve();
          const timer = setTimeout(() => {
            p.kill('SIGKILL');
            resolve();
          }, graceMs);
          p.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          p.kill('SIGTERM');
        }),
    ),
  );
}
