import { describe, expect, it } from "vitest";
import { ApiError } from "../src/api/client";
import { explainDelete, formErrors, formFieldOf } from "../src/lib/fields";

describe("an API error beside its field", () => {
  const fields = ["domain", "port", "aliases", "password"];

  it("goes next to the field it names", () => {
    const error = new ApiError(400, "invalid_input", "port must be less than or equal to 65535", "port");
    expect(formErrors(error, fields)).toEqual({
      fields: { port: "port must be less than or equal to 65535" },
      form: null,
    });
  });

  it("puts an item of a list next to the list", () => {
    expect(formFieldOf("aliases.2", fields)).toBe("aliases");
  });

  it("goes above the form when it names no field the form has", () => {
    const unknown = new ApiError(400, "invalid_input", "tenant_id is not a known field", "tenant_id");
    expect(formErrors(unknown, fields)).toEqual({ fields: {}, form: "tenant_id is not a known field" });
    const none = new ApiError(409, "conflict", "A trunk for extension 1000 on pbx.example.com already exists.");
    expect(formErrors(none, fields).form).toBe("A trunk for extension 1000 on pbx.example.com already exists.");
  });

  it("says something plain for what is not an API error", () => {
    expect(formErrors(new TypeError("x is undefined"), fields).form).toBe("x is undefined");
    expect(formErrors("weird", fields).form).toMatch(/Reload the page/);
  });
});

describe("a refused delete in words", () => {
  it("names the bound numbers and the console's way to unbind them", () => {
    const error = new ApiError(
      409,
      "conflict",
      "Phone numbers are still bound to this trunk: +353 87 123 4567, +353 1 234 5678. Unbind them first " +
        "(DELETE /v1/phone-numbers/{number_id}, ids in GET /v1/phone-numbers).",
    );
    const words = explainDelete("trunk", error);
    expect(words).toContain("+353 87 123 4567, +353 1 234 5678");
    expect(words).toContain("Unbind them under Phone Numbers first");
    expect(words).not.toContain("/v1/");
  });

  it("explains a concurrent change and a vanished resource", () => {
    const changed = new ApiError(409, "conflict", "The agent or its trunk was changed by another request at the same time; reload and try again.");
    expect(explainDelete("agent", changed)).toMatch(/changed this agent at the same moment/);
    expect(explainDelete("phone number", new ApiError(404, "not_found", "No phone number with this id."))).toMatch(
      /no longer exists/,
    );
  });

  it("keeps any other message as the API wrote it", () => {
    expect(explainDelete("agent", new ApiError(409, "conflict", "Something else."))).toBe("Something else.");
  });
});
