// The SIP trunk's fields, for connecting a carrier (create) and editing credentials (PATCH).
// The password is write-only: never shown, never prefilled; blank on edit means unchanged.

import { useId, useState, type FormEvent } from "react";
import type { PbxPreset, Trunk } from "../api/types";
import { Alert, Button, Field } from "../components/ui";
import { formErrors, NO_ERRORS, type FormErrors } from "../lib/fields";
import { defaultPort, PBX_TYPES, TRANSPORTS } from "../lib/format";

export const TRUNK_FIELDS = [
  "pbx_type",
  "label",
  "domain",
  "extension",
  "username",
  "password",
  "transport",
  "port",
  "tls_verify",
  "pbx_source_addresses",
  "outbound_proxy",
  "answer_delay_seconds",
] as const;

type Values = {
  pbx_type: string;
  label: string;
  domain: string;
  extension: string;
  username: string;
  password: string;
  transport: string;
  port: string;
  tls_verify: boolean;
  pbx_source_addresses: string;
  outbound_proxy: string;
  answer_delay_seconds: string;
};

export function initial(trunk?: Trunk): Values {
  return {
    pbx_type: trunk?.pbx_type ?? "",
    label: trunk?.label ?? "",
    domain: trunk?.domain ?? "",
    extension: trunk?.extension ?? "",
    username: trunk?.username ?? "",
    password: "", // never prefilled
    transport: trunk?.transport ?? "", // "": the PBX type's default (GET /v1/pbx-types)
    // Blank for a trunk created without a port: the edge finds it by DNS (SRV), and the form
    // must not show a port as if one had been typed.
    port: trunk && trunk.port_explicit !== false ? String(trunk.port) : "",
    tls_verify: trunk?.tls_verify ?? true,
    pbx_source_addresses: (trunk?.pbx_source_addresses ?? []).join("\n"),
    outbound_proxy: trunk?.outbound_proxy ?? "",
    answer_delay_seconds: trunk ? String(trunk.answer_delay_seconds ?? 0) : "",
  };
}

/** A typed port as the API takes it: a JSON number, or the text itself so the API names it. */
function portValue(text: string): number | string | undefined {
  const t = text.trim();
  if (t === "") return undefined;
  return /^\d+$/.test(t) ? Number(t) : t;
}

function addresses(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((a) => a.trim())
    .filter(Boolean);
}

export function createBody(v: Values): Record<string, unknown> {
  const body: Record<string, unknown> = {
    pbx_type: v.pbx_type || undefined,
    domain: v.domain.trim(),
    extension: v.extension.trim(),
    password: v.password,
  };
  if (v.transport) body.transport = v.transport;
  if (v.username.trim()) body.username = v.username.trim();
  if (v.label.trim()) body.label = v.label.trim();
  const port = portValue(v.port);
  if (port !== undefined) body.port = port;
  if (v.transport === "tls") body.tls_verify = v.tls_verify;
  const extra = addresses(v.pbx_source_addresses);
  if (extra.length) body.pbx_source_addresses = extra;
  if (v.outbound_proxy.trim()) body.outbound_proxy = v.outbound_proxy.trim();
  const delay = portValue(v.answer_delay_seconds); // a whole number, or the text for the API to name
  if (delay !== undefined) body.answer_delay_seconds = delay;
  return body;
}

export function patchBody(trunk: Trunk, v: Values): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (v.pbx_type !== trunk.pbx_type) body.pbx_type = v.pbx_type;
  const label = v.label.trim();
  if (label !== (trunk.label ?? "")) body.label = label === "" ? null : label;
  if (v.domain.trim() !== trunk.domain) body.domain = v.domain.trim();
  if (v.extension.trim() !== trunk.extension) body.extension = v.extension.trim();
  const username = v.username.trim() || v.extension.trim(); // blank: the extension, as on create
  if (username !== trunk.username) body.username = username;
  if (v.password !== "") body.password = v.password;
  if (v.transport !== trunk.transport) body.transport = v.transport;
  const port = portValue(v.port);
  // Unchanged while the transport changes: the API moves the port to the new default. A port
  // typed for a trunk that had none is sent even if it is the default: it is used as given.
  if (port !== undefined && (port !== trunk.port || trunk.port_explicit === false)) body.port = port;
  if (v.transport === "tls" && v.tls_verify !== trunk.tls_verify) body.tls_verify = v.tls_verify;
  const extra = addresses(v.pbx_source_addresses);
  if (extra.join(" ") !== trunk.pbx_source_addresses.join(" ")) body.pbx_source_addresses = extra;
  const proxy = v.outbound_proxy.trim();
  if (proxy !== (trunk.outbound_proxy ?? "")) body.outbound_proxy = proxy === "" ? null : proxy;
  const delay = portValue(v.answer_delay_seconds);
  if (delay !== undefined && delay !== (trunk.answer_delay_seconds ?? 0)) body.answer_delay_seconds = delay;
  return body;
}

