import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, parseConfig } from "../src/config";

describe("config.json", () => {
  it("reads the local stage's", () => {
    expect(parseConfig({ apiUrl: "http://127.0.0.1:8000/", stage: "local", auth: { mode: "local" } })).toEqual({
      apiUrl: "http://127.0.0.1:8000",
      stage: "local",
      auth: { mode: "local" },
    });
  });

  it("reads a deployed stage's", () => {
    const config = parseConfig({
      apiUrl: "https://api.example.com",
      stage: "prod",
      auth: {
        mode: "cognito",
        domain: "https://x.auth.eu-west-1.amazoncognito.com/",
        clientId: "abc",
        redirectUri: "https://console.example.com/",
        scopes: ["openid", "email"],
      },
    });
    expect(config.auth).toEqual({
      mode: "cognito",
      domain: "https://x.auth.eu-west-1.amazoncognito.com",
      clientId: "abc",
      redirectUri: "https://console.example.com/",
      scopes: ["openid", "email"],
    });
  });

  it("says what is wrong", () => {
    expect(() => parseConfig(null)).toThrow(ConfigError);
    expect(() => parseConfig({ auth: { mode: "local" } })).toThrow(/apiUrl/);
    expect(() => parseConfig({ apiUrl: "ftp://x", auth: { mode: "local" } })).toThrow(/http/);
    expect(() => parseConfig({ apiUrl: "http://x", auth: { mode: "magic" } })).toThrow(/auth.mode/);
    expect(() => parseConfig({ apiUrl: "http://x", auth: { mode: "cognito", domain: "https://d" } })).toThrow(/clientId/);
  });

  it("fetches config.json next to the page", async () => {
    let asked = "";
    const fetchImpl = (async (url: string) => {
      asked = url;
      return new Response('{"apiUrl":"http://a","auth":{"mode":"local"}}');
    }) as unknown as typeof fetch;
    expect((await loadConfig(fetchImpl)).apiUrl).toBe("http://a");
    expect(asked).toBe("config.json");
  });

  it("explains a config.json that is missing", async () => {
    const fetchImpl = (async () => new Response("nope", { status: 404 })) as unknown as typeof fetch;
    await expect(loadConfig(fetchImpl)).rejects.toThrow(/answered 404/);
  });
});
