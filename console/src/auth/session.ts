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

export function storePending(store: Store, value: { state: string; verifier: string }): void {
  store.setItem(PENDING_KEY, JSON.stringify(value));
}

export function takePending(store: Store): { state: string; verifier: string } | null {
  const raw = store.getItem(PENDING_KEY);
  store.removeItem(PENDING_KEY); // one use only
  if (!raw) return null;
  try {
    const value = JSON.parse(raw);
    return typeof value?.state === "string" && typeof value?.verifier === "string" ? value : null;
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
