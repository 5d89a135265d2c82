import { and, assign, setup } from 'xstate';
import type { BetQuote, BetRejection, PlacedBet } from '../core/bets.ts';
import type { Cents } from '../core/money.ts';
import type { Outcome } from '../core/outcome.ts';
import type { Sport } from '../core/sports/types.ts';
import { checkAmount, type AmountKind } from './amount-input.ts';
import { addLeg, applyNewOdds, idsIn, legFor, marketsOf, outcomesOf } from './bet-slip.ts';
import { serviceActors, UNBOUND_SERVICES } from './menu-actors.ts';
import type { BalanceInfo, MenuContext, MenuEvent, MenuInput, NoticeKey, PickList, Refusal } from './menu-context.ts';
import { breakEndsAt } from './player-status.ts';
import { layoutScreen } from './render.ts';
import { SLIP_REFUSALS, STAKE_REFUSALS, type ScreenId } from './screens.ts';
import type {
  BetLeg,
  BetListItem,
  DepositRefusal,
  EventSummary,
  Lang,
  MarketOutcome,
  MenuServices,
  PlayerInfo,
  WithdrawalRefusal,
} from './services.ts';

/**
 * The whole USSD conversation as one machine. It rests only on screen states (`meta.screen`); states that invoke a
 * service are passed through within one hop. Every INPUT a screen does not handle bubbles to the root, where "00"
 * goes to the main menu (once a player is known) and anything else re-shows the same screen with "Invalid choice".
 * Leaving a screen clears its notice and page cursor, so a notice set on the way to the next screen is shown there.
 */

/** how many upcoming matches and recent bets are fetched for a list; the screens page through them */
const LIST_SIZE = 20;

const text = (event: MenuEvent) => event.value.trim();

function refusalFrom(reason: string, detail: unknown): Refusal {
  const d = typeof detail === 'object' && detail !== null && !Array.isArray(detail) ? (detail as Record<string, unknown>) : {};
  const num = (v: unknown) => (v === undefined || v === null || !Number.isSafeInteger(Number(v)) ? undefined : Number(v));
  const amount = num(d.limit) ?? num(d.remaining) ?? num(d.balance);
  const refusal: Refusal = { reason };
  if (amount !== undefined) refusal.amount = amount;
  if (typeof d.until === 'string') refusal.until = d.until;
  return refusal;
}

export function initialContext(input: MenuInput): MenuContext {
  return {
    sessionId: input.sessionId,
    phone: input.phone,
    settings: input.settings,
    lang: 'en',
    player: null,
    now: new Date(0).toISOString(),
    notice: null,
    page: { start: 0, prev: [] },
    resume: input.resume,
    refusal: null,
    confirmations: 0,
    betting: {
      sport: null,
      events: [],
      event: null,
      outcomes: [],
      market: null,
      slip: [],
      stake: null,
      quote: null,
      betKey: null,
      placed: null,
    },
    statement: { balance: null, bets: [], bet: null, legs: [] },
    payments: { deposit: null, depositStarted: null, withdrawal: null, withdrawn: null },
    account: { pendingLanguage: null, limitKind: null, pendingLimit: null, breakDays: null, excludedUntil: null },
  };
}

const leaveScreen = 'leaveScreen' as const;

/** "98" and "0" on a screen whose lines are longer than one page */
function paging(screen: ScreenId) {
  return [
    { guard: { type: 'morePages', params: { screen } }, actions: { type: 'showNextPage', params: { screen } } },
    { guard: 'earlierPage', actions: 'showPreviousPage' },
  ] as const;
}

const input = (is: string) => ({ type: 'input', params: { is } }) as const;
const picks = (list: PickList) => ({ type: 'picksFrom', params: { list } }) as const;
const amountOk = (kind: AmountKind) => ({ type: 'amountOk', params: { kind } }) as const;
const amountWrong = (kind: AmountKind) => ({ type: 'amountWrong', params: { kind } }) as const;
const notify = (key: NoticeKey) => ({ type: 'notify', params: { key } }) as const;
const resumeIs = (kind: 'slip' | 'slipWithStake' | 'deposit') => ({ type: 'resumeIs', params: { kind } }) as const;
const refused = (...reasons: string[]) => ({ type: 'refusedFor', params: { reasons } }) as const;

