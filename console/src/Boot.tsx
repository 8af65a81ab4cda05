// Start-up: read config.json, then get a bearer token: from the URL fragment locally
// (make run's CONSOLE_URL), from Cognito's hosted UI in deployed stages.

import { useEffect, useMemo, useState } from "react";
import { App } from "./App";
import { createApi } from "./api/client";
import { exchangeCode, startSignIn } from "./auth/cognito";
import { isExpired, logoutUrl, readCallback } from "./auth/pkce";
import { forgetToken, fragmentToken, storedToken, storeToken, takePending } from "./auth/session";
import { Alert, Button, Loading } from "./components/ui";
import { loadConfig, type CognitoAuth, type ConsoleConfig } from "./config";
import { messageOf } from "./lib/fields";

type State =
  | { kind: "loading" }
  | { kind: "broken"; message: string }
  | { kind: "no-token"; config: ConsoleConfig; expired: boolean }
  | { kind: "sign-in"; config: ConsoleConfig & { auth: CognitoAuth }; message: string | null }
  | { kind: "ready"; config: ConsoleConfig; token: string };

function cleanUrl(): string {
  return window.location.pathname;
}

async function boot(): Promise<State> {
  const config = await loadConfig();
  const store = window.sessionStorage;
  const now = Date.now();
  if (config.auth.mode === "local") {
    const fromFragment = fragmentToken(window.location.hash);
    if (fromFragment) {
      storeToken(store, fromFragment);
      // Not left in the address bar, the history or a bookmark.
      window.history.replaceState(null, "", cleanUrl() + window.location.search);
    }
    const token = storedToken(store);
    if (!token) return { kind: "no-token", config, expired: false };
    if (isExpired(token, now)) {
      forgetToken(store);
      return { kind: "no-token", config, expired: true };
    }
    return { kind: "ready", config, token };
  }
  const cognito = config as ConsoleConfig & { auth: CognitoAuth };
  const search = window.location.search;
  const params = new URLSearchParams(search);
  if (params.has("code") || params.has("error")) {
    const pending = takePending(store);
    const callback = readCallback(search, pending);
    window.history.replaceState(null, "", cleanUrl() + (pending?.returnTo ?? ""));
    if (callback.kind === "error") return { kind: "sign-in", config: cognito, message: callback.message };
    if (callback.kind === "code") {
      try {
        const token = await exchangeCode(cognito.auth, callback.code, callback.verifier);
        storeToken(store, token);
        return { kind: "ready", config, token };
      } catch (error) {
        return { kind: "sign-in", config: cognito, message: messageOf(error) };
      }
    }
  }
  const token = storedToken(store);
  if (token && !isExpired(token, now)) return { kind: "ready", config, token };
  if (token) forgetToken(store);
  return { kind: "sign-in", config: cognito, message: token ? "Your session ended. Sign in again." : null };
}

function Frame(props: { children: React.ReactNode }) {
  return (
    <main className="boot" id="main">
      <p className="brand brand--boot">SmartAlex</p>
      {props.children}
    </main>
  );
}

export function Boot() {
  const [state, setState] = useState<State>({ kind: "loading" });

  useEffect(() => {
    let live = true;
    boot()
      .then((s) => live && setState(s))
      .catch((error) => live && setState({ kind: "broken", message: messageOf(error) }));
    return () => {
      live = false;
    };
  }, []);

  const ready = state.kind === "ready" ? state : null;
  const api = useMemo(() => {
    if (!ready) return null;
    return createApi({
      baseUrl: ready.config.apiUrl,
      token: () => storedToken(window.sessionStorage),
      onUnauthorized: () => {
        forgetToken(window.sessionStorage);
        if (ready.config.auth.mode === "local") setState({ kind: "no-token", config: ready.config, expired: true });
        else
          setState({
            kind: "sign-in",
            config: ready.config as ConsoleConfig & { auth: CognitoAuth },
            message: "Your session ended. Sign in again.",
          });
      },
    });
  }, [ready]);

  switch (state.kind) {
    case "loading":
      return (
        <Frame>
          <Loading>Starting the console…</Loading>
        </Frame>
      );
    case "broken":
      return (
        <Frame>
          <h1>The console cannot start</h1>
          <Alert>{state.message}</Alert>
        </Frame>
      );
    case "no-token":
      return (
        <Frame>
          <h1>{state.expired ? "Your sign-in link has expired" : "Open the console from make run"}</h1>
          <Alert kind="info">
            <p>
              {state.expired
                ? "The token this tab was opened with is no longer accepted."
                : "This page needs the sign-in link for the local stage."}{" "}
              Open the <code>CONSOLE_URL</code> that <code>make run</code> prints: it signs you in as the demo
              tenant. For another tenant, add <code>#token=</code> and a token from <code>make token TENANT=acme</code>{" "}
              to this page's address.
            </p>
          </Alert>
        </Frame>
      );
    case "sign-in":
      return (
        <Frame>
          <h1>Sign in to SmartAlex</h1>
          {state.message ? <Alert>{state.message}</Alert> : null}
          <p>You sign in on the SmartAlex sign-in page and come back here.</p>
          <Button
            variant="primary"
            onClick={() =>
              void startSignIn(
                state.config.auth,
                window.sessionStorage,
                (url) => window.location.assign(url),
                window.location.hash || undefined,
              )
            }
          >
            Sign in
          </Button>
        </Frame>
      );
    case "ready":
      return (
        <App
          config={state.config}
          api={api!}
          onSignOut={
            state.config.auth.mode === "cognito"
              ? () => {
                  forgetToken(window.sessionStorage);
                  window.location.assign(logoutUrl(state.config.auth as CognitoAuth));
                }
              : null
          }
        />
      );
  }
}
