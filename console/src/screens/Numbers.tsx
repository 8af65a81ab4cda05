// Phone Numbers: the public numbers bound to trunks, Connect Your Carrier (a SIP trunk),
// Connect PBX Extension (bind a number), Diagnostics and unbinding.

import { useCallback, useState } from "react";
import { p } from "../api/client";
import type { Agent, PhoneNumber, Settings, Trunk } from "../api/types";
import { ConfirmDelete } from "../components/ConfirmDelete";
import { Dialog } from "../components/Dialog";
import { Alert, Button, Empty, Loading } from "../components/ui";
import { useConsole } from "../context";
import { useResource, useScreen } from "../hooks";
import { messageOf } from "../lib/fields";
import { trunkName } from "../lib/format";
import { href } from "../lib/route";
import { ConnectExtension } from "./ConnectExtension";
import { Diagnostics } from "./Diagnostics";

type Data = { numbers: PhoneNumber[]; trunks: Trunk[]; agents: Agent[]; settings: Settings | null };

/** The list reads an index that may lag a bind or unbind by a moment: keep what we just did. */
export function mergeNumbers(listed: PhoneNumber[], added: PhoneNumber[], removed: Set<string>): PhoneNumber[] {
  const byId = new Map(listed.map((n) => [n.id, n]));
  for (const n of added) if (!byId.has(n.id)) byId.set(n.id, n);
  return [...byId.values()]
    .filter((n) => !removed.has(n.id))
    .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
}

