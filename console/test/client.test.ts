import { describe, expect, it } from "vitest";
import { ApiError, createApi, errorFromBody, p } from "../src/api/client";

function fakeFetch(status: number, body: string, seen: { url?: string; init?: RequestInit } = {}): typeof fetch {
  return (async (url: string, init: RequestInit) => {
    seen.url = url;
    seen.init = init;
    return new Response(status === 204 ? null : body, { status });
  }) as unknown as typeof fetch;
}

describe("the API client", () => {
  it("sends the bearer token and JSON, and reads JSON", async () => {
    const seen: { url?: string; init?: RequestInit } = {};
    const api = createApi({ baseUrl: "http://api/", token: () => "tok", fetchImpl: fakeFetch(200, '{"ok":1}', seen) });
    expect(await api.post("/v1/trunks", { a: 1 })).toEqual({ ok: 1 });
    expect(seen.url).toBe("http://api/v1/trunks");
    expect(seen.init?.method).toBe("POST");
    expect((seen.init?.headers as Record<string, string>).Authorization).toBe("Bearer tok");
    expect((seen.init?.headers as Record<string, string>)["Content-Type"]).toBe("application/json");
    expect(seen.init?.body).toBe('{"a":1}');
  });

  it("turns the error format into an ApiError with the field", async () => {
    const body = '{"error":{"code":"invalid_input","message":"domain must be a host name","field":"domain"}}';
    const api = createApi({ baseUrl: "http://api", token: () => "t", fetchImpl: fakeFetch(400, body) });
    await expect(api.post("/v1/trunks", {})).rejects.toMatchObject({
      status: 400,
      code: "invalid_input",
      message: "domain must be a host name",
      field: "domain",
    });
  });

  it("tells the app about a 401", async () => {
    let told = false;
    const body = '{"error":{"code":"unauthorized","message":"The token has expired.","field":null}}';
    const api = createApi({ baseUrl: "http://api", token: () => "t", fetchImpl: fakeFetch(401, body), onUnauthorized: () => (told = true) });
    await expect(api.get("/v1/trunks")).rejects.toBeInstanceOf(ApiError);
    expect(told).toBe(true);
  });

  it("answers 204 with nothing", async () => {
    const api = createApi({ baseUrl: "http://api", token: () => "t", fetchImpl: fakeFetch(204, "") });
    expect(await api.del("/v1/trunks/x")).toBeUndefined();
  });

  it("says the API cannot be reached when fetch fails", async () => {
    const failing = (async () => {
      throw new TypeError("Failed to fetch");
    }) as unknown as typeof fetch;
    const api = createApi({ baseUrl: "http://127.0.0.1:8000", token: () => "t", fetchImpl: failing });
    await expect(api.get("/v1/trunks")).rejects.toMatchObject({ status: 0, message: expect.stringContaining("Cannot reach the API at http://127.0.0.1:8000") });
  });

  it("words an answer in another format plainly", () => {
    expect(errorFromBody(502, "<html>").message).toMatch(/Something went wrong on our side/);
    expect(errorFromBody(418, null).message).toBe("The API answered 418 without saying why. Try again.");
  });

  it("encodes path segments", () => {
    expect(p`/v1/trunks/${"a/b"}/directory/${"2 1"}`).toBe("/v1/trunks/a%2Fb/directory/2%201");
  });
});
