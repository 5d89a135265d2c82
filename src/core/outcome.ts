/** Domain failures are values with a reason code that menus and SMS turn into words; exceptions are for bugs. */
export type Outcome<T, R extends string, D = unknown> = { ok: true; value: T } | { ok: false; reason: R; detail?: D };

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function fail<R extends string, D = never>(reason: R, detail?: D): { ok: false; reason: R; detail?: D } {
  return detail === undefined ? { ok: false, reason } : { ok: false, reason, detail };
}
