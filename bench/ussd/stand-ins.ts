/**
 * Stand-ins for the menus, for the USSD bench's BENCH_USSD_STANDINS=1. The gateway child runs the real gateway (HTTP
 * listener, form parsing, session lock, record, hop log, drainer) with one of these in place of the menu conversation,
 * so the bench can show what each layer of a hop costs:
 * - `screens`: no XState and no database: each hop answers the scenario's next screen, read off a list;
 * - `xstate`: the least the design asks of XState: one actor per session, kept alive between hops the way the menus
 *   keep theirs (menu-conversation.ts), and one promise actor (the menus' own `promiseActor`) invoked on each hop
 *   where the menus call a service (A: the dial and the balance; B: the dial, the matches, the markets, the quote and
 *   the placement). The promise resolves at once: no database, no rendering, a small context.
 * Both answer the screens the scenarios expect (protocol.ts), so the load generator checks them as it checks ours.
 * Only the bench's two scenarios are understood: the first input '2' is A (Balance), anything else B.
 */
import { assign, createActor, setup, type SnapshotFrom } from 'xstate';
import type { Conversation, HopOutcome } from '../../src/menus/conversation.ts';
import { promiseActor } from '../../src/menus/menu-actors.ts';

export type StandInKind = 'screens' | 'xstate';
export const STAND_IN_KINDS: readonly StandInKind[] = ['screens', 'xstate'];
/** what each stand-in leaves out, as the bench's log and report name it */
export const STAND_IN_LABELS: Record<StandInKind, string> = {
  screens: 'fixed screens: no XState, no database',
  xstate: 'a minimal XState machine: no database',
};

const MAIN = 'Main menu\n1. Bet on virtuals\n2. Balance\n3. My bets\n4. Deposit\n5. Withdraw\n6. Account\n0. Exit';

/** the screens of each scenario, hop by hop; B's last one is the END with the bet reference */
const SCREENS = {
  A: [MAIN, 'Balance: KES 100,000.00\nOpen bets: 0\n0. Back\n00. Main menu'],
  B: [
    MAIN,
    'Choose a sport\n1. Football\n2. Basketball\n3. Tennis\n0. Back',
    'Football\n1. Nairobi FC v Mombasa Utd 14:32\n2. Kisumu Stars v Nakuru City 14:34\n98. More\n0. Back',
    'Nairobi FC v Mombasa Utd\n1. Match result\n2. Both teams to score\n3. Total goals 2.5\n0. Back',
    'Match result\n1. Nairobi FC 2.10\n2. Draw 3.40\n3. Mombasa Utd 3.05\n0. Back',
    'Slip: 1 pick, odds 2.10\n1. Add a match\n2. Enter stake\n3. Clear slip\n0. Back',
    'Enter stake in KES (10 to 50,000)\n0. Back',
    'Confirm bet\nStake KES 100.00\nOdds 2.10\nPossible win KES 210.00\n1. Confirm\n0. Back',
  ],
} as const;

/** the screen index (0 = the dial) of each hop on which the menus call a service */
const SERVICE_HOPS = { A: new Set([0, 1]), B: new Set([0, 2, 3, 7, 8]) } as const;
/** B's ninth screen, the END */
const LAST_B = SCREENS.B.length;

type Scenario = 'A' | 'B';

interface Place {
  scenario: Scenario;
  /** 0 = the dial's screen */
  step: number;
}

let references = 0;

function after(place: Place, input: string): Place {
  const scenario = place.step === 0 ? (input.trim() === '2' ? 'A' : 'B') : place.scenario;
  const last = scenario === 'A' ? SCREENS.A.length - 1 : LAST_B;
  return { scenario, step: Math.min(place.step + 1, last) };
}

function outcome(place: Place, snapshot: unknown): HopOutcome {
  const ended = place.scenario === 'B' && place.step === LAST_B;
  if (ended) references += 1;
  const screen = ended
    ? `Bet S${references.toString(36).toUpperCase()} placed. Stake KES 100.00 Possible win KES 210.00. Good luck!`
    : SCREENS[place.scenario][place.step]!;
  return { snapshot, reply: { kind: ended ? 'END' : 'CON', screen }, state: `s${place.step}`, resumable: null };
}

/** the next screen off the list: everything a hop does except the menus */
export function screensStandIn(): Conversation {
  return {
    start: async () => {
      const place: Place = { scenario: 'A', step: 0 };
      return outcome(place, place);
    },
    advance: async (snapshot, inputs) => {
      let place = snapshot as Place;
      for (const input of inputs) place = after(place, input);
      return outcome(place, place);
    },
  };
}

const standInMachine = setup({
  types: {
    context: {} as Place & { fetched: unknown },
    events: {} as { type: 'INPUT'; value: string },
  },
  actors: { fetch: promiseActor(async (input: { step: number }) => ({ step: input.step, ok: true })) },
  guards: {
    callsService: ({ context, event }) => {
      const next = after(context, event.value);
      return SERVICE_HOPS[next.scenario].has(next.step);
    },
    ends: ({ context }) => context.scenario === 'B' && context.step === LAST_B,
  },
  actions: {
    move: assign(({ context, event }) => after(context, event.value)),
    store: assign({ fetched: ({ event }) => (event as unknown as { output: unknown }).output }),
  },
}).createMachine({
  context: { scenario: 'A', step: 0, fetched: null },
  initial: 'working',
  states: {
    working: {
      invoke: {
        src: 'fetch',
        input: ({ context }) => ({ step: context.step }),
        onDone: [
          { guard: 'ends', target: 'ended', actions: 'store' },
          { target: 'showing', actions: 'store' },
        ],
      },
    },
    showing: {
      on: {
        INPUT: [{ guard: 'callsService', target: 'working', actions: 'move' }, { actions: 'move' }],
      },
    },
    ended: { type: 'final' },
  },
});

type StandInSnapshot = SnapshotFrom<typeof standInMachine>;
type StandInActor = ReturnType<typeof createActor<typeof standInMachine>>;

const atRest = (s: StandInSnapshot) => s.status !== 'active' || s.value === 'showing';

function rest(actor: StandInActor): Promise<StandInSnapshot> {
  const now = actor.getSnapshot();
  if (atRest(now)) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const watch = actor.subscribe({
      next: (s) => {
        if (!atRest(s)) return;
        watch.unsubscribe();
        resolve(s);
      },
      error: reject,
    });
  });
}

/** a minimal XState machine per session, invoking a promise actor wherever the menus call a service */
export function xstateStandIn(): Conversation {
  const resting = new WeakMap<object, StandInActor>();
  const answer = (actor: StandInActor, s: StandInSnapshot): HopOutcome => {
    const { status, output, error, value, context } = s;
    const persisted = { status, output, error, value, historyValue: {}, context, children: {} };
    if (status === 'active') resting.set(persisted, actor);
    else actor.stop();
    return outcome(context, persisted);
  };
  return {
    async start() {
      const actor = createActor(standInMachine);
      actor.start();
      return answer(actor, await rest(actor));
    },
    async advance(snapshot, inputs) {
      let actor = resting.get(snapshot as object);
      if (actor === undefined) {
        actor = createActor(standInMachine, { snapshot: snapshot as StandInSnapshot });
        actor.start();
      } else {
        resting.delete(snapshot as object);
      }
      let s = actor.getSnapshot();
      for (const value of inputs) {
        if (s.status !== 'active') break;
        actor.send({ type: 'INPUT', value });
        s = await rest(actor);
      }
      return answer(actor, s);
    },
  };
}

export function standIn(kind: StandInKind): Conversation {
  return kind === 'screens' ? screensStandIn() : xstateStandIn();
}
