import { describe, expect, it } from "vitest";
import { backoffDelay, isSettled, poll, type Timers } from "../src/lib/poll";

function fakeTimers() {
  let now = 0;
  let next = 1;
  const pending = new Map<number, { at: number; fn: () => void }>();
  const timers: Timers = {
    setTimeout: (fn, ms) => {
      const id = next++;
      pending.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout: (id) => void pending.delete(id as number),
    now: () => now,
  };
  /** Run the earliest timer; returns the pause it waited. */
  async function tick(): Promise<number> {
    const [id, timer] = [...pending.entries()].sort((a, b) => a[1].at - b[1].at)[0] ?? [];
    if (!timer) throw new Error("no timer pending");
    pending.delete(id as number);
    const waited = timer.at - now;
    now = timer.at;
    timer.fn();
    await new Promise((resolve) => setTimeout(resolve, 0)); // let the look's promise settle
    return waited;
  }
  return { timers, tick, pendingCount: () => pending.size };
}

describe("back-off", () => {
  it("grows by half each time and stops growing at 15 s", () => {
    expect([0, 1, 2, 3, 4].map((n) => backoffDelay(n))).toEqual([1000, 1500, 2250, 3375, 5063]);
    expect(backoffDelay(7)).toBe(15000);
    expect(backoffDelay(50)).toBe(15000);
  });

  it("treats only Connecting as unsettled", () => {
    expect(isSettled("connecting")).toBe(false);
    expect(isSettled("registered")).toBe(true);
    expect(isSettled("failed")).toBe(true);
  });
});

describe("poll", () => {
  it("looks with growing pauses until the value is settled, then stops", async () => {
    const { timers, tick, pendingCount } = fakeTimers();
    const answers = ["connecting", "connecting", "registered"];
    const seen: string[] = [];
    let stopped: string | null = null;
    poll({
      fetch: async () => answers.shift() as string,
      settled: (s) => s !== "connecting",
      onValue: (s) => seen.push(s),
      onStop: (reason) => (stopped = reason),
      timers,
    });
    expect(await tick()).toBe(1000);
    expect(await tick()).toBe(1500);
    expect(await tick()).toBe(2250);
    expect(seen).toEqual(["connecting", "connecting", "registered"]);
    expect(stopped).toBe("settled");
    expect(pendingCount()).toBe(0);
  });

  it("keeps going after a failed look, reporting it", async () => {
    const { timers, tick } = fakeTimers();
    const errors: unknown[] = [];
    const seen: string[] = [];
    let first = true;
    poll({
      fetch: async () => {
        if (first) {
          first = false;
          throw new Error("network");
        }
        return "failed";
      },
      settled: (s) => s !== "connecting",
      onValue: (s) => seen.push(s),
      onError: (e) => errors.push(e),
      timers,
    });
    await tick();
    await tick();
    expect(errors).toHaveLength(1);
    expect(seen).toEqual(["failed"]);
  });

  it("gives up after its time budget", async () => {
    const { timers, tick, pendingCount } = fakeTimers();
    let stopped: string | null = null;
    poll({
      fetch: async () => "connecting",
      settled: () => false,
      onValue: () => {},
      onStop: (reason) => (stopped = reason),
      giveUpAfterMs: 5000,
      timers,
    });
    while (pendingCount() > 0) await tick();
    expect(stopped).toBe("gave-up");
    expect(timers.now()).toBeGreaterThanOrEqual(5000);
  });

  it("stops when told, and a look in flight changes nothing", async () => {
    const { timers, tick, pendingCount } = fakeTimers();
    let resolve: (v: string) => void = () => {};
    const seen: string[] = [];
    const stop = poll({
      fetch: () => new Promise<string>((r) => (resolve = r)),
      settled: () => false,
      onValue: (s) => seen.push(s),
      timers,
    });
    await tick(); // the look starts
    stop();
    resolve("connecting");
    await new Promise((r) => setTimeout(r, 0));
    expect(seen).toEqual([]);
    expect(pendingCount()).toBe(0);
  });
});
