import type { PromiseActorLogic, PromiseSnapshot } from 'xstate';
import type { Cents } from '../core/money.ts';
import type { Sport } from '../core/sports/types.ts';
import type { Lang, MenuServices } from './services.ts';

/**
 * The machine's async work, one promise actor per service call. The machine declares them by name (`src:
 * 'placeBet'`) with unbound services; `bindServices` in menu-machine.ts swaps in real ones with
 * `machine.provide({ actors })`, the same way for production and for tests. Synchronous calls (quotes and
 * previews) are actors too, so every value a screen shows was put in the persisted context by the machine.
 */
export function serviceActors(services: MenuServices, report: (err: unknown) => void = () => undefined) {
  // The machine turns a failed call into the "Service busy" screen; the error itself is handed to `report` (the
  // conversation's logger) here, the one place that still has it.
  const work = <I, O>(fn: (input: I) => O | Promise<O>) =>
    promiseActor<O, I>(async (input) => {
      try {
        return await fn(input);
      } catch (err) {
        report(err);
        throw err;
      }
    });
  type PlaceBetInput = Parameters<MenuServices['placeBet']>[0];
  type StartDepositInput = Parameters<MenuServices['startDeposit']>[0];
  type WithdrawalInput = Parameters<MenuServices['requestWithdrawal']>[0];
  type LimitsInput = { playerId: number; limits: Parameters<MenuServices['setLimits']>[1] };

  return {
    loadPlayer: work(async (input: { phone: string }) => ({
      player: await services.findPlayer(input.phone),
      now: services.now(),
    })),
    register: work((input: { phone: string; language: Lang }) => services.register(input.phone, input.language)),
    loadBalance: work((input: { playerId: number }) => services.balance(input.playerId)),
    loadEvents: work((input: { sport: Sport; limit: number }) =>
      services.upcomingEvents(input.sport, { limit: input.limit, offset: 0 }),
    ),
    loadMarkets: work((input: { eventId: number }) => services.eventMarkets(input.eventId)),
    quoteBet: work((input: { stake: Cents; odds: number[] }) => services.quoteBet(input.stake, input.odds)),
    placeBet: work((input: PlaceBetInput) => services.placeBet(input)),
    loadBets: work((input: { playerId: number; limit: number }) =>
      services.recentBets(input.playerId, { limit: input.limit, offset: 0 }),
    ),
    loadBetLegs: work((input: { playerId: number; betId: number }) => services.betLegs(input.playerId, input.betId)),
    previewDeposit: work((input: { amount: Cents }) => services.depositPreview(input.amount)),
    startDeposit: work((input: StartDepositInput) => services.startDeposit(input)),
    previewWithdrawal: work((input: { amount: Cents }) => services.withdrawalPreview(input.amount)),
    requestWithdrawal: work((input: WithdrawalInput) => services.requestWithdrawal(input)),
    setLanguage: work((input: { playerId: number; language: Lang }) => services.setLanguage(input.playerId, input.language)),
    setLimits: work((input: LimitsInput) => services.setLimits(input.playerId, input.limits)),
    selfExclude: work((input: { playerId: number; days: number }) => services.selfExclude(input.playerId, input.days)),
  };
}

const RESOLVED = 'xstate.promise.resolve';
const REJECTED = 'xstate.promise.reject';

/**
 * XState's `fromPromise`, less the AbortController it makes for every call: creating its signal costs ~6 µs, a tenth of
 * a menu hop's machine work, and no service of ours is cancellable (a hop waits for its calls or answers "busy").
 * Same snapshots, same events, same done/error handling as `fromPromise`.
 */
export function promiseActor<O, I>(run: (input: I) => Promise<O>): PromiseActorLogic<O, I> {
  type Snapshot = PromiseSnapshot<O, I>;
  const logic = {
    config: run,
    transition(state: Snapshot, event: { type: string; data?: unknown }): Snapshot {
      if (state.status !== 'active') return state;
      switch (event.type) {
        case RESOLVED:
          return { ...state, status: 'done', output: event.data as O, input: undefined };
        case REJECTED:
          return { ...state, status: 'error', error: event.data, input: undefined };
        case 'xstate.stop':
          return { ...state, status: 'stopped', input: undefined };
        default:
          return state;
      }
    },
    start(state: Snapshot, scope: { self: { getSnapshot(): Snapshot; send(event: unknown): void } }) {
      if (state.status !== 'active') return;
      const { self } = scope;
      run(state.input as I).then(
        (data) => {
          if (self.getSnapshot().status === 'active') self.send({ type: RESOLVED, data });
        },
        (data: unknown) => {
          if (self.getSnapshot().status === 'active') self.send({ type: REJECTED, data });
        },
      );
    },
    getInitialSnapshot: (_: unknown, input: I): Snapshot =>
      ({ status: 'active', output: undefined, error: undefined, input }) as Snapshot,
    getPersistedSnapshot: (snapshot: Snapshot) => snapshot,
    restoreSnapshot: (snapshot: unknown) => snapshot as Snapshot,
  };
  return logic as unknown as PromiseActorLogic<O, I>;
}

function notBound(): never {
  throw new Error('menu services are not bound: create the machine with bindServices(services)');
}

/** What the bare machine runs with: every call fails, so an unbound machine answers "Service busy" and never guesses. */
export const UNBOUND_SERVICES: MenuServices = {
  now: notBound,
  get limits(): never {
    return notBound();
  },
  findPlayer: notBound,
  register: notBound,
  balance: notBound,
  upcomingEvents: notBound,
  eventMarkets: notBound,
  quoteBet: notBound,
  placeBet: notBound,
  recentBets: notBound,
  betLegs: notBound,
  depositPreview: notBound,
  withdrawalPreview: notBound,
  startDeposit: notBound,
  requestWithdrawal: notBound,
  setLanguage: notBound,
  setLimits: notBound,
  selfExclude: notBound,
};
