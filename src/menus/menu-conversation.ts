import { createActor, type SnapshotFrom, type StateValue } from 'xstate';
import type { UssdReply } from '../adapters/telco/ussd.ts';
import type { Conversation, HopContext, HopOutcome } from './conversation.ts';
import { hasMenuContextShape, type MenuContext, type MenuInput, type MenuSettings } from './menu-context.ts';
import { bindServices, initialContext, type MenuMachine } from './menu-machine.ts';
import { render } from './render.ts';
import { parseResumable, type Resumable } from './resumable.ts';
import type { ScreenId } from './screens.ts';
import type { MenuServices } from './services.ts';

export interface MenuConversationOptions {
  /** longest screen in GSM-7 septets (160 by default at most aggregators; some networks allow up to 182) */
  maxChars: number;
  /** where the full terms and conditions are published (shown on the first screen) */
  termsUrl?: string;
  /** customer care number for the "account blocked" screen; left out when not given */
  supportPhone?: string;
  /** how long one hop may wait for the services before answering "Service busy" (default 5000 ms) */
  hopTimeoutMs?: number;
  /** told once about every failure that was turned into the "Service busy" screen */
  onError?: (err: unknown) => void;
}

type MenuSnapshot = SnapshotFrom<MenuMachine>;
type MenuActor = ReturnType<typeof createActor<MenuMachine>>;

const DEFAULT_TERMS_URL = 'www.example.co.ke/terms';
const DEFAULT_HOP_TIMEOUT_MS = 5000;

/** "bet.stake" for { bet: 'stake' } */
export function statePath(value: StateValue): string {
  if (typeof value === 'string') return value;
  const [key, child] = Object.entries(value)[0] ?? ['', undefined];
  return child === undefined ? key : `${key}.${statePath(child)}`;
}

/**
 * The snapshot as XState's `getPersistedSnapshot` would write it, for a machine at rest. XState's version copies the
 * whole context looking for actor references to replace and persists every child; our context never holds an actor,
 * and a machine resting on a screen has no children (its services have finished), so the persisted form is the
 * snapshot's own fields. Anything else (children, history) goes through XState.
 */
export function persistedAtRest(snapshot: MenuSnapshot, actor: { getPersistedSnapshot(): object }): object {
  for (const _ in snapshot.children) return actor.getPersistedSnapshot();
  for (const _ in snapshot.historyValue) return actor.getPersistedSnapshot();
  const { status, output, error, value, context } = snapshot;
  return { status, output, error, value, historyValue: {}, context, children: {} };
}

/** the screen the machine rests on, or null while it is between screens (work in flight) */
export function screenOf(snapshot: MenuSnapshot): ScreenId | null {
  for (const meta of Object.values(snapshot.getMeta())) {
    if (meta !== undefined && typeof meta.screen === 'string') return meta.screen;
  }
  return null;
}

/** what a dropped session could pick up again from this screen */
export function resumableOf(screen: ScreenId, ctx: MenuContext, ended: boolean): Resumable | null {
  if (ended) return null;
  if (screen === 'resume') return ctx.resume;
  const { deposit } = ctx.payments;
  if (screen.startsWith('deposit.') && deposit !== null) return { kind: 'deposit', amount: deposit.amount };
  const { slip, stake } = ctx.betting;
  if (slip.length > 0) return { kind: 'bet', selections: slip, stake };
  return null;
}

/**
 * The menus behind the `Conversation` seam. A hop restores the machine from the persisted snapshot (or starts it),
 * feeds the inputs one at a time, waiting after each until the machine rests on a screen, then persists it and
 * renders that screen. Restoring does not re-run entry actions, so nothing is fetched or charged twice by a replay.
 * Any failure (a service throwing, a hop running past its time, a snapshot that cannot be restored) becomes the
 * "Service busy" END screen: the player never sees an internal error.
 */
