import { describe, expect, it } from "vitest";
import { forgetToken, fragmentToken, storedToken, storePending, storeToken, takePending } from "../src/auth/session";

function memory() {
  const items = new Map<string, string>();
  return {
    getItem: (k: string) => items.get(k) ?? null,
    setItem: (k: string, v: string) => void items.set(k, v),
    removeItem: (k: string) => void items.delete(k),
  };
}

describe("the local token in the URL fragment", () => {
  it("is read from #token=", () => {
    expect(fragmentToken("#token=eyJ.abc.def")).toBe("eyJ.abc.def");
    expect(fragmentToken("#x=1&token=eyJ.abc.def")).toBe("eyJ.abc.def");
  });

  it("is absent from a screen's fragment or an empty one", () => {
    expect(fragmentToken("#/trunks/trk_1")).toBeNull();
    expect(fragmentToken("")).toBeNull();
    expect(fragmentToken("#token=")).toBeNull();
  });
});

describe("session storage", () => {
  it("keeps and forgets the token", () => {
    const store = memory();
    storeToken(store, "t");
    expect(storedToken(store)).toBe("t");
    forgetToken(store);
    expect(storedToken(store)).toBeNull();
  });

  it("hands a pending sign-in out once", () => {
    const store = memory();
    storePending(store, { state: "s", verifier: "v" });
    expect(takePending(store)).toEqual({ state: "s", verifier: "v", returnTo: undefined });
    expect(takePending(store)).toBeNull();
  });

  it("comes back to a screen of the console's own only", () => {
    const store = memory();
    storePending(store, { state: "s", verifier: "v", returnTo: "#/agents/agt_1/telephony" });
    expect(takePending(store)?.returnTo).toBe("#/agents/agt_1/telephony");
    storePending(store, { state: "s", verifier: "v", returnTo: "javascript:alert(1)" });
    expect(takePending(store)?.returnTo).toBeUndefined();
  });

  it("ignores a damaged pending sign-in", () => {
    const store = memory();
    store.setItem("smartalex.console.pending-sign-in", "{not json");
    expect(takePending(store)).toBeNull();
  });
});
