// The fields of an agent, shared by "New agent" and the agent's General tab.

import { Field } from "../components/ui";

export const AGENT_FIELDS = ["name", "kind", "stream_url", "greeting"] as const;

export type AgentValues = { name: string; kind: string; stream_url: string; greeting: string };

export function AgentFields(props: {
  values: AgentValues;
  onChange: (values: AgentValues) => void;
  errors: Record<string, string>;
  kindFixed?: boolean;
}) {
  const { values, errors } = props;
  const set = (key: keyof AgentValues, value: string) => props.onChange({ ...values, [key]: value });
  return (
    <>
      <Field label="Name" error={errors.name} hint="How the agent is listed, e.g. Front desk.">
        {(c) => <input {...c} name="name" autoComplete="off" value={values.name} onChange={(e) => set("name", e.target.value)} />}
      </Field>
      <fieldset className={`choices${errors.kind ? " field--invalid" : ""}`}>
        <legend>Kind</legend>
        <label className="choice">
          <input
            type="radio"
            name="kind"
            value="receptionist"
            checked={values.kind === "receptionist"}
            onChange={() => set("kind", "receptionist")}
          />
          <span>
            <strong>Receptionist (built in)</strong>
            <span className="choice-hint">Greets callers and transfers them through the trunk's directory.</span>
          </span>
        </label>
        <label className="choice">
          <input
            type="radio"
            name="kind"
            value="media_stream"
            checked={values.kind === "media_stream"}
            onChange={() => set("kind", "media_stream")}
          />
          <span>
            <strong>Your own agent (WebSocket media stream)</strong>
            <span className="choice-hint">Calls are streamed to your service, which speaks and transfers.</span>
          </span>
        </label>
        {errors.kind ? <p className="field-error">{errors.kind}</p> : null}
      </fieldset>
      {values.kind === "media_stream" ? (
        <Field
          label="Stream URL"
          error={errors.stream_url}
          hint="Where your agent is reached: wss://… (each connection is signed with the agent's signing secret)."
        >
          {(c) => (
            <input
              {...c}
              name="stream_url"
              autoComplete="off"
              spellCheck={false}
              inputMode="url"
              value={values.stream_url}
              onChange={(e) => set("stream_url", e.target.value)}
            />
          )}
        </Field>
      ) : (
        <Field
          label="Greeting"
          optional
          error={errors.greeting}
          hint="What the receptionist says first. Blank: “Hello, thank you for calling. Who would you like to speak to? You can also dial their extension number.”"
        >
          {(c) => (
            <textarea {...c} name="greeting" rows={2} value={values.greeting} onChange={(e) => set("greeting", e.target.value)} />
          )}
        </Field>
      )}
    </>
  );
}
