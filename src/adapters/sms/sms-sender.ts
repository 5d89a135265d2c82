/**
 * The outbound SMS port. The outbox worker hands it one message for one phone and records what comes back; it never
 * throws for a failed send, it says what kind of failure it was, because that decides whether the worker retries:
 *
 * - `sent`: the provider accepted the message (Africa's Talking 100 Processed, 101 Sent, 102 Queued). Whether it
 *   reached the handset comes later in a delivery report, matched by `messageId`.
 * - `permanent`: sending again cannot help (a blacklisted or invalid number, a DND rejection): not retried.
 * - `transient`: it may work later (no credit, no route, the provider down, a timeout, a network error): retried
 *   with backoff.
 */
export type SendResult =
  | {
      kind: 'sent';
      /** the provider's id, which delivery reports name; null when a 201 carried no readable recipient */
      messageId: string | null;
      /** as the provider states it, e.g. "KES 0.8000" */
      cost: string | null;
      statusCode: number;
      status: string;
    }
  | { kind: 'permanent'; statusCode: number | null; reason: string }
  | { kind: 'transient'; statusCode: number | null; reason: string };

export interface SmsSender {
  readonly name: string;
  /** `to` is a normalised Kenyan number, 2547XXXXXXXX / 2541XXXXXXXX */
  send(to: string, message: string): Promise<SendResult>;
}

/**
 * Bounds a send. The request itself may still complete after we give up (the provider API cannot be cancelled nor
 * asked twice idempotently): a message that timed out but was accepted will be sent again on retry. We prefer a rare
 * duplicate receipt to a lost one; keep the timeout well above the provider's normal latency.
 */
export async function sendWithTimeout(sender: SmsSender, to: string, message: string, timeoutMs: number): Promise<SendResult> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<SendResult>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'transient', statusCode: null, reason: `timeout after ${timeoutMs} ms` }), timeoutMs);
  });
  try {
    return await Promise.race([
      sender.send(to, message).catch(
        (err: unknown): SendResult => ({ kind: 'transient', statusCode: null, reason: `sender threw: ${describeError(err)}` }),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message.slice(0, 200);
  try {
    return JSON.stringify(err)?.slice(0, 200) ?? String(err);
  } catch {
    return String(err);
  }
}
