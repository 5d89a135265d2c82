/**
 * Replays a recorded USSD session: the printout of what the phone showed, and the rerun — the recorded inputs fed
 * into today's menu conversation (on dry-run services, so nothing is written and no money moves), hop by hop, with
 * each of today's screens set beside the recorded one.
 */
import type { Conversation, HopContext, HopOutcome } from '../../menus/conversation.ts';
import type { DryRunServices } from './dry-run-services.ts';
import type { RecordedHop } from './session-log.ts';

export interface ScreenView {
  kind: 'CON' | 'END';
  screen: string;
  state: string;
}

export interface RerunHop {
  seq: number;
  at: Date;
  input: string;
  recorded: ScreenView;
  today: ScreenView;
  same: boolean;
}

export interface RerunResult {
  sessionId: string;
  phone: string;
  hops: RerunHop[];
  differing: number;
}

const sameScreen = (a: ScreenView, b: ScreenView) => a.kind === b.kind && a.screen === b.screen;

/**
 * Hop by hop, like the live session layer: the first hop starts the conversation (without a resume offer: the offer
 * the customer may have had is not recorded) and feeds any shortcut inputs; a later hop with inputs advances from the
 * previous hop's snapshot; a hop with no new input (a re-shown screen) shows the previous screen again. The dry-run
 * clock is set to each hop's recorded time first.
 */
export async function rerunSession(
  sessionId: string,
  hops: readonly RecordedHop[],
  conversation: Conversation,
  services: DryRunServices,
): Promise<RerunResult> {
  const first = hops[0];
  if (!first) return { sessionId, phone: '', hops: [], differing: 0 };
  const ctx: HopContext = { sessionId, phone: first.phone, network: first.network };
  let last: HopOutcome | null = null;
  const out: RerunHop[] = [];
  for (const hop of hops) {
    services.setNow(hop.at);
    const inputs = hop.input === '' ? [] : hop.input.split('*');
    if (last === null) {
      last = await conversation.start(ctx, null);
      if (inputs.length > 0 && last.reply.kind === 'CON') last = await conversation.advance(last.snapshot, inputs, ctx);
    } else if (inputs.length > 0 && last.reply.kind === 'CON') {
      last = await conversation.advance(last.snapshot, inputs, ctx);
    }
    const recorded: ScreenView = { kind: hop.kind, screen: hop.screen, state: hop.state };
    const today: ScreenView = { kind: last.reply.kind, screen: last.reply.screen, state: last.state };
    out.push({ seq: hop.seq, at: hop.at, input: hop.input, recorded, today, same: sameScreen(recorded, today) });
  }
  return { sessionId, phone: first.phone, hops: out, differing: out.filter((h) => !h.same).length };
}

/** a line diff (longest common subsequence): ' ' kept, '-' recorded only, '+' today only */
export function diffLines(before: string, after: string): string[] {
  const a = before.split('\n');
  const b = after.split('\n');
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push(`  ${a[i]}`);
      i++;
      j++;
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) out.push(`- ${a[i++]}`);
    else out.push(`+ ${b[j++]}`);
  }
  while (i < a.length) out.push(`- ${a[i++]}`);
  while (j < b.length) out.push(`+ ${b[j++]}`);
  return out;
}

const clock = (d: Date) => d.toISOString().replace('T', ' ').slice(0, 23) + 'Z';

/** the session as the phone showed it, screen by screen, with the inputs and timings between */
export function formatSession(sessionId: string, hops: readonly RecordedHop[]): string {
  const first = hops[0];
  if (!first) return `session ${sessionId}: no hops recorded\n`;
  const lines = [`session ${sessionId}  phone ${first.phone}  network ${first.network}  code ${first.serviceCode}  ${hops.length} hops`];
  let prev: Date | null = null;
  for (const h of hops) {
    const gap = prev === null ? '' : ` (+${((h.at.getTime() - prev.getTime()) / 1000).toFixed(1)}s)`;
    const input = h.input === '' ? (h.seq === 1 ? 'dial' : '(no new input)') : `> ${h.input}`;
    lines.push('', `#${h.seq} ${clock(h.at)}${gap}  ${input}  [text "${h.text}"]  ${h.latencyMs} ms  state ${h.state}`);
    lines.push(`${h.kind} ${h.screen}`.replace(/^/gm, '  | '));
    prev = h.at;
  }
  return `${lines.join('\n')}\n`;
}

/** today's screens beside the recorded ones; a differing screen is shown as a unified line diff */
export function formatRerun(result: RerunResult): string {
  const lines = [
    `rerun of session ${result.sessionId} on today's menus (dry run: nothing written, no money moved)`,
    `${result.hops.length} hops, ${result.differing} screen(s) differ`,
  ];
  for (const h of result.hops) {
    const input = h.input === '' ? (h.seq === 1 ? 'dial' : '(no new input)') : `> ${h.input}`;
    if (h.same) {
      lines.push('', `#${h.seq} ${input}  same`);
      lines.push(`${h.today.kind} ${h.today.screen}`.replace(/^/gm, '    '));
    } else {
      lines.push('', `#${h.seq} ${input}  DIFFERS (recorded state ${h.recorded.state}, today ${h.today.state})`);
      lines.push('  --- recorded', '  +++ today');
      for (const l of diffLines(`${h.recorded.kind} ${h.recorded.screen}`, `${h.today.kind} ${h.today.screen}`)) lines.push(`  ${l}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
