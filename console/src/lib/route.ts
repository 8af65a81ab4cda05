// Which screen the address shows, in the fragment (#/numbers, #/trunks/trk_…): the site serves
// one index.html, and the local token's own fragment (#token=…) is gone before this reads it.

export type Route =
  | { screen: "numbers" }
  | { screen: "connect-carrier" }
  | { screen: "trunks" }
  | { screen: "trunk"; id: string; tab: "status" | "directory" }
  | { screen: "agents" }
  | { screen: "agent"; id: string; tab: "general" | "telephony" }
  | { screen: "settings" };

export const DEFAULT_ROUTE: Route = { screen: "numbers" };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  const [first, id, tab] = parts;
  switch (first) {
    case "numbers":
      return id === "connect-carrier" ? { screen: "connect-carrier" } : { screen: "numbers" };
    case "trunks":
      if (id) return { screen: "trunk", id, tab: tab === "directory" ? "directory" : "status" };
      return { screen: "trunks" };
    case "agents":
      if (id) return { screen: "agent", id, tab: tab === "telephony" ? "telephony" : "general" };
      return { screen: "agents" };
    case "settings":
      return { screen: "settings" };
    default:
      return DEFAULT_ROUTE;
  }
}

export function href(route: Route): string {
  switch (route.screen) {
    case "numbers":
      return "#/numbers";
    case "connect-carrier":
      return "#/numbers/connect-carrier";
    case "trunks":
      return "#/trunks";
    case "trunk":
      return `#/trunks/${encodeURIComponent(route.id)}${route.tab === "directory" ? "/directory" : ""}`;
    case "agents":
      return "#/agents";
    case "agent":
      return `#/agents/${encodeURIComponent(route.id)}${route.tab === "telephony" ? "/telephony" : ""}`;
    case "settings":
      return "#/settings";
  }
}

/** The top-level section a route belongs to, for the navigation's aria-current. */
export function section(route: Route): "numbers" | "trunks" | "agents" | "settings" {
  switch (route.screen) {
    case "numbers":
    case "connect-carrier":
      return "numbers";
    case "trunks":
    case "trunk":
      return "trunks";
    case "agents":
    case "agent":
      return "agents";
    case "settings":
      return "settings";
  }
}
