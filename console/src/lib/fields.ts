// Where an API error is shown: next to the field it names, or above the form when it names
// none the form has (control/chalicelib/errors.py: `field` is the request field, `aliases.2`
// for an item of a list).

import { ApiError } from "../api/client";

export type FormErrors = { fields: Record<string, string>; form: string | null };

export const NO_ERRORS: FormErrors = { fields: {}, form: null };

/** The form field an API field name belongs to: `aliases.2` → `aliases`. */
export function formFieldOf(apiField: string | null, formFields: readonly string[]): string | null {
  if (!apiField) return null;
  if (formFields.includes(apiField)) return apiField;
  const head = apiField.split(".")[0];
  return formFields.includes(head) ? head : null;
}

/** The error as a form shows it; anything not from the API reads as a plain sentence. */
export function formErrors(error: unknown, formFields: readonly string[]): FormErrors {
  if (error instanceof ApiError) {
    const field = formFieldOf(error.field, formFields);
    return field ? { fields: { [field]: error.message }, form: null } : { fields: {}, form: error.message };
  }
  return { fields: {}, form: messageOf(error) };
}

export function messageOf(error: unknown): string {
  if (error instanceof Error && error.message) return error.message;
  return "Something went wrong in the console. Reload the page and try again.";
}

const STILL_BOUND = /^Phone numbers are still bound to this (trunk|agent): (.+?)\. Unbind them first/;

/**
 * A refused delete in words an admin can act on in the console: the API's 409 names API paths
 * ("DELETE /v1/phone-numbers/{number_id}"), the console names its own pages.
 */
export function explainDelete(what: "trunk" | "agent" | "phone number", error: unknown): string {
  if (!(error instanceof ApiError)) return messageOf(error);
  if (error.status === 404) {
    return `This ${what} no longer exists; someone may have deleted it already. The list has been refreshed.`;
  }
  if (error.status !== 409) return error.message;
  const bound = STILL_BOUND.exec(error.message);
  if (bound) {
    const [, kind, numbers] = bound;
    return (
      `This ${kind} cannot be deleted yet: phone numbers are still bound to it (${numbers}). ` +
      `Unbind them under Phone Numbers first (Delete on each number), then delete the ${kind}.`
    );
  }
  if (/changed .*at the same time/.test(error.message)) {
    return `Someone changed this ${what} at the same moment, so nothing was deleted. The list has been refreshed; try again.`;
  }
  return error.message;
}
