// OAuth 2.0 authorization code with PKCE (RFC 7636, S256) against Cognito's hosted UI, on Web
// Crypto alone. Pure functions: the browser glue is in cognito.ts.

import type { CognitoAuth } from "../config";

export function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** `byteLength` random bytes as base64url: 32 bytes give a 43-character verifier. */
export function randomString(byteLength = 32, random: Crypto = globalThis.crypto): string {
  const bytes = new Uint8Array(byteLength);
  random.getRandomValues(bytes);
  return base64url(bytes);
}

/** The S256 code challenge: base64url(SHA-256(verifier)). */
export async function codeChallenge(
  verifier: string,
  subtle: SubtleCrypto = globalThis.crypto.subtle,
): Promise<string> {
  const digest = await subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

export function authorizeUrl(auth: CognitoAuth, state: string, challenge: string): string {
  const params = new URLSearchParams({
    response_type: "code",
    client_id: auth.clientId,
    redirect_uri: auth.redirectUri,
    scope: auth.scopes.join(" "),
    state,
    code_challenge: challenge,
    code_challenge_method: "S256",
  });
  return `${auth.domain}/oauth2/authorize?${params}`;
}

export function tokenUrl(auth: CognitoAuth): string {
  return `${auth.domain}/oauth2/token`;
}

export function tokenRequestBody(auth: CognitoAuth, code: string, verifier: string): URLSearchParams {
  return new URLSearchParams({
    grant_type: "authorization_code",
    client_id: auth.clientId,
    code,
    redirect_uri: auth.redirectUri,
    code_verifier: verifier,
  });
}

export function logoutUrl(auth: CognitoAuth): string {
  const params = new URLSearchParams({ client_id: auth.clientId, logout_uri: auth.redirectUri });
  return `${auth.domain}/logout?${params}`;
}

export type PendingSignIn = { state: string; verifier: string };

export type Callback =
  | { kind: "none" }
  | { kind: "code"; code: string; verifier: string }
  | { kind: "error"; message: string };

/** What the page's query string says after the hosted UI sent the browser back. */
export function readCallback(search: string, pending: PendingSignIn | null): Callback {
  const params = new URLSearchParams(search);
  const code = params.get("code");
  const error = params.get("error");
  if (!code && !error) return { kind: "none" };
  if (error) {
    const described = params.get("error_description");
    return {
      kind: "error",
      message: `Sign-in did not complete (${error}${described ? `: ${described}` : ""}). Try again.`,
    };
  }
  if (!pending || params.get("state") !== pending.state) {
    // A code we did not ask for (or from another tab): never exchange it.
    return {
      kind: "error",
      message: "That sign-in link is not from this browser tab, or has been used already. Sign in again.",
    };
  }
  return { kind: "code", code: code as string, verifier: pending.verifier };
}

/** The claims of a JWT, unverified (the API verifies it; the console only reads `exp`). */
export function jwtClaims(token: string): Record<string, unknown> | null {
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  try {
    const padded = parts[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = decodeURIComponent(
      Array.from(atob(padded), (ch) => "%" + ch.charCodeAt(0).toString(16).padStart(2, "0")).join(""),
    );
    const claims = JSON.parse(json);
    return typeof claims === "object" && claims !== null ? claims : null;
  } catch {
    return null;
  }
}

/** Whether the token's `exp` has passed (with `skewSeconds` to spare); no `exp` is not expired. */
export function isExpired(token: string, nowMs: number, skewSeconds = 30): boolean {
  const exp = jwtClaims(token)?.exp;
  return typeof exp === "number" && exp * 1000 <= nowMs + skewSeconds * 1000;
}
