/**
 * What the USSD bench's processes share: the scenarios (the hops a handset sends), the IPC messages between the bench
 * and its server children, and the figures a gateway child reports about its own hops.
 */

export interface Scenario {
  name: 'A' | 'B';
  label: string;
  /** the player's inputs after the dial; hop n sends the first n-1 of them joined by '*' (hop 1 sends '') */
  inputs: string[];
  /** what each hop's reply must look like on our gateway (the floor is only held to CON/END and the reference) */
  expect: RegExp[];
  /** the session's last hop answers END with a bet reference */
  endsWithBet: boolean;
}

/** the AT service code a handset dials */
export const SERVICE_CODE = '*290*290#';
export const NETWORK_CODE = '63902';
export const HOP_PATH = '/ussd/africastalking';
export const STAKE_KES = 100;
/** "END Bet BWCZN6 placed. Stake …" */
export const BET_REFERENCE = /^END Bet (\S+) placed\./;
export const BUSY_SCREENS = ['Service busy', 'still being processed'];
/** the first screen of a session when an earlier one of the phone broke off with a slip */
export const RESUME_OFFER = 'Continue where you left off?';

/** dial, then "2" (Balance): the balance screen is the last hop; the handset hangs up there */
export const SCENARIO_A: Scenario = {
  name: 'A',
  label: 'menu → balance',
  inputs: ['2'],
  expect: [/^CON [\s\S]*Main menu/, /^CON Balance: /],
  endsWithBet: false,
};

/** dial → 1 Bet → 1 Football → 1 first match → 1 Match result → 1 home → 2 Enter stake → 100 → 1 Confirm → END */
export const SCENARIO_B: Scenario = {
  name: 'B',
  label: 'menu → bet placement',
  inputs: ['1', '1', '1', '1', '1', '2', String(STAKE_KES), '1'],
  expect: [
    /^CON [\s\S]*Main menu/,
    /^CON [\s\S]*Football/,
    /^CON [\s\S]* v /,
    /^CON [\s\S]*Match result/,
    /^CON [\s\S]*Draw/,
    /^CON Slip: /,
    /^CON Enter stake/,
    /^CON Confirm bet/,
    BET_REFERENCE,
  ],
  endsWithBet: true,
};

export const hopsPerSession = (s: Scenario) => s.inputs.length + 1;

/** the cumulative `text` of hop `i` (0-based), as a handset on Africa's Talking sends it */
export const textOfHop = (s: Scenario, i: number) => s.inputs.slice(0, i).join('*');

/** phone `i` of the run, as AT sends it (+254…) */
export const phoneNumber = (i: number) => `+25471${String(i).padStart(7, '0')}`;

// ---------------------------------------------------------------------------------------------------------------
// IPC

/**
 * `profile` on 'reset' CPU-profiles the window it starts (only one round's windows are profiled: the profiler slows the
 * gateway); `label` names the profile that 'stats' writes
 */
export type ParentMessage = { id: number; cmd: 'reset' | 'stats' | 'drain' | 'stop'; label?: string; profile?: boolean };

export type ChildMessage =
  | { type: 'ready'; port: number }
  | { type: 'reply'; id: number; data?: unknown; error?: string };

/** one stage of a hop, summed over the measured window */
export interface StageFigure {
  calls: number;
  ms: number;
}

export interface GatewayStats {
  windowMs: number;
  /** HTTP requests finished (server 'request' → response 'finish') */
  requests: number;
  requestMs: { mean: number; p50: number; p99: number; max: number };
  /** open start → release, per hop (what handleHop spends, without Koa, body parsing and zod) */
  hopMs: { mean: number; p50: number; p99: number };
  /** per session-store call (wall time of the awaited Redis round trip(s), including queueing in the event loop) */
  store: Record<string, StageFigure>;
  /** from the end of open to the start of commit: the XState machine plus the core's queries */
  conversation: StageFigure;
  /** per hop number in its session (1-based): mean ms of each stage */
  bySeq: Record<string, { hops: number; open: number; conversation: number; commit: number; release: number; hop: number }>;
  /** core queries by kind (first words of the SQL); hop-path queries and background ones are told apart */
  db: Record<string, StageFigure & { background: boolean }>;
  /** Redis commands by name (the session store's scripts show as evalsha), and round trips (a MULTI…EXEC pipeline counts once) */
  redis: { commands: Record<string, number>; trips: number; backgroundTrips: number };
  /** share of wall time the event loop was busy, and its delay percentiles (ms) */
  eventLoop: { utilization: number; delayP50Ms: number; delayP99Ms: number; delayMaxMs: number };
  /** V8's garbage-collection pauses on the main thread during the window */
  gc: { pauses: number; totalMs: number; maxMs: number };
  /** where the CPU profile of the window was written (BENCH_USSD_PROFILE=1) */
  profile: string | null;
}
