/**
 * A circuit breaker in front of Daraja: after `failureThreshold` failures in a row it opens and calls fail at once
 * (no request leaves) for `openMs`; then one trial request is let through (half-open). The trial's success closes the
 * circuit, its failure opens it again for another `openMs`. While Daraja is down, a USSD hop answers "payments
 * unavailable" in microseconds instead of waiting for a timeout, and Safaricom is not hammered.
 */

export type CircuitState = 'closed' | 'open' | 'half_open';

export class CircuitOpenError extends Error {
  constructor(readonly retryInMs: number) {
    super(`circuit open: Daraja calls paused for ${retryInMs} ms`);
  }
}

export interface CircuitBreakerOptions {
  failureThreshold: number;
  openMs: number;
  /** milliseconds since the epoch; injected so tests need not sleep */
  now?: () => number;
  onStateChange?(state: CircuitState): void;
}

export interface CircuitBreaker {
  state(): CircuitState;
  /**
   * Runs `fn` unless the circuit is open. `isFailure` says which errors count against Daraja (an outage, a timeout,
   * throttling) rather than against the request (a customer with a prompt already open): only those open the circuit.
   */
  run<T>(fn: () => Promise<T>, isFailure: (err: unknown) => boolean): Promise<T>;
}

export function createCircuitBreaker(opts: CircuitBreakerOptions): CircuitBreaker {
  const now = opts.now ?? Date.now;
  let state: CircuitState = 'closed';
  let failures = 0;
  let openedAt = 0;
  let trialInFlight = false;

  const move = (next: CircuitState) => {
    if (next === state) return;
    state = next;
    opts.onStateChange?.(next);
  };

  const current = (): CircuitState => {
    if (state === 'open' && now() - openedAt >= opts.openMs) move('half_open');
    return state;
  };

  const open = () => {
    openedAt = now();
    failures = 0;
    move('open');
  };

  return {
    state: current,
    async run(fn, isFailure) {
      const s = current();
      if (s === 'open') throw new CircuitOpenError(Math.max(opts.openMs - (now() - openedAt), 0));
      const trial = s === 'half_open';
      if (trial) {
        // one probe at a time: the rest fail fast until it has answered
        if (trialInFlight) throw new CircuitOpenError(0);
        trialInFlight = true;
      }
      try {
        const value = await fn();
        failures = 0;
        move('closed');
        return value;
      } catch (err) {
        if (isFailure(err)) {
          failures += 1;
          if (trial || failures >= opts.failureThreshold) open();
        } else {
          // Daraja answered: it is up
          failures = 0;
          if (trial) move('closed');
        }
        throw err;
      } finally {
        if (trial) trialInFlight = false;
      }
    },
  };
}
