// Signing in through the Cognito user pool's hosted UI (authorization code + PKCE): the browser
// side of pkce.ts. The API reads the tenant from the ID token's custom:tenant_id, so the ID
// token is the bearer token (control/chalicelib/auth.py, CognitoVerifier).

import type { CognitoAuth } from "../config";
import { authorizeUrl, codeChallenge, randomString, tokenRequestBody, tokenUrl } from "./pkce";
import { storePending, type Store } from "./session";

export async function startSignIn(
  auth: CognitoAuth,
  store: Store,
  go: (url: string) => void,
  returnTo?: string,
): Promise<void> {
  const state = randomString(32);
  const verifier = randomString(32);
  storePending(store, { state, verifier, returnTo });
  go(authorizeUrl(auth, state, await codeChallenge(verifier)));
}

export class SignInError extends Error {}

export async function exchangeCode(
  auth: CognitoAuth,
  code: string,
  verifier: string,
  fetchImpl: typeof fetch = (input, init) => fetch(input, init),
): Promise<string> {
  let response: Response;
  try {
    response = await fetchImpl(tokenUrl(auth), {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: tokenRequestBody(auth, code, verifier).toString(),
      credentials: "omit",
    });
  } catch {
    throw new SignInError("Cannot reach the sign-in service. Check your connection and sign in again.");
  }
  const body = (await response.json().catch(() => null)) as { id_token?: unknown; error?: unknown } | null;
  if (!response.ok || typeof body?.id_token !== "string") {
    const reason = typeof body?.error === "string" ? ` (${body.error})` : "";
    throw new SignInError(`Sign-in did not complete${reason}. Sign in again.`);
  }
  return body.id_token;
}
