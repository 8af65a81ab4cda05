import { useState } from "react";
import { p } from "../api/client";
import type { Trunk } from "../api/types";
import { Alert, Button, RegistrationBadge, registrationAdvice } from "../components/ui";
import { useConsole } from "../context";
import { messageOf } from "../lib/fields";
import { when } from "../lib/format";
import type { Following } from "./polling";

/** The trunk's registration: status, the error and what to do, and the Re-register button. */
export function TrunkStatus(props: {
  trunk: Trunk;
  following: Following;
  onChange: (trunk: Trunk) => void;
  onCheckAgain: () => void;
}) {
  const { api } = useConsole();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const { trunk } = props;
  const r = trunk.registration;
  const advice = registrationAdvice(r);

  async function reregister() {
    setBusy(true);
    setError(null);
    try {
      props.onChange(await api.post<Trunk>(p`/v1/trunks/${trunk.id}/reregister`));
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className={`status status--${r.state}`} data-testid={`trunk-status-${trunk.id}`}>
      <div className="status-line" aria-live="polite">
        <RegistrationBadge registration={r} />
        {r.state === "connecting" && props.following === "following" ? (
          <span className="status-note">Checking for the PBX's answer…</span>
        ) : null}
        {r.state === "registered" && r.since ? <span className="status-note">since {when(r.since)}</span> : null}
      </div>
      {r.error ? (
        <div className="status-error" data-testid="registration-error">
          <p>
            {r.error}
            {r.sip_code ? <span className="sip-code"> (SIP {r.sip_code})</span> : null}
          </p>
          {advice ? <p className="status-advice">{advice}</p> : null}
        </div>
      ) : null}
      {r.warning ? (
        <div className="status-error" data-testid="registration-warning">
          <p>{r.warning}</p>
        </div>
      ) : null}
      {r.state === "connecting" && props.following === "gave-up" ? (
        <p className="status-advice">
          Still connecting after 10 minutes. Check the SIP domain, transport and port, then press Re-register.{" "}
          <Button variant="link" onClick={props.onCheckAgain}>
            Check again
          </Button>
        </p>
      ) : null}
      {error ? <Alert>{error}</Alert> : null}
      <div className="status-actions">
        <Button onClick={reregister} busy={busy} busyLabel="Re-registering…">
          Re-register
        </Button>
        {r.last_attempt_at ? <span className="status-note">Last attempt {when(r.last_attempt_at)}</span> : null}
      </div>
    </div>
  );
}
