// Following a trunk's registration while it is Connecting: ask again with a growing pause
// (1 s, 1.5 s, 2.25 s … at most 15 s) and stop when it is settled or after 10 minutes.

import type { RegistrationState } from "../api/types";

export type BackoffOptions = { initialMs: number; factor: number; maxMs: number };

export const BACKOFF: BackoffOptions = { initialMs: 1000, factor: 1.5, maxMs: 15000 };
export const GIVE_UP_AFTER_MS = 10 * 60 * 1000;

/** The pause before poll number `attempt` (0 for the first). */
export function backoffDelay(attempt: number, options: BackoffOptions = BACKOFF): number {
  const delay = options.initialMs * Math.pow(options.factor, Math.max(0, attempt));
  return Math.min(Math.round(delay), options.maxMs);
}

export function isSettled(state: RegistrationState): boolean {
  return state !== "connecting";
}

export type Timers = {
  setTimeout: (fn: () => void, ms: number) => unknown;
  clearTimeout: (handle: unknown) => void;
  now: () => number;
};

const realTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

export type PollOptions<T> = {
  /** One look; a rejection counts as "not settled yet" and is reported to onError. */
  fetch: () => Promise<T>;
  settled: (value: T) => boolean;
  onValue: (value: T) => void;
  onError?: (error: unknown) => void;
  /** Called once when polling stops by itself: "settled" or "gave-up". */
  onStop?: (reason: "settled" | "gave-up") => void;
  backoff?: BackoffOptions;
  giveUpAfterMs?: number;
  timers?: Timers;
};

/** Start polling (the first look after the first pause); the returned function stops it. */
export function poll<T>(options: PollOptions<T>): () => void {
  const timers = options.timers ?? realTimers;
  const backoff = options.backoff ?? BACKOFF;
  const giveUpAt = timers.now() + (options.giveUpAfterMs ?? GIVE_UP_AFTER_MS);
  let attempt = 0;
  let stopped = false;
  let handle: unknown = null;

  const schedule = () => {
    if (stopped) return;
    if (timers.now() >= giveUpAt) {
      stopped = true;
      options.onStop?.("gave-up");
      return;
    }
    handle = timers.setTimeout(look, backoffDelay(attempt++, backoff));
  };

  const look = async () => {
    if (stopped) return;
    let value: T;
    try {
      value = await options.fetch();
    } catch (error) {
      if (stopped) return;
      options.onError?.(error);
      schedule();
      return;
    }
    if (stopped) return;
    options.onValue(value);
    if (options.settled(value)) {
      stopped = true;
      options.onStop?.("settled");
      return;
    }
    schedule();
  };

  schedule();
  return () => {
    stopped = true;
    if (handle !== null) timers.clearTimeout(handle);
  };
}
