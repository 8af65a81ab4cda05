// A trunk's directory: who callers can ask for (extension, display name, free-form aliases),
// and "Try a phrase", which asks the resolve route what a caller's words would do.

import { useCallback, useState, type FormEvent } from "react";
import { p } from "../api/client";
import type { DirectoryEntry, Resolution, Trunk } from "../api/types";
import { Dialog } from "../components/Dialog";
import { Alert, Button, Empty, Field, Loading } from "../components/ui";
import { useConsole } from "../context";
import { useResource } from "../hooks";
import { formErrors, messageOf, NO_ERRORS, type FormErrors } from "../lib/fields";
import { parseAliases, percent } from "../lib/format";

const ENTRY_FIELDS = ["extension", "display_name", "aliases"] as const;

function EntryForm(props: {
  entry?: DirectoryEntry;
  submitLabel: string;
  onSubmit: (entry: { extension: string; display_name: string; aliases: string[] }) => Promise<void>;
  onCancel?: () => void;
}) {
  const [extension, setExtension] = useState(props.entry?.extension ?? "");
  const [name, setName] = useState(props.entry?.display_name ?? "");
  const [aliases, setAliases] = useState((props.entry?.aliases ?? []).join(", "));
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  const editing = props.entry !== undefined;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setErrors(NO_ERRORS);
    try {
      await props.onSubmit({ extension: extension.trim(), display_name: name, aliases: parseAliases(aliases) });
      if (!editing) {
        setExtension("");
        setName("");
        setAliases("");
      }
    } catch (error) {
      setErrors(formErrors(error, ENTRY_FIELDS));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="form" onSubmit={submit} noValidate aria-label={editing ? "Edit entry" : "Add an entry"}>
      {errors.form ? <Alert>{errors.form}</Alert> : null}
      <div className="field-row field-row--directory">
        {editing ? null : (
          <Field label="Extension" error={errors.fields.extension} className="field--short" hint="E.g. 215.">
            {(c) => (
              <input {...c} name="extension" autoComplete="off" value={extension} onChange={(e) => setExtension(e.target.value)} />
            )}
          </Field>
        )}
        <Field label="Display name" error={errors.fields.display_name} hint="Who or what answers, e.g. Sarah Murphy or Support.">
          {(c) => <input {...c} name="display_name" autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
      </div>
      <Field
        label="Aliases"
        optional
        error={errors.fields.aliases}
        hint="Other words callers use for them, separated by commas, e.g. billing, accounts, invoices."
      >
        {(c) => <input {...c} name="aliases" autoComplete="off" value={aliases} onChange={(e) => setAliases(e.target.value)} />}
      </Field>
      <div className="actions">
        {props.onCancel ? <Button onClick={props.onCancel}>Cancel</Button> : null}
        <Button type="submit" variant="primary" busy={busy} busyLabel="Saving…">
          {props.submitLabel}
        </Button>
      </div>
    </form>
  );
}

function TryAPhrase(props: { trunk: Trunk }) {
  const { api } = useConsole();
  const [text, setText] = useState("");
  const [result, setResult] = useState<Resolution | null>(null);
  const [error, setError] = useState<FormErrors>(NO_ERRORS);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(NO_ERRORS);
    try {
      setResult(await api.post<Resolution>(p`/v1/trunks/${props.trunk.id}/directory/resolve`, { text }));
    } catch (err) {
      setResult(null);
      setError(formErrors(err, ["text"]));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="form" onSubmit={submit} noValidate aria-label="Try a phrase">
      <p className="hint">What a caller might say; the agent matches it against this directory before a transfer.</p>
      {error.form ? <Alert>{error.form}</Alert> : null}
      <div className="inline-form">
        <Field label="What the caller says" error={error.fields.text}>
          {(c) => (
            <input
              {...c}
              name="phrase"
              autoComplete="off"
              placeholder="put me through to billing"
              value={text}
              onChange={(e) => setText(e.target.value)}
            />
          )}
        </Field>
        <Button type="submit" busy={busy} busyLabel="Trying…">
          Try it
        </Button>
      </div>
      <div aria-live="polite" data-testid="resolution">
        {result ? <ResolutionResult result={result} /> : null}
      </div>
    </form>
  );
}

function who(c: { extension: string; display_name: string }) {
  return `${c.extension} (${c.display_name})`;
}

export function ResolutionResult(props: { result: Resolution }) {
  const { verdict, match, candidates } = props.result;
  if (verdict === "match" && match) {
    return (
      <div className="verdict verdict--match">
        <p className="verdict-title">Match: {who(match)}</p>
        <p>
          Matched “{match.matched}” ({percent(match.confidence)} sure). The agent would transfer the caller to{" "}
          {match.extension}.
        </p>
      </div>
    );
  }
  if (verdict === "ambiguous") {
    return (
      <div className="verdict verdict--ambiguous">
        <p className="verdict-title">Ambiguous: {candidates.map(who).join(" or ")}</p>
        <p>Too close to call, so the agent would ask the caller which one they mean.</p>
      </div>
    );
  }
  if (verdict === "empty") {
    return (
      <div className="verdict verdict--none">
        <p className="verdict-title">Nothing to match</p>
        <p>Type what a caller might say, e.g. “put me through to billing”.</p>
      </div>
    );
  }
  return (
    <div className="verdict verdict--none">
      <p className="verdict-title">No match</p>
      <p>
        Nothing in the directory is close enough, so the agent would ask the caller again or offer reception.
        {candidates.length ? ` Closest: ${candidates.map(who).join(", ")}.` : " Add an alias if callers say this."}
      </p>
    </div>
  );
}

export function Directory(props: { trunk: Trunk }) {
  const { api } = useConsole();
  const base = `/v1/trunks/${encodeURIComponent(props.trunk.id)}/directory`;
  const load = useCallback(async () => (await api.get<{ entries: DirectoryEntry[] }>(base)).entries, [api, base]);
  const entries = useResource(load, base);
  const [editing, setEditing] = useState<DirectoryEntry | null>(null);
  const [removing, setRemoving] = useState<DirectoryEntry | null>(null);
  const [removeError, setRemoveError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  async function add(entry: { extension: string; display_name: string; aliases: string[] }) {
    setNotice(null);
    await api.post<DirectoryEntry>(base, entry);
    await entries.reload();
    setNotice(`Added ${entry.extension} (${entry.display_name}).`);
  }

  async function replace(entry: { display_name: string; aliases: string[] }) {
    if (!editing) return;
    await api.put<DirectoryEntry>(`${base}/${encodeURIComponent(editing.extension)}`, entry);
    setNotice(`Saved ${editing.extension}.`);
    setEditing(null);
    await entries.reload();
  }

  async function remove() {
    if (!removing) return;
    setRemoveError(null);
    try {
      await api.del(`${base}/${encodeURIComponent(removing.extension)}`);
      setNotice(`Removed ${removing.extension} (${removing.display_name}).`);
      setRemoving(null);
      await entries.reload();
    } catch (error) {
      setRemoveError(messageOf(error));
    }
  }

  return (
    <>
      <h2>Directory</h2>
      <p className="hint">
        Who callers can ask for on this trunk. The agent transfers a caller who says a name or an alias, or keys an
        extension.
      </p>
      {notice ? <Alert kind="success">{notice}</Alert> : null}
      {entries.error ? <Alert>{messageOf(entries.error)}</Alert> : null}
      {entries.loading && !entries.data ? <Loading>Loading the directory…</Loading> : null}
      {entries.data && entries.data.length === 0 ? (
        <Empty title="The directory is empty.">
          <p>Add the people and departments callers ask for, e.g. 100 Reception with the alias front desk.</p>
        </Empty>
      ) : null}
      {entries.data && entries.data.length > 0 ? (
        <table className="table" aria-label="Directory entries">
          <thead>
            <tr>
              <th scope="col">Extension</th>
              <th scope="col">Display name</th>
              <th scope="col">Aliases</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {entries.data.map((entry) => (
              <tr key={entry.extension} data-testid="directory-row">
                <td data-label="Extension">{entry.extension}</td>
                <td data-label="Display name">{entry.display_name}</td>
                <td data-label="Aliases">{entry.aliases.length ? entry.aliases.join(", ") : "—"}</td>
                <td className="row-actions">
                  <Button variant="link" onClick={() => setEditing(entry)} aria-label={`Edit ${entry.extension}`}>
                    Edit
                  </Button>
                  <Button
                    variant="link"
                    className="danger-link"
                    onClick={() => {
                      setRemoveError(null);
                      setRemoving(entry);
                    }}
                    aria-label={`Delete ${entry.extension}`}
                  >
                    Delete
                  </Button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}

      <h3>Add an entry</h3>
      <EntryForm submitLabel="Add entry" onSubmit={add} />

      <h3>Try a phrase</h3>
      <TryAPhrase trunk={props.trunk} />

      <Dialog open={editing !== null} title={editing ? `Edit ${editing.extension}` : "Edit"} onClose={() => setEditing(null)}>
        {editing ? (
          <EntryForm entry={editing} submitLabel="Save entry" onSubmit={replace} onCancel={() => setEditing(null)} />
        ) : null}
      </Dialog>
      <Dialog
        open={removing !== null}
        title={removing ? `Delete ${removing.extension} (${removing.display_name})?` : "Delete"}
        onClose={() => setRemoving(null)}
      >
        <p>Callers can no longer ask the agent for them by name.</p>
        {removeError ? <Alert>{removeError}</Alert> : null}
        <div className="actions">
          <Button onClick={() => setRemoving(null)}>Cancel</Button>
          <Button variant="danger" onClick={remove}>
            Delete entry
          </Button>
        </div>
      </Dialog>
    </>
  );
}