export function createMenuConversation(services: MenuServices, opts: MenuConversationOptions): Conversation {
  if (!Number.isInteger(opts.maxChars) || opts.maxChars < 70 || opts.maxChars > 182) {
    throw new RangeError(`createMenuConversation: maxChars must be an integer from 70 to 182, got ${opts.maxChars}`);
  }
  const machine = bindServices(services, opts.onError);
  const timeout = opts.hopTimeoutMs ?? DEFAULT_HOP_TIMEOUT_MS;
  const settings = (): MenuSettings => ({
    maxChars: opts.maxChars,
    limits: services.limits,
    termsUrl: opts.termsUrl ?? DEFAULT_TERMS_URL,
    supportPhone: opts.supportPhone ?? '',
  });

  const inputFor = (ctx: HopContext, resume: Resumable | null): MenuInput => ({
    sessionId: ctx.sessionId,
    phone: ctx.phone,
    settings: settings(),
    resume,
  });

  const atRest = (s: MenuSnapshot) => s.status !== 'active' || screenOf(s) !== null;

  /**
   * The actor that rests on each persisted snapshot this conversation handed out, while that snapshot object is still
   * referenced (the session store keeps the record it last committed). A hop that brings that very object back
   * continues the actor instead of restoring a copy: the same machine at the same state, without rebuilding it. A hop
   * takes the actor out before it runs, so a failed or repeated hop restores from the snapshot as before.
   */
  const resting = new WeakMap<object, MenuActor>();

  /**
   * Resolves once the machine rests on a screen. Most inputs only move between screens and rest at once, with no
   * promise or timer; a hop that waits for a service shares one timer (the hop's whole budget) across its waits.
   */
  function settler(actor: MenuActor) {
    let wake: (() => void) | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let expired = false;
    // errors surface through the snapshot (status 'error'); without an observer XState would also rethrow them
    const observed = actor.subscribe({ next: () => wake?.(), error: () => wake?.() });
    const changed = () =>
      new Promise<void>((resolve) => {
        wake = resolve;
        timer ??= setTimeout(() => {
          expired = true;
          wake?.();
        }, timeout);
      });
    return {
      async settle(): Promise<MenuSnapshot> {
        for (;;) {
          const snapshot = actor.getSnapshot();
          if (snapshot.status === 'error') throw snapshot.error;
          if (atRest(snapshot)) return snapshot;
          if (expired) throw new Error(`menu hop still working after ${timeout} ms`);
          await changed();
          wake = null;
        }
      },
      done: () => {
        clearTimeout(timer);
        observed.unsubscribe();
      },
    };
  }

  function outcome(snapshot: MenuSnapshot, persisted: unknown): HopOutcome {
    const screen = screenOf(snapshot) ?? 'busy';
    const reply = render(screen, snapshot.context);
    const ended = reply.kind === 'END';
    return {
      snapshot: persisted,
      reply,
      state: statePath(snapshot.value),
      resumable: resumableOf(screen, snapshot.context, ended),
    };
  }

  /** the busy END screen, with a snapshot resting on it so a replayed hop shows the same */
  function busy(context: MenuContext | undefined, ctx: HopContext): HopOutcome {
    // the context of a snapshot that failed to restore may be anything: only a sane one chooses the language
    const sane = (context?.lang === 'en' || context?.lang === 'sw') && typeof context.settings?.maxChars === 'number';
    const base = sane ? context : initialContext(inputFor(ctx, null));
    const resting = machine.resolveState({ value: 'busy', context: base });
    const reply: UssdReply = render('busy', base);
    const persisted = createActor(machine, { snapshot: resting, input: inputFor(ctx, null) }).getPersistedSnapshot();
    return { snapshot: persisted, reply, state: 'busy', resumable: null };
  }

  async function run(
    from: { snapshot: unknown } | { resume: Resumable | null },
    inputs: readonly string[],
    ctx: HopContext,
  ): Promise<HopOutcome> {
    let actor: MenuActor | undefined;
    let waits: ReturnType<typeof settler> | undefined;
    let keep = false;
    try {
      // A persisted snapshot is what this machine wrote after an earlier hop; the input is only read by a new actor.
      if ('snapshot' in from && (typeof from.snapshot !== 'object' || from.snapshot === null)) {
        throw new TypeError('menu conversation: the saved snapshot is not an object');
      }
      const saved = 'snapshot' in from ? (from.snapshot as object) : null;
      const live = saved === null ? undefined : resting.get(saved);
      if (saved !== null && live !== undefined) {
        resting.delete(saved);
        actor = live;
      } else {
        actor =
          'snapshot' in from
            ? createActor(machine, { snapshot: from.snapshot as MenuSnapshot, input: inputFor(ctx, null) })
            : createActor(machine, { input: inputFor(ctx, from.resume) });
        if ('snapshot' in from && !hasMenuContextShape(actor.getSnapshot().context)) {
          throw new TypeError("menu conversation: the saved snapshot's context does not have the current shape");
        }
      }
      waits = settler(actor);
      if (live === undefined) actor.start();
      let snapshot = await waits.settle();
      for (const value of inputs) {
        if (snapshot.status !== 'active') break; // an END screen was reached: later inputs have nowhere to go
        actor.send({ type: 'INPUT', value });
        snapshot = await waits.settle();
      }
      const persisted = persistedAtRest(snapshot, actor);
      const result = outcome(snapshot, persisted);
      if (snapshot.status === 'active') {
        resting.set(persisted, actor);
        keep = true;
      }
      return result;
    } catch (err) {
      opts.onError?.(err);
      let context: MenuContext | undefined;
      try {
        context = actor?.getSnapshot().context;
      } catch {
        context = undefined;
      }
      return busy(context, ctx);
    } finally {
      waits?.done();
      if (!keep) actor?.stop();
    }
  }

  return {
    start: (ctx, resume) => run({ resume: parseResumable(resume) }, [], ctx),
    advance: (snapshot, inputs, ctx) => run({ snapshot }, inputs, ctx),
  };
}
