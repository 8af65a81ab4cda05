// Phone Numbers → Connect Your Carrier → SIP Trunk: SmartAlex as a phone on the PBX.

import type { Trunk } from "../api/types";
import { useConsole } from "../context";
import { useScreen } from "../hooks";
import { href } from "../lib/route";
import { usePbxTypes } from "./pbxTypes";
import { TrunkForm } from "./TrunkForm";

export function ConnectCarrier() {
  const { api, navigate } = useConsole();
  const heading = useScreen("Connect Your Carrier");
  const presets = usePbxTypes();

  async function create(body: Record<string, unknown>) {
    const trunk = await api.post<Trunk>("/v1/trunks", body);
    navigate({ screen: "trunk", id: trunk.id, tab: "status" });
  }

  return (
    <section aria-labelledby="carrier-title">
      <p className="breadcrumb">
        <a href={href({ screen: "numbers" })}>Phone Numbers</a> <span aria-hidden="true">›</span>
      </p>
      <h1 id="carrier-title" tabIndex={-1} ref={heading}>
        Connect Your Carrier
      </h1>
      <div className="carrier-choice" role="group" aria-label="Carrier">
        <span className="carrier-option carrier-option--selected">SIP Trunk</span>
      </div>
      <p className="lead">
        Create an extension for SmartAlex on your PBX first (any extension number, with its own password), then
        enter its details here. SmartAlex registers as that extension, like a desk phone.
      </p>
      <TrunkForm presets={presets} submitLabel="Connect" busyLabel="Connecting…" onSubmit={create} />
    </section>
  );
}
