// Phone Numbers → Connect PBX Extension: bind a public number (DID) that the PBX sends to the
// AI extension of a register-mode trunk, and the agent answering it.

import { useState, type FormEvent } from "react";
import type { Agent, PhoneNumber, Settings, Trunk } from "../api/types";
import { Alert, Button, Field } from "../components/ui";
import { useConsole } from "../context";
import { countryName, countryOptions } from "../lib/countries";
import { formErrors, NO_ERRORS, type FormErrors } from "../lib/fields";
import { trunkName } from "../lib/format";

const FIELDS = ["trunk_id", "extension", "agent_id", "did", "label", "country"] as const;
const COUNTRIES = countryOptions();

export function ConnectExtension(props: {
  trunks: Trunk[]; // register-mode trunks only (GET /v1/trunks?mode=register)
  agents: Agent[];
  settings: Settings | null;
  onBound: (number: PhoneNumber) => void;
  onCancel: () => void;
}) {
  const { api } = useConsole();
  const first = props.trunks[0];
  const [trunkId, setTrunkId] = useState(first?.id ?? "");
  const [extension, setExtension] = useState(first?.extension ?? "");
  const linked = (id: string) => props.agents.find((a) => a.trunk_id === id)?.id;
  const [agentId, setAgentId] = useState((first && linked(first.id)) ?? props.agents[0]?.id ?? "");
  const [did, setDid] = useState("");
  const [label, setLabel] = useState("");
  const [country, setCountry] = useState("");
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  const fallback = props.settings?.default_country;

  function chooseTrunk(id: string) {
    setTrunkId(id);
    const trunk = props.trunks.find((t) => t.id === id);
    if (trunk) setExtension(trunk.extension);
    const agent = linked(id);
    if (agent) setAgentId(agent);
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setErrors(NO_ERRORS);
    const body: Record<string, unknown> = { trunk_id: trunkId, extension: extension.trim(), agent_id: agentId, did };
    if (label.trim()) body.label = label.trim();
    if (country) body.country = country;
    try {
      props.onBound(await api.post<PhoneNumber>("/v1/phone-numbers/pbx-extension", body));
    } catch (error) {
      setErrors(formErrors(error, FIELDS));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="form" onSubmit={submit} noValidate aria-label="Connect PBX Extension">
      {errors.form ? <Alert>{errors.form}</Alert> : null}
      <Field label="Trunk" error={errors.fields.trunk_id} hint="Trunks where SmartAlex is a phone on your PBX.">
        {(c) => (
          <select {...c} name="trunk_id" value={trunkId} onChange={(e) => chooseTrunk(e.target.value)}>
            {props.trunks.map((t) => (
              <option key={t.id} value={t.id}>
                {trunkName(t)} · {t.registration.label}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Extension" error={errors.fields.extension} hint="The AI extension your PBX sends this number's calls to.">
        {(c) => <input {...c} name="extension" autoComplete="off" value={extension} onChange={(e) => setExtension(e.target.value)} />}
      </Field>
      <Field label="Agent" error={errors.fields.agent_id} hint="Who answers calls to this number.">
        {(c) => (
          <select {...c} name="agent_id" value={agentId} onChange={(e) => setAgentId(e.target.value)}>
            {props.agents.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field
        label="Public number (DID)"
        error={errors.fields.did}
        hint={
          fallback
            ? `E.g. +353 87 123 4567; a number without + is read as ${countryName(fallback)} unless you pick a country below.`
            : "With the country code, e.g. +353 87 123 4567, or pick the country below."
        }
      >
        {(c) => (
          <input {...c} name="did" type="tel" autoComplete="off" value={did} onChange={(e) => setDid(e.target.value)} />
        )}
      </Field>
      <Field label="Friendly label" optional error={errors.fields.label} hint="E.g. Main line or Support.">
        {(c) => <input {...c} name="label" autoComplete="off" value={label} onChange={(e) => setLabel(e.target.value)} />}
      </Field>
      <Field label="Country of the number" optional error={errors.fields.country}>
        {(c) => (
          <select {...c} name="country" value={country} onChange={(e) => setCountry(e.target.value)}>
            <option value="">{fallback ? `Default: ${countryName(fallback)} (${fallback})` : "None: the number starts with +"}</option>
            {COUNTRIES.map((o) => (
              <option key={o.code} value={o.code}>
                {o.label}
              </option>
            ))}
          </select>
        )}
      </Field>
      <p className="hint">
        On your PBX, route this number's inbound calls to extension {extension || "…"} (an inbound route), so they reach
        SmartAlex.
      </p>
      <div className="actions">
        <Button onClick={props.onCancel}>Cancel</Button>
        <Button type="submit" variant="primary" busy={busy} busyLabel="Connecting…">
          Connect number
        </Button>
      </div>
    </form>
  );
}
