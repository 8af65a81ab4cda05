// Settings → PBX Settings: every trunk with its registration status, kept current while one
// is Connecting.

import { useCallback } from "react";
import type { Trunk } from "../api/types";
import { Alert, Empty, Loading } from "../components/ui";
import { useConsole } from "../context";
import { useResource, useScreen } from "../hooks";
import { messageOf } from "../lib/fields";
import { pbxTypeLabel, trunkName } from "../lib/format";
import { href } from "../lib/route";
import { useFollowConnecting } from "./polling";
import { TrunkStatus } from "./TrunkStatus";

export function Trunks() {
  const { api } = useConsole();
  const heading = useScreen("PBX Settings");
  const load = useCallback(async () => (await api.get<{ trunks: Trunk[] }>("/v1/trunks")).trunks, [api]);
  const trunks = useResource(load, "trunks");
  const follow = useFollowConnecting(trunks.data, load, (list) => trunks.set(() => list));
  const replace = (trunk: Trunk) => trunks.set((list) => list?.map((t) => (t.id === trunk.id ? trunk : t)));

  return (
    <section aria-labelledby="trunks-title">
      <div className="screen-header">
        <h1 id="trunks-title" tabIndex={-1} ref={heading}>
          PBX Settings
        </h1>
        <a className="button button--primary" href={href({ screen: "connect-carrier" })}>
          Connect Your Carrier
        </a>
      </div>
      <p className="lead">
        Each trunk is SmartAlex registered as an extension on your PBX. Open one to change its credentials or
        edit its directory.
      </p>
      {trunks.error ? <Alert>{messageOf(trunks.error)}</Alert> : null}
      {trunks.loading && !trunks.data ? <Loading>Loading your trunks…</Loading> : null}
      {trunks.data && trunks.data.length === 0 ? (
        <Empty title="No trunks yet.">
          <p>
            <a href={href({ screen: "connect-carrier" })}>Connect Your Carrier</a> adds SmartAlex as a phone on your
            PBX; its status shows here.
          </p>
        </Empty>
      ) : null}
      {trunks.data && trunks.data.length > 0 ? (
        <ul className="cards" aria-label="Trunks">
          {trunks.data.map((trunk) => (
            <li key={trunk.id} className="card" data-testid="trunk-card">
              <div className="card-header">
                <h2 className="card-title">
                  <a href={href({ screen: "trunk", id: trunk.id, tab: "status" })}>{trunkName(trunk)}</a>
                </h2>
                <span className="card-meta">
                  {pbxTypeLabel(trunk.pbx_type)} · {trunk.transport.toUpperCase()} port {trunk.port}
                </span>
              </div>
              <TrunkStatus
                trunk={trunk}
                following={follow.following}
                onChange={replace}
                onCheckAgain={follow.restart}
              />
              <p className="card-links">
                <a href={href({ screen: "trunk", id: trunk.id, tab: "status" })}>Credentials</a>
                <a href={href({ screen: "trunk", id: trunk.id, tab: "directory" })}>Directory</a>
              </p>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
