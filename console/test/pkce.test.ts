import { describe, expect, it } from "vitest";
import {
  authorizeUrl,
  base64url,
  codeChallenge,
  isExpired,
  jwtClaims,
  logoutUrl,
  randomString,
  readCallback,
  tokenRequestBody,
  tokenUrl,
} from "../src/auth/pkce";
import type { CognitoAuth } from "../src/config";

const auth: CognitoAuth = {
  mode: "cognito",
  domain: "https://smartalex-prod.auth.eu-west-1.amazoncognito.com",
  clientId: "client123",
  redirectUri: "https://console.example.com/",
  scopes: ["openid", "email"],
};

function jwt(claims: object): string {
  const part = (o: object) => base64url(new TextEncoder().encode(JSON.stringify(o)));
  return `${part({ alg: "none" })}.${part(claims)}.sig`;
}

describe("PKCE", () => {
  it("computes the S256 challenge of RFC 7636's example verifier", async () => {
    expect(await codeChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe(
      "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    );
  });

  it("encodes base64url without padding or + and /", () => {
    expect(base64url(new Uint8Array([0xfb, 0xff, 0xfe]))).toBe("-__-");
    expect(base64url(new Uint8Array([1]))).toBe("AQ");
  });

  it("makes verifiers of 43 URL-safe characters, different each time", () => {
    const a = randomString(32);
    const b = randomString(32);
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
  });

  it("sends the browser to the hosted UI with the code flow, S256 and the state", () => {
    const url = new URL(authorizeUrl(auth, "st4te", "ch4llenge"));
    expect(url.origin + url.pathname).toBe(`${auth.domain}/oauth2/authorize`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: "code",
      client_id: "client123",
      redirect_uri: "https://console.example.com/",
      scope: "openid email",
      state: "st4te",
      code_challenge: "ch4llenge",
      code_challenge_method: "S256",
    });
  });

  it("exchanges the code at /oauth2/token with the verifier", () => {
    expect(tokenUrl(auth)).toBe(`${auth.domain}/oauth2/token`);
    expect(Object.fromEntries(tokenRequestBody(auth, "the-code", "the-verifier"))).toEqual({
      grant_type: "authorization_code",
      client_id: "client123",
      code: "the-code",
      redirect_uri: "https://console.example.com/",
      code_verifier: "the-verifier",
    });
  });

  it("signs out at /logout, back to the console", () => {
    const url = new URL(logoutUrl(auth));
    expect(url.pathname).toBe("/logout");
    expect(url.searchParams.get("client_id")).toBe("client123");
    expect(url.searchParams.get("logout_uri")).toBe("https://console.example.com/");
  });
});

describe("the hosted UI's answer", () => {
  const pending = { state: "expected-state", verifier: "v" };

  it("is nothing when the page has no code", () => {
    expect(readCallback("", pending)).toEqual({ kind: "none" });
  });

  it("gives the code and verifier when the state matches", () => {
    expect(readCallback("?code=abc&state=expected-state", pending)).toEqual({ kind: "code", code: "abc", verifier: "v" });
  });

  it("refuses a code whose state is not ours, or when no sign-in is pending", () => {
    expect(readCallback("?code=abc&state=forged", pending).kind).toBe("error");
    expect(readCallback("?code=abc&state=expected-state", null).kind).toBe("error");
    expect(readCallback("?code=abc", pending).kind).toBe("error");
  });

  it("reports the hosted UI's error in words", () => {
    const result = readCallback("?error=access_denied&error_description=User+cancelled", pending);
    expect(result).toEqual({ kind: "error", message: expect.stringContaining("access_denied: User cancelled") });
  });
});

describe("tokens", () => {
  it("reads a JWT's claims, including non-ASCII ones", () => {
    expect(jwtClaims(jwt({ tenant: "démo", exp: 10 }))).toEqual({ tenant: "démo", exp: 10 });
    expect(jwtClaims("not-a-jwt")).toBeNull();
    expect(jwtClaims("a.%%%.c")).toBeNull();
  });

  it("says whether exp has passed, with a margin", () => {
    const now = 1_700_000_000_000;
    expect(isExpired(jwt({ exp: now / 1000 + 3600 }), now)).toBe(false);
    expect(isExpired(jwt({ exp: now / 1000 + 10 }), now)).toBe(true); // within the 30 s margin
    expect(isExpired(jwt({ exp: now / 1000 - 1 }), now)).toBe(true);
    expect(isExpired(jwt({}), now)).toBe(false);
  });
});
