// The console's small set of accessible building blocks: labelled fields with their API error
// beside them, alerts, status badges, buttons that say when they are busy.

import { useId, type ReactNode } from "react";
import type { Registration } from "../api/types";

type FieldControlProps = {
  id: string;
  "aria-describedby"?: string;
  "aria-invalid"?: true;
};

export function Field(props: {
  label: ReactNode;
  error?: string;
  hint?: ReactNode;
  optional?: boolean;
  className?: string;
  children: (control: FieldControlProps) => ReactNode;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [props.error ? errorId : null, props.hint ? hintId : null].filter(Boolean).join(" ");
  return (
    <div className={`field${props.error ? " field--invalid" : ""}${props.className ? ` ${props.className}` : ""}`}>
      <label htmlFor={id}>
        {props.label}
        {props.optional ? <span className="optional"> (optional)</span> : null}
      </label>
      {props.hint ? (
        <p className="hint" id={hintId}>
          {props.hint}
        </p>
      ) : null}
      {props.children({
        id,
        "aria-describedby": describedBy || undefined,
        "aria-invalid": props.error ? true : undefined,
      })}
      {props.error ? (
        <p className="field-error" id={errorId} data-testid="field-error">
          {props.error}
        </p>
      ) : null}
    </div>
  );
}

export function Alert(props: { kind?: "error" | "success" | "info" | "warning"; title?: string; children: ReactNode }) {
  const kind = props.kind ?? "error";
  return (
    <div className={`alert alert--${kind}`} role={kind === "error" ? "alert" : "status"}>
      {props.title ? <p className="alert-title">{props.title}</p> : null}
      <div>{props.children}</div>
    </div>
  );
}

export function Loading(props: { children?: ReactNode }) {
  return (
    <p className="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {props.children ?? "Loading…"}
    </p>
  );
}

export function Empty(props: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty-title">{props.title}</p>
      {props.children ? <div>{props.children}</div> : null}
    </div>
  );
}

export function Button(props: {
  children: ReactNode;
  onClick?: () => void;
  type?: "button" | "submit";
  variant?: "primary" | "secondary" | "danger" | "link";
  busy?: boolean;
  busyLabel?: string;
  disabled?: boolean;
  className?: string;
  "aria-label"?: string;
  "aria-describedby"?: string;
}) {
  const variant = props.variant ?? "secondary";
  return (
    <button
      type={props.type ?? "button"}
      className={`button button--${variant}${props.className ? ` ${props.className}` : ""}`}
      onClick={props.onClick}
      disabled={props.disabled || props.busy}
      aria-busy={props.busy || undefined}
      aria-label={props["aria-label"]}
      aria-describedby={props["aria-describedby"]}
    >
      {props.busy ? (props.busyLabel ?? props.children) : props.children}
    </button>
  );
}

export function RegistrationBadge(props: { registration: Registration | null }) {
  const r = props.registration;
  if (!r) return <span className="badge badge--failed">Trunk deleted</span>;
  return (
    <span className={`badge badge--${r.state}`} data-testid="registration-label">
      <span className="badge-dot" aria-hidden="true" />
      {r.label}
    </span>
  );
}

/** What to do next for a registration that is not up, beside the API's own error text. */
export function registrationAdvice(r: Registration): string | null {
  if (r.state === "failed") {
    if (r.sip_code === 401 || r.sip_code === 407) {
      return "Check the extension's username and password on your PBX, enter them under Credentials, save, and the trunk re-registers.";
    }
    if (r.sip_code === 403) {
      return "Your PBX refused SmartAlex for another reason than the password: change what the message names on the PBX, then press Re-register.";
    }
    return "Fix what the message says (on your PBX or in the trunk's settings below), then press Re-register.";
  }
  if (r.state === "connecting" && r.error) {
    return "We keep trying. If the PBX never answers, check the SIP domain, transport and port, and that the PBX accepts registrations from the internet.";
  }
  return null;
}