/** The port a trunk gets when none is typed: its type's with the type's transport, else the
 * transport's well-known one. */
export function portDefault(transport: string, preset: PbxPreset | undefined): number {
  const effective = transport || preset?.default_transport || "udp";
  return preset && effective === preset.default_transport ? preset.default_port : defaultPort(effective);
}

export function TrunkForm(props: {
  trunk?: Trunk;
  presets?: PbxPreset[] | null;
  submitLabel: string;
  busyLabel: string;
  onSubmit: (body: Record<string, unknown>) => Promise<void>;
}) {
  const editing = props.trunk !== undefined;
  const [values, setValues] = useState<Values>(() => initial(props.trunk));
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  const connectionName = useId();

  const set = <K extends keyof Values>(key: K, value: Values[K]) => {
    setValues((v) => ({ ...v, [key]: value }));
  };
  const text = (key: keyof Values) => ({
    value: values[key] as string,
    onChange: (e: { target: { value: string } }) => set(key, e.target.value as never),
  });

  async function submit(event: FormEvent) {
    event.preventDefault();
    const body = editing ? patchBody(props.trunk as Trunk, values) : createBody(values);
    if (editing && Object.keys(body).length === 0) {
      setErrors({ fields: {}, form: "Nothing to save: no field was changed. A blank password keeps the current one." });
      return;
    }
    setBusy(true);
    setErrors(NO_ERRORS);
    try {
      await props.onSubmit(body);
      setValues((v) => ({ ...v, password: "" }));
    } catch (error) {
      setErrors(formErrors(error, TRUNK_FIELDS));
    } finally {
      setBusy(false);
    }
  }

  const err = errors.fields;
  const types = props.presets?.length
    ? props.presets.map((p) => ({ value: p.type, label: p.name }))
    : PBX_TYPES;
  const preset = props.presets?.find((p) => p.type === values.pbx_type);
  const port = portDefault(values.transport, preset);
  const defaultTransport = (preset?.default_transport ?? "udp").toUpperCase();
  return (
    <form className="form" onSubmit={submit} noValidate aria-label={editing ? "Credentials" : "SIP trunk"}>
      {errors.form ? <Alert>{errors.form}</Alert> : null}

      <Field label="PBX type" error={err.pbx_type} hint="Which phone system the extension is on.">
        {(c) => (
          <select {...c} name="pbx_type" {...text("pbx_type")}>
            {editing ? null : <option value="">Choose your PBX…</option>}
            {types.map((t) => (
              <option key={t.value} value={t.value}>
                {t.label}
              </option>
            ))}
          </select>
        )}
      </Field>

      {preset ? (
        <div className="pbx-guide" data-testid="pbx-guide">
          <p>
            <strong>Where {preset.name} shows the credentials:</strong> {preset.credentials}.
          </p>
          <p>
            <strong>For transfers:</strong> {preset.transfers}.
          </p>
        </div>
      ) : null}

      {editing ? null : (
        <fieldset className="choices">
          <legend>Connection Type</legend>
          <label className="choice">
            <input type="radio" name={connectionName} value="register" checked readOnly />
            <span>
              <strong>Add SmartAlex as a phone on your PBX</strong>
              <span className="choice-hint">
                SmartAlex registers as an extension, like a desk phone: anyone can dial it, put it in ring groups
                and queues, and it transfers callers through the PBX.
              </span>
            </span>
          </label>
          <label className="choice choice--disabled">
            <input type="radio" name={connectionName} value="trunk" disabled />
            <span>
              <strong>Point a carrier SIP trunk at SmartAlex</strong>
              <span className="choice-hint">Not available yet.</span>
            </span>
          </label>
        </fieldset>
      )}

      <Field label="Name" optional error={err.label} hint="How this trunk is listed, e.g. Reception or Dublin office.">
        {(c) => <input {...c} name="label" autoComplete="off" {...text("label")} />}
      </Field>

      <Field
        label="SIP domain"
        error={err.domain}
        hint="Your PBX's host name or IP address, e.g. pbx.example.com: no sip:, no port."
      >
        {(c) => <input {...c} name="domain" autoComplete="off" spellCheck={false} inputMode="url" {...text("domain")} />}
      </Field>

      <div className="field-row">
        <Field label="Extension" error={err.extension} hint="The extension you created for SmartAlex on the PBX.">
          {(c) => <input {...c} name="extension" autoComplete="off" spellCheck={false} {...text("extension")} />}
        </Field>
        <Field
          label="Username (auth ID)"
          optional={!editing}
          error={err.username}
          hint={
            preset?.auth_id_differs
              ? `${preset.name} uses a separate authentication ID: enter it here.`
              : "Leave blank if it is the extension number."
          }
        >
          {(c) => <input {...c} name="username" autoComplete="off" spellCheck={false} {...text("username")} />}
        </Field>
      </div>

      <Field
        label="Password"
        error={err.password}
        hint={
          editing
            ? "Never shown. Leave it blank to keep the current password; type a new one to replace it."
            : "The extension's SIP password. It is stored encrypted and never shown again."
        }
      >
        {(c) => (
          <input
            {...c}
            name="password"
            type="password"
            autoComplete="new-password"
            spellCheck={false}
            placeholder={editing ? "Unchanged" : undefined}
            {...text("password")}
          />
        )}
      </Field>

      <fieldset className="group">
        <legend>Transport and port</legend>
        <p className="hint">The defaults work for most PBXes.</p>
        <div className="field-row">
          <Field label="Transport" error={err.transport}>
            {(c) => (
              <select {...c} name="transport" {...text("transport")}>
                {editing ? null : <option value="">Default for this PBX ({defaultTransport})</option>}
                {TRANSPORTS.map((t) => (
                  <option key={t.value} value={t.value}>
                    {t.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Port" optional={!editing} error={err.port} hint={`Default ${port}.`}>
            {(c) => (
              <input
                {...c}
                name="port"
                inputMode="numeric"
                autoComplete="off"
                placeholder={String(port)}
                {...text("port")}
              />
            )}
          </Field>
        </div>
        {values.transport === "tls" ? (
          <div className={`field checkbox${err.tls_verify ? " field--invalid" : ""}`}>
            <label>
              <input
                type="checkbox"
                name="tls_verify"
                checked={values.tls_verify}
                onChange={(e) => set("tls_verify", e.target.checked)}
              />
              Check the PBX's certificate (turn off only for a self-signed certificate)
            </label>
            {err.tls_verify ? <p className="field-error">{err.tls_verify}</p> : null}
          </div>
        ) : null}
        <Field
          label="Other addresses the PBX calls from"
          optional
          error={err.pbx_source_addresses}
          hint="Only for a PBX cluster or a separate signalling node: addresses or networks, one per line."
        >
          {(c) => <textarea {...c} name="pbx_source_addresses" rows={2} spellCheck={false} {...text("pbx_source_addresses")} />}
        </Field>
        <Field
          label="Outbound proxy"
          optional
          error={err.outbound_proxy}
          hint="Only if your PBX provider gives one: host or host:port. Every request goes through it."
        >
          {(c) => <input {...c} name="outbound_proxy" autoComplete="off" spellCheck={false} {...text("outbound_proxy")} />}
        </Field>
        <Field
          label="Ring before answering (seconds)"
          optional
          error={err.answer_delay_seconds}
          hint="0 answers at once. In a ring group or queue with people, a few seconds let them answer first."
        >
          {(c) => (
            <input {...c} name="answer_delay_seconds" inputMode="numeric" autoComplete="off" placeholder="0" {...text("answer_delay_seconds")} />
          )}
        </Field>
      </fieldset>

      <div className="actions">
        <Button type="submit" variant="primary" busy={busy} busyLabel={props.busyLabel}>
          {props.submitLabel}
        </Button>
      </div>
    </form>
  );
}
