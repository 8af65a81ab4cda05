// Agents: who answers a trunk's calls. List, create, delete.

import { useCallback, useState, type FormEvent } from "react";
import { p } from "../api/client";
import type { Agent, NewAgent, Trunk } from "../api/types";
import { ConfirmDelete } from "../components/ConfirmDelete";
import { Dialog } from "../components/Dialog";
import { Alert, Button, Empty, Loading } from "../components/ui";
import { useConsole } from "../context";
import { useResource, useScreen } from "../hooks";
import { formErrors, messageOf, NO_ERRORS, type FormErrors } from "../lib/fields";
import { trunkName } from "../lib/format";
import { href } from "../lib/route";
import { AGENT_FIELDS, AgentFields, type AgentValues } from "./AgentFields";

const EMPTY: AgentValues = { name: "", kind: "receptionist", stream_url: "", greeting: "" };

export function agentBody(v: AgentValues): Record<string, unknown> {
  const body: Record<string, unknown> = { name: v.name, kind: v.kind };
  if (v.kind === "media_stream") body.stream_url = v.stream_url.trim();
  else if (v.greeting.trim()) body.greeting = v.greeting;
  return body;
}

export function kindLabel(kind: string): string {
  return kind === "receptionist" ? "Receptionist (built in)" : "Your own agent (media stream)";
}

export function Agents() {
  const { api } = useConsole();
  const heading = useScreen("Agents");
  const load = useCallback(async () => {
    const [agents, trunks] = await Promise.all([
      api.get<{ agents: Agent[] }>("/v1/agents"),
      api.get<{ trunks: Trunk[] }>("/v1/trunks"),
    ]);
    return { agents: agents.agents, trunks: trunks.trunks };
  }, [api]);
  const data = useResource(load, "agents");
  const [creating, setCreating] = useState(false);
  const [values, setValues] = useState<AgentValues>(EMPTY);
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<NewAgent | null>(null);
  const [deleting, setDeleting] = useState<Agent | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  async function create(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setErrors(NO_ERRORS);
    try {
      const agent = await api.post<NewAgent>("/v1/agents", agentBody(values));
      setCreating(false);
      setValues(EMPTY);
      setNotice(null);
      setCreated(agent);
      await data.reload();
    } catch (error) {
      setErrors(formErrors(error, AGENT_FIELDS));
    } finally {
      setBusy(false);
    }
  }

  const trunkOf = (agent: Agent) => data.data?.trunks.find((t) => t.id === agent.trunk_id);

  return (
    <section aria-labelledby="agents-title">
      <div className="screen-header">
        <h1 id="agents-title" tabIndex={-1} ref={heading}>
          Agents
        </h1>
        <Button variant="primary" onClick={() => setCreating(true)}>
          New agent
        </Button>
      </div>
      <p className="lead">An agent answers a trunk's calls. Link it to a trunk on its Telephony tab.</p>
      {created ? (
        <Alert kind="success" title={`Created ${created.name}.`}>
          {created.kind === "media_stream" ? (
            <>
              <p>
                Its signing secret, shown only this once: store it in your agent's configuration now. Your agent checks
                each connection's signature with it.
              </p>
              <p>
                <code className="secret" data-testid="signing-secret">
                  {created.signing_secret}
                </code>
              </p>
            </>
          ) : null}
          <p>
            Next: <a href={href({ screen: "agent", id: created.id, tab: "telephony" })}>link it to a trunk</a>.
          </p>
        </Alert>
      ) : null}
      {notice ? <Alert kind="success">{notice}</Alert> : null}
      {data.error ? <Alert>{messageOf(data.error)}</Alert> : null}
      {data.loading && !data.data ? <Loading>Loading your agents…</Loading> : null}
      {data.data && data.data.agents.length === 0 ? (
        <Empty title="No agents yet.">
          <p>New agent creates one: the built-in receptionist, or your own agent over a WebSocket.</p>
        </Empty>
      ) : null}
      {data.data && data.data.agents.length > 0 ? (
        <table className="table" aria-label="Agents">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col">Answers</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {data.data.agents.map((agent) => {
              const trunk = trunkOf(agent);
              return (
                <tr key={agent.id} data-testid="agent-row">
                  <td data-label="Name">
                    <a href={href({ screen: "agent", id: agent.id, tab: "general" })}>{agent.name}</a>
                  </td>
                  <td data-label="Kind">{kindLabel(agent.kind)}</td>
                  <td data-label="Answers">
                    {trunk ? trunkName(trunk) : agent.trunk_id ? agent.trunk_id : "Not linked to a trunk"}
                  </td>
                  <td className="row-actions">
                    <a href={href({ screen: "agent", id: agent.id, tab: "telephony" })}>Telephony</a>
                    <Button
                      variant="link"
                      className="danger-link"
                      onClick={() => setDeleting(agent)}
                      aria-label={`Delete ${agent.name}`}
                    >
                      Delete
                    </Button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}

      <Dialog open={creating} title="New agent" onClose={() => setCreating(false)}>
        <form className="form" onSubmit={create} noValidate aria-label="New agent">
          {errors.form ? <Alert>{errors.form}</Alert> : null}
          <AgentFields values={values} onChange={setValues} errors={errors.fields} />
          <div className="actions">
            <Button onClick={() => setCreating(false)}>Cancel</Button>
            <Button type="submit" variant="primary" busy={busy} busyLabel="Creating…">
              Create agent
            </Button>
          </div>
        </form>
      </Dialog>

      <ConfirmDelete
        open={deleting !== null}
        what="agent"
        name={deleting?.name ?? ""}
        consequence="Its trunk has no agent until you link another; calls to it are then rejected so the PBX can send them elsewhere."
        onCancel={() => setDeleting(null)}
        onStale={() => void data.reload()}
        onDelete={async () => {
          if (!deleting) return;
          await api.del(p`/v1/agents/${deleting.id}`);
          setNotice(`Deleted ${deleting.name}.`);
          setCreated(null);
          setDeleting(null);
          await data.reload();
        }}
      />
    </section>
  );
}
