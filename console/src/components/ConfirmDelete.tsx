// "Delete X?" with what the API said when it refused (a 409 in words).

import { useState, type ReactNode } from "react";
import { explainDelete } from "../lib/fields";
import { Dialog } from "./Dialog";
import { Alert, Button } from "./ui";

export function ConfirmDelete(props: {
  open: boolean;
  what: "trunk" | "agent" | "phone number";
  name: string;
  consequence: ReactNode;
  onCancel: () => void;
  onDelete: () => Promise<void>;
  /** After a refusal that means the list is stale (404, a concurrent change). */
  onStale?: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<string | null>(null);

  async function confirm() {
    setBusy(true);
    setRefusal(null);
    try {
      await props.onDelete();
    } catch (error) {
      setRefusal(explainDelete(props.what, error));
      props.onStale?.();
    } finally {
      setBusy(false);
    }
  }

  const close = () => {
    setRefusal(null);
    props.onCancel();
  };

  return (
    <Dialog open={props.open} title={`Delete ${props.what} ${props.name}?`} onClose={close}>
      <p>{props.consequence}</p>
      {refusal ? (
        <Alert title="Not deleted">
          <p data-testid="delete-refusal">{refusal}</p>
        </Alert>
      ) : null}
      <div className="actions">
        <Button onClick={close}>
          {refusal ? "Back" : "Cancel"}
        </Button>
        {refusal ? null : (
          <Button variant="danger" onClick={confirm} busy={busy} busyLabel="Deleting…">
            Delete {props.what}
          </Button>
        )}
      </div>
    </Dialog>
  );
}
