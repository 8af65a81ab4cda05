// One agent: General (name, greeting or stream URL) and Telephony (which trunk it answers).

import { useCallback, useEffect, useState, type FormEvent } from "react";
import { ApiError, p } from "../api/client";
import type { Agent, Trunk } from "../api/types";
import { Tabs } from "../components/Tabs";
import { Alert, Button, Field, Loading } from "../components/ui";
import { useConsole } from "../context";
import { useResource, useScreen } from "../hooks";
import { formErrors, messageOf, NO_ERRORS, type FormErrors } from "../lib/fields";
import { trunkName } from "../lib/format";
import { href } from "../lib/route";
import { AGENT_FIELDS, AgentFields, type AgentValues } from "./AgentFields";
import { kindLabel } from "./Agents";

function valuesOf(agent: Agent): AgentValues {
  return {
    name: agent.name,
    kind: agent.kind,
    stream_url: agent.stream_url ?? "",
    greeting: agent.greeting ?? "",
  };
}

export function agentPatch(agent: Agent, v: AgentValues): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (v.name !== agent.name) body.name = v.name;
  if (v.kind !== agent.kind) body.kind = v.kind;
  if (v.kind === "media_stream") {
    if (v.kind !== agent.kind || v.stream_url.trim() !== (agent.stream_url ?? "")) body.stream_url = v.stream_url.trim();
  } else if (v.greeting !== (agent.greeting ?? "")) {
    body.greeting = v.greeting.trim() === "" ? null : v.greeting;
  }
  return body;
}

function General(props: { agent: Agent; onSaved: (agent: Agent) => void }) {
  const { api } = useConsole();
  const [values, setValues] = useState(() => valuesOf(props.agent));
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setSaved(false);
    const body = agentPatch(props.agent, values);
    if (Object.keys(body).length === 0) {
      setErrors({ fields: {}, form: "Nothing to save: no field was changed." });
      return;
    }
    setBusy(true);
    setErrors(NO_ERRORS);
    try {
      const updated = await api.patch<Agent>(p`/v1/agents/${props.agent.id}`, body);
      props.onSaved(updated);
      setValues(valuesOf(updated));
      setSaved(true);
    } catch (error) {
      setErrors(formErrors(error, AGENT_FIELDS));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="form" onSubmit={submit} noValidate aria-label="General">
      {saved ? <Alert kind="success">Saved. It applies from the next call.</Alert> : null}
      {errors.form ? <Alert>{errors.form}</Alert> : null}
      <AgentFields values={values} onChange={setValues} errors={errors.fields} />
      <div className="actions">
        <Button type="submit" variant="primary" busy={busy} busyLabel="Saving…">
          Save changes
        </Button>
      </div>
    </form>
  );
}