export const menuMachine = setup({
  types: {
    context: {} as MenuContext,
    events: {} as MenuEvent,
    input: {} as MenuInput,
    meta: {} as { screen: ScreenId },
  },
  actors: serviceActors(UNBOUND_SERVICES),
  guards: {
    input: ({ event }, params: { is: string }) => text(event) === params.is,
    picksFrom: ({ context, event }, params: { list: PickList }) => {
      const t = text(event);
      if (!/^[1-9]\d{0,2}$/.test(t)) return false;
      const n = Number(t);
      const count =
        params.list === 'events'
          ? context.betting.events.length
          : params.list === 'markets'
            ? marketsOf(context.betting.outcomes).length
            : params.list === 'outcomes'
              ? outcomesOf(context.betting.outcomes, context.betting.market).length
              : context.statement.bets.length;
      return n <= count;
    },
    morePages: ({ context, event }, params: { screen: ScreenId }) =>
      text(event) === '98' && layoutScreen(params.screen, context).more,
    earlierPage: ({ context, event }) => text(event) === '0' && context.page.prev.length > 0,
    amountOk: ({ context, event }, params: { kind: AmountKind }) =>
      checkAmount(text(event), params.kind, context.settings.limits).ok,
    /** a catch-all on amount screens must leave "00" to the root, which goes to the main menu */
    notMainMenuKey: ({ event }) => text(event) !== '00',
    knownPlayer: ({ context }) => context.player !== null,
    unknownPlayer: ({ context }) => context.player === null,
    blocked: ({ context }) => context.player?.blocked === true,
    onBreak: ({ context }) => breakEndsAt(context.player, context.now) !== null,
    notOnBreak: ({ context }) => breakEndsAt(context.player, context.now) === null,
    resumeOffered: ({ context }) => context.resume !== null,
    resumeIs: ({ context }, params: { kind: 'slip' | 'slipWithStake' | 'deposit' }) => {
      const r = context.resume;
      if (params.kind === 'deposit') return r?.kind === 'deposit';
      if (r?.kind !== 'bet') return false;
      return params.kind === 'slipWithStake' ? r.stake !== null : r.stake === null;
    },
    slipHasLegs: ({ context }) => context.betting.slip.length > 0,
    slipFull: ({ context }) => context.betting.slip.length >= context.settings.limits.maxLegs,
    /** the pick would add a new match to a full slip (a pick on a match already there replaces it) */
    pickOverflows: ({ context, event }) => {
      const { outcomes, market, event: match, slip } = context.betting;
      const o = outcomesOf(outcomes, market)[Number(text(event)) - 1];
      if (match === null || o === undefined) return false;
      return addLeg(slip, legFor(match, o), context.settings.limits.maxLegs).kind === 'full';
    },
    marketsFound: ({ context }) => context.betting.event !== null,
    legsFound: ({ context }) => context.statement.bet !== null,
    succeeded: ({ context }) => context.refusal === null,
    refusedFor: ({ context }, params: { reasons: readonly string[] }) =>
      context.refusal !== null && params.reasons.includes(context.refusal.reason),
  },
  actions: {
    // one assign, not two: every assign copies the whole context
    leaveScreen: assign({ notice: null, page: { start: 0, prev: [] } }),
    notify: assign((_, params: { key: NoticeKey }) => ({ notice: { key: params.key } })),
    invalidChoice: assign({ notice: { key: 'invalidChoice' } }),
    amountWrong: assign(({ context, event }, params: { kind: AmountKind }) => {
      const check = checkAmount(text(event), params.kind, context.settings.limits);
      return { notice: check.ok ? null : check.notice };
    }),
    showNextPage: assign(({ context }, params: { screen: ScreenId }) => ({
      page: {
        start: context.page.start + Math.max(1, layoutScreen(params.screen, context).shown),
        prev: [...context.page.prev, context.page.start],
      },
      notice: null,
    })),
    showPreviousPage: assign(({ context }) => ({
      page: { start: context.page.prev.at(-1) ?? 0, prev: context.page.prev.slice(0, -1) },
      notice: null,
    })),
    toggleLanguage: assign(({ context }) => ({
      lang: (context.lang === 'en' ? 'sw' : 'en') as Lang,
      page: { start: 0, prev: [] },
      notice: null,
    })),

    storePlayer: assign(({ context }, out: { player: PlayerInfo | null; now: string }) => ({
      player: out.player,
      now: out.now,
      lang: out.player?.language ?? 'en',
      // nothing to resume for a number that is not registered yet
      resume: out.player === null ? null : context.resume,
    })),
    storeRegistered: assign((_, player: PlayerInfo) => ({ player, notice: { key: 'registered' as const } })),
    forgetResume: assign({ resume: null }),
    restoreResume: assign(({ context }) => {
      const r = context.resume;
      if (r === null) return {};
      if (r.kind === 'bet') return { resume: null, betting: { ...context.betting, slip: r.selections, stake: r.stake } };
      return { resume: null, payments: { ...context.payments, deposit: { amount: r.amount, excise: 0, credited: 0 } } };
    }),

    chooseSport: assign(({ context }, params: { sport: Sport }) => ({
      betting: { ...context.betting, sport: params.sport, events: [] },
    })),
    storeEvents: assign(({ context }, events: EventSummary[]) => ({ betting: { ...context.betting, events } })),
    chooseEvent: assign(({ context, event }) => ({
      betting: { ...context.betting, event: context.betting.events[Number(text(event)) - 1] ?? null, outcomes: [] },
    })),
    storeMarkets: assign(({ context }, found: { event: EventSummary; outcomes: MarketOutcome[] } | null) => ({
      betting: { ...context.betting, event: found?.event ?? null, outcomes: found?.outcomes ?? [] },
    })),
    chooseMarket: assign(({ context, event }) => ({
      betting: { ...context.betting, market: marketsOf(context.betting.outcomes)[Number(text(event)) - 1]?.market ?? null },
    })),
    choosePick: assign(({ context, event }) => {
      const { outcomes, market, event: match, slip } = context.betting;
      const o = outcomesOf(outcomes, market)[Number(text(event)) - 1];
      if (match === null || o === undefined) return {};
      const added = addLeg(slip, legFor(match, o), context.settings.limits.maxLegs);
      if (added.kind === 'full') return {};
      // the slip holds all a leg needs; every way on from it reloads the lists, so they need not ride in the snapshot
      return {
        betting: { ...context.betting, slip: added.slip, events: [], event: null, outcomes: [], market: null },
        notice: added.kind === 'replaced' ? { key: 'pickReplaced' as const } : null,
      };
    }),
    noteSlipFull: assign(({ context }) => ({ notice: { key: 'slipFull' as const, value: context.settings.limits.maxLegs } })),
    clearSlip: assign(({ context }) => ({ betting: { ...context.betting, slip: [], stake: null, quote: null, betKey: null } })),
    storeStake: assign(({ context, event }) => {
      const check = checkAmount(text(event), 'stake', context.settings.limits);
      return check.ok ? { betting: { ...context.betting, stake: check.amount } } : {};
    }),
    /** a new confirmation screen: a new idempotency key, kept for as long as this confirmation is on screen */
    storeQuote: assign(({ context }, quote: BetQuote) => ({
      betting: { ...context.betting, quote, betKey: `${context.sessionId}:bet:${context.confirmations + 1}` },
      confirmations: context.confirmations + 1,
    })),
    storePlacement: assign(({ context }, outcome: Outcome<PlacedBet, BetRejection, unknown>) => {
      if (outcome.ok) {
        const p = outcome.value;
        return {
          betting: {
            ...context.betting,
            placed: { reference: p.reference, stake: p.stake, potentialPayout: p.potentialPayout },
            slip: [],
            stake: null,
            quote: null,
            betKey: null,
          },
          refusal: null,
        };
      }
      const refusal = refusalFrom(outcome.reason, outcome.detail);
      let slip = context.betting.slip;
      let player = context.player;
      if (outcome.reason === 'odds_changed') slip = applyNewOdds(slip, outcome.detail);
      if (outcome.reason === 'event_closed' || outcome.reason === 'selection_not_found') {
        const ids = new Set(idsIn(outcome.detail));
        const gone = (l: (typeof slip)[number]) =>
          ids.size === 0 || ids.has(outcome.reason === 'event_closed' ? l.eventId : l.outcomeId);
        refusal.removed = slip.filter(gone).map((l) => ({ home: l.home, away: l.away }));
        slip = slip.filter((l) => !gone(l));
      }
      if (outcome.reason === 'self_excluded' && player !== null && refusal.until !== undefined) {
        player = { ...player, excludedUntil: refusal.until };
      }
      return { refusal, betting: { ...context.betting, slip }, player };
    }),
    storeBalance: assign(({ context }, balance: BalanceInfo) => ({ statement: { ...context.statement, balance } })),
    storeBets: assign(({ context }, bets: BetListItem[]) => ({ statement: { ...context.statement, bets } })),
    chooseBet: assign(({ context, event }) => ({
      statement: { ...context.statement, bet: context.statement.bets[Number(text(event)) - 1] ?? null, legs: [] },
    })),
    storeLegs: assign(({ context }, legs: BetLeg[] | null) => ({
      statement: legs === null ? { ...context.statement, bet: null, legs: [] } : { ...context.statement, legs },
    })),

    storeDepositAmount: assign(({ context, event }) => {
      const check = checkAmount(text(event), 'deposit', context.settings.limits);
      return check.ok ? { payments: { ...context.payments, deposit: { amount: check.amount, excise: 0, credited: 0 } } } : {};
    }),
    storeDepositPreview: assign(({ context }, preview: { excise: Cents; credited: Cents }) => {
      const d = context.payments.deposit;
      return { payments: { ...context.payments, deposit: d === null ? null : { ...d, ...preview } } };
    }),
    storeDepositResult: assign(({ context }, outcome: Outcome<{ reference: string }, DepositRefusal>) =>
      outcome.ok
        ? { refusal: null, payments: { ...context.payments, depositStarted: context.payments.deposit?.amount ?? 0 } }
        : { refusal: refusalFrom(outcome.reason, outcome.detail) },
    ),
    forgetDeposit: assign(({ context }) => ({ payments: { ...context.payments, deposit: null } })),
    storeWithdrawalAmount: assign(({ context, event }) => {
      const check = checkAmount(text(event), 'withdraw', context.settings.limits);
      return check.ok
        ? { payments: { ...context.payments, withdrawal: { amount: check.amount, wht: 0, net: 0, key: '' } } }
        : {};
    }),
    storeWithdrawalPreview: assign(({ context }, preview: { wht: Cents; net: Cents }) => {
      const w = context.payments.withdrawal;
      return {
        payments: {
          ...context.payments,
          withdrawal: w === null ? null : { ...w, ...preview, key: `${context.sessionId}:wd:${context.confirmations + 1}` },
        },
        confirmations: context.confirmations + 1,
      };
    }),
    storeWithdrawalResult: assign(
      ({ context }, outcome: Outcome<{ amount: Cents; wht: Cents; net: Cents; balance: Cents }, WithdrawalRefusal>) =>
        outcome.ok
          ? {
              refusal: null,
              payments: { ...context.payments, withdrawn: { net: outcome.value.net, balance: outcome.value.balance } },
            }
          : { refusal: refusalFrom(outcome.reason, outcome.detail) },
    ),
    forgetWithdrawal: assign(({ context }) => ({ payments: { ...context.payments, withdrawal: null } })),

    chooseLanguage: assign(({ context }, params: { lang: Lang }) => ({
      account: { ...context.account, pendingLanguage: params.lang },
    })),
    applyLanguage: assign(({ context }) => {
      const lang = context.account.pendingLanguage ?? context.lang;
      return {
        lang,
        account: { ...context.account, pendingLanguage: null },
        player: context.player === null ? null : { ...context.player, language: lang },
        notice: { key: 'languageSaved' as const },
      };
    }),
    chooseLimit: assign(({ context }, params: { kind: 'deposit' | 'stake' }) => ({
      account: { ...context.account, limitKind: params.kind },
    })),
    storePendingLimit: assign(({ context, event }) => {
      if (text(event) === '0') return { account: { ...context.account, pendingLimit: null } };
      const check = checkAmount(text(event), 'limit', context.settings.limits);
      return check.ok ? { account: { ...context.account, pendingLimit: check.amount } } : {};
    }),
    storeLimit: assign(({ context }) => {
      const p = context.player;
      const value = context.account.pendingLimit;
      const player =
        p === null
          ? null
          : context.account.limitKind === 'stake'
            ? { ...p, dailyStakeLimit: value }
            : { ...p, dailyDepositLimit: value };
      return { player, notice: { key: value === null ? ('limitRemoved' as const) : ('limitSaved' as const) } };
    }),
    chooseBreak: assign(({ context }, params: { days: number }) => ({
      account: { ...context.account, breakDays: params.days },
    })),
    storeExclusion: assign(({ context }, out: { until: string }) => ({
      account: { ...context.account, excludedUntil: out.until },
    })),
  },
}).createMachine({
  id: 'menu',
  context: ({ input }) => initialContext(input),
  initial: 'identifying',
  on: {
    INPUT: [{ guard: and([input('00'), 'knownPlayer']), target: '.main' }, { actions: 'invalidChoice' }],
  },
  states: {
    identifying: {
      invoke: {
        src: 'loadPlayer',
        input: ({ context }) => ({ phone: context.phone }),
        onDone: { target: 'welcome', actions: { type: 'storePlayer', params: ({ event }) => event.output } },
        onError: 'busy',
      },
    },
    welcome: {
      always: [
        { guard: 'unknownPlayer', target: 'terms' },
        { guard: 'blocked', target: 'blocked' },
        { guard: 'onBreak', target: 'main', actions: 'forgetResume' },
        { guard: 'resumeOffered', target: 'resume' },
        { target: 'main' },
      ],
    },
    terms: {
      meta: { screen: 'terms' },
      exit: leaveScreen,
      on: {
        INPUT: [
          ...paging('terms'),
          { guard: input('1'), target: 'registering' },
          { guard: input('2'), target: 'declined' },
          { guard: input('3'), actions: 'toggleLanguage' },
        ],
      },
    },
    registering: {
      invoke: {
        src: 'register',
        input: ({ context }) => ({ phone: context.phone, language: context.lang }),
        onDone: { target: 'main', actions: { type: 'storeRegistered', params: ({ event }) => event.output } },
        onError: 'busy',
      },
    },
    resume: {
      meta: { screen: 'resume' },
      exit: leaveScreen,
      on: {
        INPUT: [
          ...paging('resume'),
          { guard: and([input('1'), resumeIs('slipWithStake')]), target: 'bet.quoting', actions: 'restoreResume' },
          { guard: and([input('1'), resumeIs('slip')]), target: 'bet.stake', actions: 'restoreResume' },
          { guard: and([input('1'), resumeIs('deposit')]), target: 'deposit.previewing', actions: 'restoreResume' },
          { guard: input('2'), target: 'main', actions: 'forgetResume' },
        ],
      },
    },
    main: {
      meta: { screen: 'main' },
      exit: leaveScreen,
      on: {
        INPUT: [
          ...paging('main'),
          { guard: and([input('1'), 'notOnBreak']), target: 'bet' },
          { guard: input('2'), target: 'balance' },
          { guard: and([input('3'), 'notOnBreak']), target: 'myBets' },
          { guard: and([input('4'), 'notOnBreak']), target: 'deposit' },
          { guard: input('5'), target: 'withdraw' },
          { guard: and([input('6'), 'notOnBreak']), target: 'account' },
          { guard: input('0'), target: 'goodbye' },
        ],
      },
    },

    bet: {
      initial: 'sports',
      states: {
        sports: {
          meta: { screen: 'bet.sports' },
          exit: leaveScreen,
          on: {
            INPUT: [
              ...paging('bet.sports'),
              { guard: input('1'), target: 'loadingEvents', actions: { type: 'chooseSport', params: { sport: 'football' } } },
              { guard: input('2'), target: 'loadingEvents', actions: { type: 'chooseSport', params: { sport: 'basketball' } } },
              { guard: input('3'), target: 'loadingEvents', actions: { type: 'chooseSport', params: { sport: 'tennis' } } },
              { guard: and([input('4'), 'slipHasLegs']), target: 'slip' },
              { guard: input('0'), target: '#menu.main' },
            ],
          },
        },
        loadingEvents: {
          invoke: {
            src: 'loadEvents',
            input: ({ context }) => ({ sport: context.betting.sport ?? 'football', limit: LIST_SIZE }),
            onDone: { target: 'events', actions: { type: 'storeEvents', params: ({ event }) => event.output } },
            onError: '#menu.busy',
          },
        },
        events: {
          meta: { screen: 'bet.events' },
          exit: leaveScreen,
          on: {
            INPUT: [
              ...paging('bet.events'),
              { guard: input('0'), target: 'sports' },
              { guard: picks('events'), target: 'loadingMarkets', actions: 'chooseEvent' },
            ],
          },
        },
        loadingMarkets: {
          invoke: {
            src: 'loadMarkets',
            input: ({ context }) => ({ eventId: context.betting.event?.id ?? 0 }),
            onDone: { target: 'marketsLoaded', actions: { type: 'storeMarkets', params: ({ event }) => event.output } },
            onError: '#menu.busy',
          },
        },
        marketsLoaded: {
          always: [{ guard: 'marketsFound', target: 'markets' }, { target: 'loadingEvents', actions: notify('matchClosed') }],
        },
        markets: {
          meta: { screen: 'bet.markets' },
          exit: leaveScreen,
          on: {
            INPUT: [
              ...paging('bet.markets'),
              { guard: input('0'), target: 'events' },
              { guard: picks('markets'), target: 'outcomes', actions: 'chooseMarket' },
            ],
          },
        },
        outcomes: {
          meta: { screen: 'bet.outcomes' },
          exit: leaveScreen,
          on: {
            INPUT: [
              ...paging('bet.outcomes'),
              { guard: input('0'), target: 'markets' },
              { guard: and([picks('outcomes'), 'pickOverflows']), actions: 'noteSlipFull' },
              { guard: picks('outcomes'), target: 'slip', actions: 'choosePick' },
            ],
          },
        },
        slip: {
          meta: { screen: 'bet.slip' },
          exit: leaveScreen,
          on: {
            INPUT: [
              ...paging('bet.slip'),
              { guard: and([input('1'), 'slipFull']), actions: 'noteSlipFull' },
              { guard: input('1'), target: 'sports' },
              { guard: input('2'), target: 'stake' },
              { guard: input('0'), target: 'sports' },
            ],
          },
        },
        stake: {
          meta: { screen: 'bet.stake' },
          exit: leaveScreen,
          on: {
            INPUT: [
              { guard: input('0'), target: 'slip' },
              { guard: amountOk('stake'), target: 'quoting', actions: 'storeStake' },
              { guard: 'notMainMenuKey', actions: amountWrong('stake') },
            ],
          },
        },
        quoting: {
          invoke: {
            src: 'quoteBet',
            input: ({ context }) => ({ stake: context.betting.stake ?? 0, odds: context.betting.slip.map((l) => l.odds) }),
            onDone: { target: 'confirm', actions: { type: 'storeQuote', params: ({ event }) => event.output } },
            onError: '#menu.busy',
          },
        },
        confirm: {
          meta: { screen: 'bet.confirm' },
          exit: leaveScreen,
          on: {
            INPUT: [
              ...paging('bet.confirm'),
              { guard: input('1'), target: 'placing' },
              { guard: input('2'), target: '#menu.main', actions: ['clearSlip', notify('betCancelled')] },
              { guard: input('0'), target: 'stake' },
            ],
          },
        },
        placing: {
          invoke: {
            src: 'placeBet',
            input: ({ context }) => ({
              playerId: context.player?.id ?? 0,
              selections: context.betting.slip.map((l) => ({ eventId: l.eventId, outcomeId: l.outcomeId, odds: l.odds })),
              stake: context.betting.stake ?? 0,
              key: context.betting.betKey ?? `${context.sessionId}:bet:${context.confirmations}`,
            }),
            onDone: { target: 'placementDone', actions: { type: 'storePlacement', params: ({ event }) => event.output } },
            onError: '#menu.busy',
          },
        },
        placementDone: {
          always: [
            { guard: 'succeeded', target: '#menu.betPlaced' },
            { guard: refused('odds_changed'), target: 'quoting', actions: notify('oddsChanged') },
            { guard: refused('event_closed', 'selection_not_found'), target: 'closed' },
            { guard: refused('insufficient_funds'), target: 'checkingFunds' },
            { guard: refused('player_blocked'), target: '#menu.blocked' },
            { target: 'refused' },
          ],
        },
        closed: {
          meta: { screen: 'bet.closed' },
          exit: leaveScreen,
          on: {
            INPUT: [
              ...paging('bet.closed'),
              { guard: input('1'), target: 'sports' },
              { guard: input('0'), target: '#menu.main' },
            ],
          },
        },
        checkingFunds: {
          invoke: {
            src: 'loadBalance',
            input: ({ context }) => ({ playerId: context.player?.id ?? 0 }),
            onDone: { target: 'noFunds', actions: { type: 'storeBalance', params: ({ event }) => event.output } },
            onError: '#menu.busy',
          },
        },
        noFunds: {
          meta: { screen: 'bet.noFunds' },
          exit: leaveScreen,
          on: {
            INPUT: [
              ...paging('bet.noFunds'),
              { guard: input('1'), target: '#menu.deposit' },
              { guard: input('0'), target: '#menu.main' },
            ],
          },
        },
        refused: {
          meta: { screen: 'bet.refused' },
          exit: leaveScreen,
          on: {
            INPUT: [
              ...paging('bet.refused'),
              { guard: and([input('1'), refused(...STAKE_REFUSALS)]), target: 'stake' },
              { guard: and([input('1'), refused(...SLIP_REFUSALS)]), target: 'sports', actions: 'clearSlip' },
              { guard: input('0'), target: '#menu.main' },
            ],
          },
        },
      },
    },

    balance: {
      initial: 'loading',
      states: {
        loading: {
          invoke: {
            src: 'loadBalance',
            input: ({ context }) => ({ playerId: context.player?.id ?? 0 }),
            onDone: { target: 'shown', actions: { type: 'storeBalance', params: ({ event }) => event.output } },
            onError: '#menu.busy',
          },
        },
        shown: {
          meta: { screen: 'balance.shown' },
          exit: leaveScreen,
          on: { INPUT: [...paging('balance.shown'), { guard: input('0'), target: '#menu.main' }] },
        },
      },
    },

    myBets: {
      initial: 'loading',
      states: {
        loading: {
          invoke: {
            src: 'loadBets',
            input: ({ context }) => ({ playerId: context.player?.id ?? 0, limit: LIST_SIZE }),
            onDone: { target: 'list', actions: { type: 'storeBets', params: ({ event }) => event.output } },
            onError: '#menu.busy',
          },
        },
        list: {
          meta: { screen: 'myBets.list' },
          exit: leaveScreen,
          on: {
            INPUT: [
              ...paging('myBets.list'),
              { guard: input('0'), target: '#menu.main' },
              { guard: picks('bets'), target: 'loadingLegs', actions: 'chooseBet' },
            ],
          },
        },
        loadingLegs: {
          invoke: {
            src: 'loadBetLegs',
            input: ({ context }) => ({ playerId: context.player?.id ?? 0, betId: context.statement.bet?.id ?? 0 }),
            onDone: { target: 'legsLoaded', actions: { type: 'storeLegs', params: ({ event }) => event.output } },
            onError: '#menu.busy',
          },
        },
        legsLoaded: {
          always: [{ guard: 'legsFound', target: 'detail' }, { target: 'list', actions: notify('invalidChoice') }],
        },
        detail: {
          meta: { screen: 'myBets.detail' },
          exit: leaveScreen,
          on: { INPUT: [...paging('myBets.detail'), { guard: input('0'), target: 'list' }] },
        },
      },
    },

    deposit: {
      initial: 'amount',
      exit: 'forgetDeposit',
      states: {
        amount: {
          meta: { screen: 'deposit.amount' },
          exit: leaveScreen,
          on: {
            INPUT: [
              { guard: input('0'), target: '#menu.main' },
              { guard: amountOk('deposit'), target: 'previewing', actions: 'storeDepositAmount' },
              { guard: 'notMainMenuKey', actions: amountWrong('deposit') },
            ],
          },
        },
        previewing: {
          invoke: {
            src: 'previewDeposit',
            input: ({ context }) => ({ amount: context.payments.deposit?.amount ?? 0 }),
            onDone: { target: 'confirm', actions: { type: 'storeDepositPreview', params: ({ event }) => event.output } },
            onError: '#menu.busy',
          },
        },
        confirm: {
          meta: { screen: 'deposit.confirm' },
          exit: leaveScreen,
          on: {
            INPUT: [
              ...paging('deposit.confirm'),
              { guard: input('1'), target: 'starting' },
              { guard: input('2'), target: '#menu.main', actions: notify('cancelled') },
              { guard: input('0'), target: 'amount' },
            ],
          },
        },
        starting: {
          invoke: {
            src: 'startDeposit',
            input: ({ context }) => ({
              playerId: context.player?.id ?? 0,
              msisdn: context.phone,
              amount: context.payments.deposit?.amount ?? 0,
            }),
            onDone: { target: 'started', actions: { type: 'storeDepositResult', params: ({ event }) => event.output } },
            onError: '#menu.busy',
          },
        },
        started: {
          always: [
            { guard: 'succeeded', target: '#menu.depositStarted' },
            { guard: refused('player_blocked'), target: '#menu.blocked' },
            { target: 'refused' },
          ],
        },
        refused: {
          meta: { screen: 'deposit.refused' },
          exit: leaveScreen,
          on: {
            INPUT: [
              ...paging('deposit.refused'),
              { guard: input('1'), target: 'amount' },
              { guard: input('0'), target: '#menu.main' },
            ],
          },
        },
      },
    },

    withdraw: {
      initial: 'amount',
      exit: 'forgetWithdrawal',
      states: {
        amount: {
          meta: { screen: 'withdraw.amount' },
          exit: leaveScreen,
          on: {
            INPUT: [
              { guard: input('0'), target: '#menu.main' },
              { guard: amountOk('withdraw'), target: 'previewing', actions: 'storeWithdrawalAmount' },
              { guard: 'notMainMenuKey', actions: amountWrong('withdraw') },
            ],
          },
        },
        previewing: {
          invoke: {
            src: 'previewWithdrawal',
            input: ({ context }) => ({ amount: context.payments.withdrawal?.amount ?? 0 }),
            onDone: { target: 'confirm', actions: { type: 'storeWithdrawalPreview', params: ({ event }) => event.output } },
            onError: '#menu.busy',
          },
        },
        confirm: {
          meta: { screen: 'withdraw.confirm' },
          exit: leaveScreen,
          on: {
            INPUT: [
              ...paging('withdraw.confirm'),
              { guard: input('1'), target: 'requesting' },
              { guard: input('2'), target: '#menu.main', actions: notify('cancelled') },
              { guard: input('0'), target: 'amount' },
            ],
          },
        },
        requesting: {
          invoke: {
            src: 'requestWithdrawal',
            input: ({ context }) => ({
              playerId: context.player?.id ?? 0,
              msisdn: context.phone,
              amount: context.payments.withdrawal?.amount ?? 0,
              key: context.payments.withdrawal?.key ?? `${context.sessionId}:wd:${context.confirmations}`,
            }),
            onDone: { target: 'requested', actions: { type: 'storeWithdrawalResult', params: ({ event }) => event.output } },
            onError: '#menu.busy',
          },
        },
        requested: {
          always: [
            { guard: 'succeeded', target: '#menu.withdrawalSent' },
            { guard: refused('insufficient_funds'), target: 'checkingFunds' },
            { guard: refused('player_blocked'), target: '#menu.blocked' },
            { target: 'refused' },
          ],
        },
        checkingFunds: {
          invoke: {
            src: 'loadBalance',
            input: ({ context }) => ({ playerId: context.player?.id ?? 0 }),
            onDone: { target: 'noFunds', actions: { type: 'storeBalance', params: ({ event }) => event.output } },
            onError: '#menu.busy',
          },
        },
        noFunds: {
          meta: { screen: 'withdraw.noFunds' },
          exit: leaveScreen,
          on: {
            INPUT: [
              ...paging('withdraw.noFunds'),
              { guard: input('1'), target: 'amount' },
              { guard: input('0'), target: '#menu.main' },
            ],
          },
        },
        refused: {
          meta: { screen: 'withdraw.refused' },
          exit: leaveScreen,
          on: {
            INPUT: [
              ...paging('withdraw.refused'),
              { guard: input('1'), target: 'amount' },
              { guard: input('0'), target: '#menu.main' },
            ],
          },
        },
      },
    },

    account: {
      initial: 'menu',
      states: {
        menu: {
          meta: { screen: 'account.menu' },
          exit: leaveScreen,
          on: {
            INPUT: [
              ...paging('account.menu'),
              { guard: input('1'), target: 'language' },
              { guard: input('2'), target: 'limits' },
              { guard: input('3'), target: 'breakMenu' },
              { guard: input('0'), target: '#menu.main' },
            ],
          },
        },
        language: {
          meta: { screen: 'account.language' },
          exit: leaveScreen,
          on: {
            INPUT: [
              ...paging('account.language'),
              { guard: input('1'), target: 'savingLanguage', actions: { type: 'chooseLanguage', params: { lang: 'en' } } },
              { guard: input('2'), target: 'savingLanguage', actions: { type: 'chooseLanguage', params: { lang: 'sw' } } },
              { guard: input('0'), target: 'menu' },
            ],
          },
        },
        savingLanguage: {
          invoke: {
            src: 'setLanguage',
            input: ({ context }) => ({
              playerId: context.player?.id ?? 0,
              language: context.account.pendingLanguage ?? context.lang,
            }),
            onDone: { target: 'menu', actions: 'applyLanguage' },
            onError: '#menu.busy',
          },
        },
        limits: {
          meta: { screen: 'account.limits' },
          exit: leaveScreen,
          on: {
            INPUT: [
              ...paging('account.limits'),
              { guard: input('1'), target: 'limitAmount', actions: { type: 'chooseLimit', params: { kind: 'deposit' } } },
              { guard: input('2'), target: 'limitAmount', actions: { type: 'chooseLimit', params: { kind: 'stake' } } },
              { guard: input('0'), target: 'menu' },
            ],
          },
        },
        limitAmount: {
          meta: { screen: 'account.limitAmount' },
          exit: leaveScreen,
          on: {
            INPUT: [
              // "0" removes the limit here (the screen says so); "00" still goes to the main menu
              { guard: input('0'), target: 'savingLimit', actions: 'storePendingLimit' },
              { guard: amountOk('limit'), target: 'savingLimit', actions: 'storePendingLimit' },
              { guard: 'notMainMenuKey', actions: amountWrong('limit') },
            ],
          },
        },
        savingLimit: {
          invoke: {
            src: 'setLimits',
            input: ({ context }) => ({
              playerId: context.player?.id ?? 0,
              limits:
                context.account.limitKind === 'stake'
                  ? { stake: context.account.pendingLimit }
                  : { deposit: context.account.pendingLimit },
            }),
            onDone: { target: 'limits', actions: 'storeLimit' },
            onError: '#menu.busy',
          },
        },
        breakMenu: {
          meta: { screen: 'account.breakMenu' },
          exit: leaveScreen,
          on: {
            INPUT: [
              ...paging('account.breakMenu'),
              { guard: input('1'), target: 'breakConfirm', actions: { type: 'chooseBreak', params: { days: 1 } } },
              { guard: input('2'), target: 'breakConfirm', actions: { type: 'chooseBreak', params: { days: 7 } } },
              { guard: input('3'), target: 'breakConfirm', actions: { type: 'chooseBreak', params: { days: 30 } } },
              { guard: input('0'), target: 'menu' },
            ],
          },
        },
        breakConfirm: {
          meta: { screen: 'account.breakConfirm' },
          exit: leaveScreen,
          on: {
            INPUT: [
              ...paging('account.breakConfirm'),
              { guard: input('1'), target: 'excluding' },
              { guard: input('2'), target: 'menu', actions: notify('cancelled') },
              { guard: input('0'), target: 'breakMenu' },
            ],
          },
        },
        excluding: {
          invoke: {
            src: 'selfExclude',
            input: ({ context }) => ({ playerId: context.player?.id ?? 0, days: context.account.breakDays ?? 1 }),
            onDone: { target: '#menu.breakStarted', actions: { type: 'storeExclusion', params: ({ event }) => event.output } },
            onError: '#menu.busy',
          },
        },
      },
    },

    declined: { type: 'final', meta: { screen: 'declined' } },
    blocked: { type: 'final', meta: { screen: 'blocked' } },
    busy: { type: 'final', meta: { screen: 'busy' } },
    goodbye: { type: 'final', meta: { screen: 'goodbye' } },
    betPlaced: { type: 'final', meta: { screen: 'betPlaced' } },
    depositStarted: { type: 'final', meta: { screen: 'depositStarted' } },
    withdrawalSent: { type: 'final', meta: { screen: 'withdrawalSent' } },
    breakStarted: { type: 'final', meta: { screen: 'breakStarted' } },
  },
});

export type MenuMachine = typeof menuMachine;

/**
 * The machine with its named actors bound to real (or fake) services: the one way production and tests run it.
 * `report` hears about every service call that failed (the machine shows "Service busy" for it).
 */
export function bindServices(services: MenuServices, report?: (err: unknown) => void): MenuMachine {
  return menuMachine.provide({ actors: serviceActors(services, report) });
}
