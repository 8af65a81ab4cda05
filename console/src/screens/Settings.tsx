// Tenant settings: the default country national-format phone numbers are read in.

import { useCallback, useEffect, useState, type FormEvent } from "react";
import type { Settings as TenantSettings } from "../api/types";
import { Alert, Button, Field, Loading } from "../components/ui";
import { useConsole } from "../context";
import { useResource, useScreen } from "../hooks";
import { countryOptions } from "../lib/countries";
import { formErrors, messageOf, NO_ERRORS, type FormErrors } from "../lib/fields";
import { when } from "../lib/format";

const COUNTRIES = countryOptions();

export function Settings() {
  const { api } = useConsole();
  const heading = useScreen("Settings");
  const load = useCallback(() => api.get<TenantSettings>("/v1/settings"), [api]);
  const settings = useResource(load, "settings");
  const [country, setCountry] = useState("");
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (settings.data) setCountry(settings.data.default_country ?? "");
  }, [settings.data]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setErrors(NO_ERRORS);
    setSaved(false);
    try {
      const updated = await api.put<TenantSettings>("/v1/settings", { default_country: country || null });
      settings.set(() => updated);
      setSaved(true);
    } catch (error) {
      setErrors(formErrors(error, ["default_country"]));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="settings-title">
      <h1 id="settings-title" tabIndex={-1} ref={heading}>
        Settings
      </h1>
      {settings.error ? <Alert>{messageOf(settings.error)}</Alert> : null}
      {settings.loading && !settings.data ? <Loading>Loading your settings…</Loading> : null}
      {settings.data ? (
        <form className="form form--narrow" onSubmit={submit} noValidate aria-label="Tenant settings">
          {saved ? <Alert kind="success">Saved. Numbers you bind from now on are read in this country.</Alert> : null}
          {errors.form ? <Alert>{errors.form}</Alert> : null}
          <Field
            label="Default country"
            error={errors.fields.default_country}
            hint="How a phone number typed without the + and country code (087 123 4567) is read when you bind it. Numbers bound earlier keep theirs."
          >
            {(c) => (
              <select {...c} name="default_country" value={country} onChange={(e) => setCountry(e.target.value)}>
                <option value="">None: numbers must start with + and the country code</option>
                {COUNTRIES.map((o) => (
                  <option key={o.code} value={o.code}>
                    {o.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <p className="hint">
            {settings.data.updated_at ? `Last changed ${when(settings.data.updated_at)}.` : "Never changed: the defaults apply."}
          </p>
          <div className="actions">
            <Button type="submit" variant="primary" busy={busy} busyLabel="Saving…">
              Save settings
            </Button>
          </div>
        </form>
      ) : null}
    </section>
  );
}