function SigningSecret(props: { agent: Agent }) {
  const { api } = useConsole();
  const [confirming, setConfirming] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function rotate() {
    setBusy(true);
    setError(null);
    try {
      const answer = await api.post<{ signing_secret: string }>(p`/v1/agents/${props.agent.id}/signing-secret`, {});
      setSecret(answer.signing_secret);
      setConfirming(false);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="secret-title">
      <h2 id="secret-title">Signing secret</h2>
      <p className="hint">
        SmartAlex signs every connection to your agent with this secret; your agent checks the signature. It was shown
        once, when the agent was created. Replacing it takes effect from the next call.
      </p>
      {secret ? (
        <Alert kind="success" title="The new signing secret, shown only this once:">
          <p>
            <code className="secret" data-testid="signing-secret">
              {secret}
            </code>
          </p>
          <p>Add it to what your agent accepts now; drop the old one once calls arrive signed with this one.</p>
        </Alert>
      ) : null}
      {error ? <Alert>{error}</Alert> : null}
      {confirming ? (
        <Alert kind="warning" title="Replace the signing secret?">
          <p>
            Calls from the next one on are signed with the new secret. To refuse no call, let your agent accept both
            secrets for a while: add the new one as soon as it is shown, drop the old one once calls arrive signed
            with the new one.
          </p>
          <div className="actions actions--start">
            <Button onClick={() => setConfirming(false)}>Cancel</Button>
            <Button variant="danger" onClick={rotate} busy={busy} busyLabel="Replacing…">
              Replace the secret
            </Button>
          </div>
        </Alert>
      ) : (
        <Button onClick={() => setConfirming(true)}>Replace signing secret…</Button>
      )}
    </section>
  );
}

function Telephony(props: { agent: Agent; onSaved: (agent: Agent) => void }) {
  const { api } = useConsole();
  const load = useCallback(
    async () => (await api.get<{ trunks: Trunk[] }>("/v1/trunks?mode=register")).trunks,
    [api],
  );
  const trunks = useResource(load, "register-trunks");
  const [trunkId, setTrunkId] = useState(props.agent.trunk_id ?? "");
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  const [otherAgents, setOtherAgents] = useState<Agent[]>([]);

  useEffect(() => {
    api
      .get<{ agents: Agent[] }>("/v1/agents")
      .then((r) => setOtherAgents(r.agents.filter((a) => a.id !== props.agent.id)))
      .catch(() => setOtherAgents([]));
  }, [api, props.agent.id]);

  const chosen = trunks.data?.find((t) => t.id === trunkId);
  const replaces = chosen && chosen.agent_id && chosen.agent_id !== props.agent.id
    ? otherAgents.find((a) => a.id === chosen.agent_id)?.name ?? "another agent"
    : null;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setErrors(NO_ERRORS);
    setSaved(null);
    try {
      if (trunkId === "") {
        if (props.agent.trunk_id) await api.del(p`/v1/agents/${props.agent.id}/telephony`);
        props.onSaved({ ...props.agent, trunk_id: null });
        setSaved("Saved: this agent answers no trunk now. Takes effect on the next call.");
      } else {
        const updated = await api.put<Agent>(p`/v1/agents/${props.agent.id}/telephony`, { trunk_id: trunkId });
        props.onSaved(updated);
        const trunk = trunks.data?.find((t) => t.id === trunkId);
        setSaved(`Saved: ${props.agent.name} answers ${trunk ? trunkName(trunk) : "the trunk"}. Takes effect on the next call.`);
        void trunks.reload();
      }
    } catch (error) {
      setErrors(formErrors(error, ["trunk_id"]));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="form form--narrow" onSubmit={submit} noValidate aria-label="Telephony">
      <h2>Telephony</h2>
      {saved ? <Alert kind="success">{saved}</Alert> : null}
      {errors.form ? <Alert>{errors.form}</Alert> : null}
      {trunks.error ? <Alert>{messageOf(trunks.error)}</Alert> : null}
      {trunks.loading && !trunks.data ? <Loading>Loading your trunks…</Loading> : null}
      {trunks.data ? (
        trunks.data.length === 0 ? (
          <Alert kind="info">
            No trunk to link yet. <a href={href({ screen: "connect-carrier" })}>Connect Your Carrier</a> first.
          </Alert>
        ) : (
          <Field
            label="Trunk"
            error={errors.fields.trunk_id}
            hint="One agent per trunk: the agent answers every call to the trunk's extension. Takes effect on the next call; calls in progress keep their agent."
          >
            {(c) => (
              <select {...c} name="trunk_id" value={trunkId} onChange={(e) => setTrunkId(e.target.value)}>
                <option value="">No trunk</option>
                {trunks.data!.map((t) => (
                  <option key={t.id} value={t.id}>
                    {trunkName(t)}
                  </option>
                ))}
              </select>
            )}
          </Field>
        )
      ) : null}
      {replaces ? (
        <p className="hint warning" role="status">
          {replaces} answers this trunk now; saving moves the trunk to {props.agent.name}.
        </p>
      ) : null}
      <div className="actions">
        <Button type="submit" variant="primary" busy={busy} busyLabel="Saving…" disabled={!trunks.data?.length}>
          Save
        </Button>
      </div>
    </form>
  );
}

export function AgentDetail(props: { id: string; tab: "general" | "telephony" }) {
  const { api, navigate } = useConsole();
  const load = useCallback(() => api.get<Agent>(p`/v1/agents/${props.id}`), [api, props.id]);
  const agent = useResource(load, props.id);
  const heading = useScreen(agent.data?.name ?? "Agent");

  if (agent.error instanceof ApiError && agent.error.status === 404) {
    return (
      <section>
        <h1 tabIndex={-1} ref={heading}>
          Agent not found
        </h1>
        <Alert>
          There is no agent with this id in your account; it may have been deleted.{" "}
          <a href={href({ screen: "agents" })}>Back to Agents</a>
        </Alert>
      </section>
    );
  }
  const a = agent.data;
  return (
    <section aria-labelledby="agent-title">
      <p className="breadcrumb">
        <a href={href({ screen: "agents" })}>Agents</a> <span aria-hidden="true">›</span>
      </p>
      <h1 id="agent-title" tabIndex={-1} ref={heading}>
        {a?.name ?? "Agent"}
      </h1>
      {a ? <p className="card-meta">{kindLabel(a.kind)}</p> : null}
      {agent.error ? <Alert>{messageOf(agent.error)}</Alert> : null}
      {!a && agent.loading ? <Loading>Loading the agent…</Loading> : null}
      {a ? (
        <Tabs
          label="Agent"
          idPrefix="agent"
          tabs={[
            { key: "general", label: "General" },
            { key: "telephony", label: "Telephony" },
          ]}
          selected={props.tab}
          onSelect={(tab) => navigate({ screen: "agent", id: props.id, tab }, { replace: true })}
        >
          {props.tab === "general" ? (
            <>
              <General agent={a} onSaved={(updated) => agent.set(() => updated)} />
              {a.kind === "media_stream" ? <SigningSecret agent={a} /> : null}
            </>
          ) : (
            <Telephony agent={a} onSaved={(updated) => agent.set(() => updated)} />
          )}
        </Tabs>
      ) : null}
    </section>
  );
}
