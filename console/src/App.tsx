import { useCallback, useEffect, useMemo, useState } from "react";
import type { Api } from "./api/client";
import { jwtClaims } from "./auth/pkce";
import { storedToken } from "./auth/session";
import type { ConsoleConfig } from "./config";
import { Console } from "./context";
import { href, parseRoute, section, type Route } from "./lib/route";
import { AgentDetail } from "./screens/AgentDetail";
import { Agents } from "./screens/Agents";
import { ConnectCarrier } from "./screens/ConnectCarrier";
import { Numbers } from "./screens/Numbers";
import { Settings } from "./screens/Settings";
import { TrunkDetail } from "./screens/TrunkDetail";
import { Trunks } from "./screens/Trunks";

const SECTIONS = [
  { key: "numbers", label: "Phone Numbers", route: { screen: "numbers" } },
  { key: "trunks", label: "PBX Settings", route: { screen: "trunks" } },
  { key: "agents", label: "Agents", route: { screen: "agents" } },
  { key: "settings", label: "Settings", route: { screen: "settings" } },
] as const satisfies readonly { key: string; label: string; route: Route }[];

function Screen(props: { route: Route }) {
  const r = props.route;
  switch (r.screen) {
    case "numbers":
      return <Numbers />;
    case "connect-carrier":
      return <ConnectCarrier />;
    case "trunks":
      return <Trunks />;
    case "trunk":
      return <TrunkDetail key={r.id} id={r.id} tab={r.tab} />;
    case "agents":
      return <Agents />;
    case "agent":
      return <AgentDetail key={r.id} id={r.id} tab={r.tab} />;
    case "settings":
      return <Settings />;
  }
}

function screenKey(route: Route): string {
  return route.screen === "trunk" || route.screen === "agent" ? `${route.screen}:${route.id}` : route.screen;
}

export function App(props: { config: ConsoleConfig; api: Api; onSignOut: (() => void) | null }) {
  const [route, setRoute] = useState<Route>(() => parseRoute(window.location.hash));

  useEffect(() => {
    const onHash = () => {
      document.body.dataset.navigated = "yes";
      setRoute(parseRoute(window.location.hash));
    };
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);

  const navigate = useCallback((next: Route, options?: { replace?: boolean }) => {
    document.body.dataset.navigated = "yes";
    if (options?.replace) {
      window.history.replaceState(null, "", href(next));
      setRoute(next);
    } else {
      window.location.hash = href(next); // hashchange sets the route
    }
  }, []);

  const context = useMemo(() => ({ api: props.api, config: props.config, navigate }), [props.api, props.config, navigate]);
  const current = section(route);
  const tenant = useMemo(() => {
    const claims = jwtClaims(storedToken(window.sessionStorage) ?? "");
    const value = claims?.tenant ?? claims?.["custom:tenant_id"];
    return typeof value === "string" ? value : null;
  }, []);

  return (
    <Console.Provider value={context}>
      <a className="skip-link" href="#main" onClick={(e) => {
        e.preventDefault();
        document.getElementById("main")?.focus();
      }}>
        Skip to main content
      </a>
      <header className="header">
        <div className="header-inner">
          <a className="brand" href={href({ screen: "numbers" })}>
            SmartAlex
          </a>
          {props.config.stage !== "prod" ? (
            <span className="stage" title="Which SmartAlex environment this console manages">
              {props.config.stage}
            </span>
          ) : null}
          <nav aria-label="Main" className="nav">
            <ul>
              {SECTIONS.map((s) => (
                <li key={s.key}>
                  <a href={href(s.route)} aria-current={current === s.key ? "page" : undefined}>
                    {s.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          {tenant ? <span className="signed-in">Tenant: {tenant}</span> : null}
          {props.onSignOut ? (
            <button type="button" className="button button--secondary sign-out" onClick={props.onSignOut}>
              Sign out
            </button>
          ) : null}
        </div>
      </header>
      <main id="main" className="main" tabIndex={-1}>
        <Screen key={screenKey(route)} route={route} />
      </main>
    </Console.Provider>
  );
}
