// Keeping a trunk's status current while it is Connecting (src/lib/poll.ts has the back-off).

import { useEffect, useState } from "react";
import type { Trunk } from "../api/types";
import { isSettled, poll } from "../lib/poll";

export type Following = "idle" | "following" | "gave-up";

/**
 * While any of `trunks` is connecting, look again with back-off until all are settled;
 * `refresh` gives the new trunks. Restarts whenever what is connecting changes (a new
 * generation after Re-register or a credentials change).
 */
export function useFollowConnecting(
  trunks: Trunk[] | undefined,
  refresh: () => Promise<Trunk[]>,
  apply: (trunks: Trunk[]) => void,
): { following: Following; restart: () => void } {
  const [following, setFollowing] = useState<Following>("idle");
  const [round, setRound] = useState(0);
  const connecting = (trunks ?? [])
    .filter((t) => !isSettled(t.registration.state))
    .map((t) => `${t.id}:${t.generation}`)
    .join(",");

  useEffect(() => {
    if (!connecting) {
      setFollowing("idle");
      return;
    }
    setFollowing("following");
    return poll<Trunk[]>({
      fetch: refresh,
      settled: (list) => list.every((t) => isSettled(t.registration.state)),
      onValue: apply,
      onStop: (reason) => setFollowing(reason === "gave-up" ? "gave-up" : "idle"),
    });
    // refresh and apply are read when the poll runs; what restarts it is `connecting`.
  }, [connecting, round]);

  return { following, restart: () => setRound((r) => r + 1) };
}
