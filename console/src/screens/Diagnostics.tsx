// A number's Diagnostics: its trunk's live health, the last 10 calls (24 h) with friendly
// outcomes, the last 5 phone-related errors (24 h).

import { useCallback, useEffect } from "react";
import { p } from "../api/client";
import type { Diagnostics as DiagnosticsView } from "../api/types";
import { Alert, Button, Empty, Loading, RegistrationBadge } from "../components/ui";
import { useConsole } from "../context";
import { useResource } from "../hooks";
import { messageOf } from "../lib/fields";
import { duration, when } from "../lib/format";
import { poll, type BackoffOptions } from "../lib/poll";

/** While the dialog is open it looks again by itself: after 3 s, then less often, at most
 * every 30 s, for 10 minutes. A call's record arrives a few seconds after it ends. */
export const DIAGNOSTICS_REFRESH: BackoffOptions = { initialMs: 3000, factor: 1.5, maxMs: 30000 };

const CREDENTIALS: Record<string, string> = {
  yes: "Yes: the PBX accepted them",
  no: "No: the PBX refused the username or password",
  "not yet known": "Not yet known: the PBX has not judged them yet",
};

const SOURCES: Record<string, string> = {
  registration: "Registration",
  transfer: "Transfer",
  agent: "Agent",
  routing: "Routing",
  capacity: "Capacity",
  media: "Audio",
  queue: "Processing",
  edge: "SmartAlex edge",
};

function caller(c: { number: string | null; name: string | null }): string {
  if (c.name && c.number) return `${c.name} (${c.number})`;
  return c.name ?? c.number ?? "Unknown caller";
}

/** A number's Diagnostics (`of: {number: id}`) or a trunk's (`of: {trunk: id}`: every call it
 * received, whichever number was dialled). */
export function Diagnostics(props: { of: { number: string } | { trunk: string } }) {
  const { api } = useConsole();
  const path =
    "number" in props.of
      ? p`/v1/phone-numbers/${props.of.number}/diagnostics`
      : p`/v1/trunks/${props.of.trunk}/diagnostics`;
  const load = useCallback(() => api.get<DiagnosticsView>(path), [api, path]);
  const diagnostics = useResource(load, path);
  const d = diagnostics.data;
  const { set } = diagnostics;

  useEffect(
    () =>
      poll({
        fetch: load,
        settled: () => false,
        onValue: (value) => set(() => value),
        backoff: DIAGNOSTICS_REFRESH,
      }),
    [load, set],
  );

  return (
    <div className="diagnostics" data-testid="diagnostics">
      <div className="actions actions--start">
        <Button onClick={() => void diagnostics.reload()} busy={diagnostics.loading} busyLabel="Refreshing…">
          Refresh
        </Button>
        {d ? <span className="status-note">As of {when(d.generated_at)}; updates by itself while open</span> : null}
      </div>
      {diagnostics.error ? <Alert>{messageOf(diagnostics.error)}</Alert> : null}
      {!d && diagnostics.loading ? <Loading>Loading diagnostics…</Loading> : null}
      {d ? (
        <>
          <h3>Live health</h3>
          <dl className="health">
            <div>
              <dt>Assignment</dt>
              <dd data-testid="health-assignment">
                {d.health.assignment.held
                  ? `Handled by ${d.health.assignment.edge}${d.health.assignment.since ? ` since ${when(d.health.assignment.since)}` : ""}`
                  : "No SmartAlex edge holds this trunk right now; one takes it within a minute."}
              </dd>
            </div>
            <div>
              <dt>Registration</dt>
              <dd data-testid="health-registration">
                <RegistrationBadge registration={d.health.registration} />
                {d.health.registration?.error ? <p className="status-error">{d.health.registration.error}</p> : null}
              </dd>
            </div>
            <div>
              <dt>Credentials valid</dt>
              <dd data-testid="health-credentials">{CREDENTIALS[d.health.credentials_valid] ?? d.health.credentials_valid}</dd>
            </div>
            <div>
              <dt>Last call</dt>
              <dd>{d.health.last_call_at ? when(d.health.last_call_at) : "No call in the last 30 days"}</dd>
            </div>
          </dl>

          <h3>Last {d.calls_of === "number" ? "calls to this number" : "calls"} (24 h)</h3>
          {d.calls.length === 0 ? (
            <Empty title="No calls in the last 24 hours.">
              <p>
                {d.calls_of === "number"
                  ? "Calls your PBX sends to this number show here with what happened."
                  : "Calls to this trunk's extension show here with what happened."}
              </p>
            </Empty>
          ) : (
            <table className="table" aria-label="Last calls">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Caller</th>
                  <th scope="col">Duration</th>
                  <th scope="col">Outcome</th>
                </tr>
              </thead>
              <tbody>
                {d.calls.map((call, i) => (
                  <tr key={`${call.started_at}-${i}`} data-testid="call-row">
                    <td data-label="When">{when(call.started_at)}</td>
                    <td data-label="Caller">{caller(call.caller)}</td>
                    <td data-label="Duration">{duration(call.duration_seconds)}</td>
                    <td data-label="Outcome" className={call.problem ? "outcome outcome--problem" : "outcome"}>
                      {call.label}
                      {(call.count ?? 1) > 1 ? ` ×${call.count} (since ${when(call.first_started_at ?? call.started_at)})` : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}

          <h3>Last phone-related errors (24 h)</h3>
          {d.errors.length === 0 ? (
            <Empty title="No phone-related errors in the last 24 hours." />
          ) : (
            <ul className="errors">
              {d.errors.map((error, i) => (
                <li key={`${error.at}-${i}`} data-testid="error-row">
                  <p className="error-meta">
                    {when(error.at)} · {SOURCES[error.source] ?? error.source}
                    {(error.count ?? 1) > 1 ? ` · ×${error.count} since ${when(error.first_at ?? error.at)}` : null}
                  </p>
                  <p>{error.message}</p>
                  {error.hint ? <p className="hint">{error.hint}</p> : null}
                </li>
              ))}
            </ul>
          )}
        </>
      ) : null}
    </div>
  );
}
