// One trunk: its status (kept current while Connecting), where it registers and what the PBX's
// firewall must allow, Re-register, its credentials (the password write-only), deleting it,
// and its directory.

import { useCallback, useState } from "react";
import { ApiError, p } from "../api/client";
import type { Trunk } from "../api/types";
import { ConfirmDelete } from "../components/ConfirmDelete";
import { Dialog } from "../components/Dialog";
import { Tabs } from "../components/Tabs";
import { Alert, Button, Loading } from "../components/ui";
import { useConsole } from "../context";
import { useResource, useScreen } from "../hooks";
import { messageOf } from "../lib/fields";
import { pbxTypeLabel, trunkName } from "../lib/format";
import { whereItRegisters } from "../lib/pbxSide";
import { href } from "../lib/route";
import { Diagnostics } from "./Diagnostics";
import { Directory } from "./Directory";
import { FirewallAllowance } from "./FirewallAllowance";
import { useFollowConnecting } from "./polling";
import { usePbxTypes } from "./pbxTypes";
import { TrunkForm } from "./TrunkForm";
import { TrunkStatus } from "./TrunkStatus";

export function TrunkDetail(props: { id: string; tab: "status" | "directory" }) {
  const { api, navigate } = useConsole();
  const load = useCallback(() => api.get<Trunk>(p`/v1/trunks/${props.id}`), [api, props.id]);
  const trunk = useResource(load, props.id);
  const heading = useScreen(trunk.data ? trunkName(trunk.data) : "Trunk");
  const list = trunk.data ? [trunk.data] : undefined;
  const follow = useFollowConnecting(list, async () => [await load()], ([t]) => trunk.set(() => t));
  const presets = usePbxTypes();
  const [saved, setSaved] = useState<string | null>(null);
  const [deleting, setDeleting] = useState(false);
  const [diagnosing, setDiagnosing] = useState(false);
  const [formKey, setFormKey] = useState(0); // a fresh form (from the saved trunk) after each save

  if (trunk.error instanceof ApiError && trunk.error.status === 404) {
    return (
      <section>
        <h1 tabIndex={-1} ref={heading}>
          Trunk not found
        </h1>
        <Alert>
          There is no trunk with this id in your account; it may have been deleted.{" "}
          <a href={href({ screen: "trunks" })}>Back to PBX Settings</a>
        </Alert>
      </section>
    );
  }
  const t = trunk.data;

  async function save(body: Record<string, unknown>) {
    setSaved(null);
    const updated = await api.patch<Trunk>(p`/v1/trunks/${props.id}`, body);
    trunk.set(() => updated);
    setFormKey((k) => k + 1);
    const registers = ["domain", "extension", "username", "password", "transport", "port", "tls_verify"].some(
      (k) => k in body,
    );
    setSaved(registers ? "Saved. The trunk registers again with the new settings." : "Saved.");
  }

  return (
    <section aria-labelledby="trunk-title">
      <p className="breadcrumb">
        <a href={href({ screen: "trunks" })}>PBX Settings</a> <span aria-hidden="true">›</span>
      </p>
      <h1 id="trunk-title" tabIndex={-1} ref={heading}>
        {t ? trunkName(t) : "Trunk"}
      </h1>
      {trunk.error ? <Alert>{messageOf(trunk.error)}</Alert> : null}
      {!t && trunk.loading ? <Loading>Loading the trunk…</Loading> : null}
      {t ? (
        <Tabs
          label="Trunk"
          idPrefix="trunk"
          tabs={[
            { key: "status", label: "Status and credentials" },
            { key: "directory", label: "Directory" },
          ]}
          selected={props.tab}
          onSelect={(tab) => navigate({ screen: "trunk", id: props.id, tab }, { replace: true })}
        >
          {props.tab === "status" ? (
            <>
              <h2>Status</h2>
              <p className="card-meta" data-testid="trunk-where">
                {pbxTypeLabel(t.pbx_type)} · {t.domain} · {whereItRegisters(t)}
                {t.assignment.held ? ` · handled by ${t.assignment.edge}` : ""}
              </p>
              <TrunkStatus
                trunk={t}
                following={follow.following}
                onChange={(updated) => trunk.set(() => updated)}
                onCheckAgain={follow.restart}
              />
              <FirewallAllowance trunk={t} />
              <p>
                <Button onClick={() => setDiagnosing(true)}>Diagnostics</Button>{" "}
                <span className="status-note">every call this trunk received and its errors, last 24 h</span>
              </p>
              <Dialog open={diagnosing} title={`Diagnostics: ${trunkName(t)}`} onClose={() => setDiagnosing(false)} wide>
                {diagnosing ? <Diagnostics of={{ trunk: t.id }} /> : null}
              </Dialog>

              <h2>Credentials</h2>
              {saved ? <Alert kind="success">{saved}</Alert> : null}
              <TrunkForm
                key={formKey}
                trunk={t}
                presets={presets}
                submitLabel="Save changes"
                busyLabel="Saving…"
                onSubmit={save}
              />

              <h2>Delete this trunk</h2>
              <p>
                SmartAlex un-registers from the PBX and forgets the password and the directory. Phone numbers bound to
                the trunk must be unbound first.
              </p>
              <Button variant="danger" onClick={() => setDeleting(true)}>
                Delete trunk
              </Button>
              <ConfirmDelete
                open={deleting}
                what="trunk"
                name={trunkName(t)}
                consequence="SmartAlex un-registers from the PBX, and the trunk's password and directory are deleted. This cannot be undone."
                onCancel={() => setDeleting(false)}
                onDelete={async () => {
                  await api.del(p`/v1/trunks/${t.id}`);
                  setDeleting(false);
                  navigate({ screen: "trunks" });
                }}
              />
            </>
          ) : (
            <Directory trunk={t} />
          )}
        </Tabs>
      ) : null}
    </section>
  );
}