export function Numbers() {
  const { api } = useConsole();
  const heading = useScreen("Phone Numbers");
  const load = useCallback(async (): Promise<Data> => {
    const [numbers, trunks, agents, settings] = await Promise.all([
      api.get<{ phone_numbers: PhoneNumber[] }>("/v1/phone-numbers"),
      api.get<{ trunks: Trunk[] }>("/v1/trunks?mode=register"),
      api.get<{ agents: Agent[] }>("/v1/agents"),
      api.get<Settings>("/v1/settings").catch(() => null),
    ]);
    return { numbers: numbers.phone_numbers, trunks: trunks.trunks, agents: agents.agents, settings };
  }, [api]);
  const data = useResource(load, "numbers");
  const [added, setAdded] = useState<PhoneNumber[]>([]);
  const [removed, setRemoved] = useState<Set<string>>(new Set());
  const [connecting, setConnecting] = useState(false);
  const [diagnosing, setDiagnosing] = useState<PhoneNumber | null>(null);
  const [deleting, setDeleting] = useState<PhoneNumber | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const d = data.data;
  const numbers = d ? mergeNumbers(d.numbers, added, removed) : [];
  const trunk = (id: string) => d?.trunks.find((t) => t.id === id);
  const canConnect = d ? d.trunks.length > 0 && d.agents.length > 0 : false;
  const why = !d
    ? null
    : d.trunks.length === 0
      ? "Connect your carrier first: Connect PBX Extension needs a trunk where SmartAlex is a phone on your PBX."
      : d.agents.length === 0
        ? "Create an agent first (Agents → New agent): every number needs one to answer it."
        : null;

  return (
    <section aria-labelledby="numbers-title">
      <div className="screen-header">
        <h1 id="numbers-title" tabIndex={-1} ref={heading}>
          Phone Numbers
        </h1>
        <div className="screen-actions">
          <a className="button button--secondary" href={href({ screen: "connect-carrier" })}>
            Connect Your Carrier
          </a>
          <Button
            variant="primary"
            onClick={() => setConnecting(true)}
            disabled={!canConnect}
            aria-describedby={why ? "connect-why" : undefined}
          >
            Connect PBX Extension
          </Button>
        </div>
      </div>
      <p className="lead">
        A phone number sends calls to the agent you choose: your PBX routes the public number (DID) to SmartAlex's
        extension, and SmartAlex tells the numbers apart.
      </p>
      {why ? (
        <p className="hint" id="connect-why">
          {why}
        </p>
      ) : null}
      {notice ? <Alert kind="success">{notice}</Alert> : null}
      {data.error ? <Alert>{messageOf(data.error)}</Alert> : null}
      {data.loading && !d ? <Loading>Loading your phone numbers…</Loading> : null}
      {d && numbers.length === 0 ? (
        <Empty title="No phone numbers yet.">
          <p>Connect PBX Extension binds a public number your PBX sends to SmartAlex's extension to an agent.</p>
        </Empty>
      ) : null}
      {numbers.length > 0 ? (
        <table className="table" aria-label="Phone numbers">
          <thead>
            <tr>
              <th scope="col">Number</th>
              <th scope="col">Reaches</th>
              <th scope="col">Answered by</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {numbers.map((n) => {
              const t = trunk(n.trunk_id);
              return (
                <tr key={n.id} data-testid="number-row">
                  <td data-label="Number">
                    <span className="number">{n.display}</span>
                    {n.label ? <span className="number-label">{n.label}</span> : null}
                  </td>
                  <td data-label="Reaches">
                    Extension {n.extension}
                    {t ? ` on ${t.domain}` : ""}
                  </td>
                  <td data-label="Answered by">
                    {n.agent_name ?? <span className="warning">No agent: calls are rejected</span>}
                  </td>
                  <td className="row-actions">
                    <Button onClick={() => setDiagnosing(n)} aria-label={`Diagnostics for ${n.display}`}>
                      Diagnostics
                    </Button>
                    <Button
                      variant="link"
                      className="danger-link"
                      onClick={() => setDeleting(n)}
                      aria-label={`Delete ${n.display}`}
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
      {numbers.length > 0 ? (
        <details className="routing">
          <summary>How each number routes</summary>
          <ul>
            {numbers.map((n) => (
              <li key={n.id}>{n.routing}</li>
            ))}
          </ul>
        </details>
      ) : null}

      <Dialog
        open={connecting}
        title="Connect PBX Extension"
        onClose={() => setConnecting(false)}
        description="Bind a public number your PBX sends to SmartAlex's extension to the agent that answers it."
      >
        {d ? (
          <ConnectExtension
            trunks={d.trunks}
            agents={d.agents}
            settings={d.settings}
            onCancel={() => setConnecting(false)}
            onBound={(number) => {
              setAdded((list) => [...list, number]);
              setRemoved((set) => new Set([...set].filter((id) => id !== number.id)));
              setConnecting(false);
              setNotice(`Connected ${number.display}. ${number.routing}.`);
            }}
          />
        ) : null}
      </Dialog>

      <Dialog
        open={diagnosing !== null}
        title={diagnosing ? `Diagnostics: ${diagnosing.display}${diagnosing.label ? ` (${diagnosing.label})` : ""}` : "Diagnostics"}
        onClose={() => setDiagnosing(null)}
        wide
      >
        {diagnosing ? (
          <>
            {trunk(diagnosing.trunk_id) ? (
              <p className="card-meta">
                Trunk:{" "}
                <a href={href({ screen: "trunk", id: diagnosing.trunk_id, tab: "status" })}>
                  {trunkName(trunk(diagnosing.trunk_id)!)}
                </a>
              </p>
            ) : null}
            <Diagnostics of={{ number: diagnosing.id }} />
          </>
        ) : null}
      </Dialog>

      <ConfirmDelete
        open={deleting !== null}
        what="phone number"
        name={deleting?.display ?? ""}
        consequence="The number is unbound: its calls reach the trunk's own agent again, and you can bind it again later."
        onCancel={() => setDeleting(null)}
        onStale={() => void data.reload()}
        onDelete={async () => {
          if (!deleting) return;
          await api.del(p`/v1/phone-numbers/${deleting.id}`);
          const gone = deleting;
          setRemoved((set) => new Set([...set, gone.id]));
          setAdded((list) => list.filter((n) => n.id !== gone.id));
          setNotice(`Deleted ${gone.display}: its calls reach the trunk's own agent again.`);
          setDeleting(null);
        }}
      />
    </section>
  );
}
