// Where the bearer token lives: sessionStorage (this tab only, gone when it closes).

const TOKEN_KEY = "smartalex.console.token";
const PENDING_KEY = "smartalex.console.pending-sign-in";

export type Store = Pick<Storage, "getItem" | "setItem" | "removeItem">;

export function storedToken(store: Store): string | null {
  return store.getItem(TOKEN_KEY);
}

export function storeToken(store: Store, token: string): void {
  store.setItem(TOKEN_KEY, token);
}

export function forgetToken(store: Store): void {
  store.removeItem(TOKEN_KEY);
}

/** A sign-in under way: the PKCE state and verifier, and the screen to come back to. */
export type Pending = { state: string; verifier: string; returnTo?: string };

export function storePending(store: Store, value: Pending): void {
  store.setItem(PENDING_KEY, JSON.stringify(value));
}

export function takePending(store: Store): Pending | null {
  const raw = store.getItem(PENDING_KEY);
  store.removeItem(PENDING_KEY); // one use only
  if (!raw) return null;
  try {
    const value = JSON.parse(raw);
    if (typeof value?.state !== "string" || typeof value?.verifier !== "string") return null;
    // Only a screen of the console's own (#/…), never anything else, is returned to.
    const returnTo = typeof value.returnTo === "string" && /^#\/[\w\-/%]*$/.test(value.returnTo) ? value.returnTo : undefined;
    return { state: value.state, verifier: value.verifier, returnTo };
  } catch {
    return null;
  }
}

/** The token in a local-stage URL fragment, `#token=<jwt>` (make run's CONSOLE_URL). */
export function fragmentToken(hash: string): string | null {
  const fragment = hash.replace(/^#/, "");
  if (!fragment.startsWith("token=") && !fragment.includes("&token=")) return null;
  const token = new URLSearchParams(fragment).get("token");
  return token ? token.trim() || null : null;
}
