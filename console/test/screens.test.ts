// The screens' pure parts: request bodies, the routes in the address, aliases.
import { describe, expect, it } from "vitest";
import type { PhoneNumber, Trunk } from "../src/api/types";
import { duration, parseAliases, trunkName } from "../src/lib/format";
import { href, parseRoute, section } from "../src/lib/route";
import { agentBody } from "../src/screens/Agents";
import { agentPatch } from "../src/screens/AgentDetail";
import { mergeNumbers } from "../src/screens/Numbers";
import { createBody, patchBody, portDefault } from "../src/screens/TrunkForm";

const trunk: Trunk = {
  id: "trk_1",
  pbx_type: "asterisk",
  domain: "pbx.example.com",
  extension: "1000",
  username: "1000",
  transport: "udp",
  port: 5060,
  tls_verify: true,
  pbx_source_addresses: [],
  label: "Reception",
  generation: 1,
  created_at: "2025-01-31T09:30:00.000Z",
  updated_at: "2025-01-31T09:30:00.000Z",
  registration: { state: "registered", label: "Registered as ext 1000", error: null, sip_code: 200, since: null },
  assignment: { held: true, edge: "edge-1" },
  agent_id: null,
};

const values = {
  pbx_type: "asterisk",
  label: "Reception",
  domain: "pbx.example.com",
  extension: "1000",
  username: "1000",
  password: "",
  transport: "udp",
  port: "5060",
  tls_verify: true,
  pbx_source_addresses: "",
  outbound_proxy: "",
  answer_delay_seconds: "",
};

describe("the trunk form", () => {
  it("creates with what was typed, leaving defaults to the API", () => {
    expect(createBody({ ...values, username: "", label: "", port: "", password: "pw" })).toEqual({
      pbx_type: "asterisk",
      domain: "pbx.example.com",
      extension: "1000",
      password: "pw",
      transport: "udp",
    });
  });

  it("leaves the transport to the PBX type's default unless one is chosen", () => {
    expect(createBody({ ...values, transport: "", password: "pw" })).not.toHaveProperty("transport");
    expect(createBody({ ...values, transport: "tls", password: "pw" })).toMatchObject({ transport: "tls", tls_verify: true });
  });

  it("shows the port the API will use", () => {
    const preset = {
      type: "freepbx" as const, name: "FreePBX", default_transport: "udp" as const, default_port: 5160,
      auth_id_differs: false, credentials: "", transfers: "", outside_network: null, quirks: [], guide: "",
    };
    expect(portDefault("", preset)).toBe(5160);
    expect(portDefault("udp", preset)).toBe(5160);
    expect(portDefault("tls", preset)).toBe(5061);
    expect(portDefault("", undefined)).toBe(5060);
  });

  it("sends a port as a number, and anything else as typed so the API names the field", () => {
    expect(createBody({ ...values, port: "5080" }).port).toBe(5080);
    expect(createBody({ ...values, port: "50a" }).port).toBe("50a");
  });

  it("patches only what changed; a blank password is unchanged", () => {
    expect(patchBody(trunk, values)).toEqual({});
    expect(patchBody(trunk, { ...values, password: "new" })).toEqual({ password: "new" });
    expect(patchBody(trunk, { ...values, label: "" })).toEqual({ label: null });
    expect(patchBody(trunk, { ...values, username: "" })).toEqual({}); // blank is the extension
    expect(patchBody(trunk, { ...values, username: "3cx-auth-id" })).toEqual({ username: "3cx-auth-id" });
  });

  it("sends a ring-before-answer delay and an outbound proxy, and clears the proxy with null", () => {
    expect(createBody({ ...values, answer_delay_seconds: "8", outbound_proxy: " edge.example.com " })).toMatchObject({
      answer_delay_seconds: 8,
      outbound_proxy: "edge.example.com",
    });
    expect(patchBody(trunk, { ...values, answer_delay_seconds: "12" })).toEqual({ answer_delay_seconds: 12 });
    const proxied = { ...trunk, outbound_proxy: "edge.example.com:5070" };
    expect(patchBody(proxied, { ...values, outbound_proxy: "" })).toEqual({ outbound_proxy: null });
  });

  it("lets the API move the port when only the transport changes", () => {
    expect(patchBody(trunk, { ...values, transport: "tls" })).toEqual({ transport: "tls" });
    expect(patchBody(trunk, { ...values, transport: "tls", port: "5071" })).toEqual({ transport: "tls", port: 5071 });
  });
});

describe("agents", () => {
  const agent = {
    id: "agt_1",
    name: "Front desk",
    kind: "receptionist" as const,
    stream_url: null,
    greeting: "Hello",
    trunk_id: null,
    created_at: "",
    updated_at: "",
  };

  it("creates with the fields of its kind only", () => {
    expect(agentBody({ name: "A", kind: "receptionist", stream_url: "wss://x", greeting: "" })).toEqual({ name: "A", kind: "receptionist" });
    expect(agentBody({ name: "A", kind: "media_stream", stream_url: " wss://x ", greeting: "hi" })).toEqual({
      name: "A",
      kind: "media_stream",
      stream_url: "wss://x",
    });
  });

  it("patches what changed; a blank greeting goes back to the default", () => {
    const same = { name: "Front desk", kind: "receptionist", stream_url: "", greeting: "Hello" };
    expect(agentPatch(agent, same)).toEqual({});
    expect(agentPatch(agent, { ...same, greeting: "" })).toEqual({ greeting: null });
    expect(agentPatch(agent, { ...same, kind: "media_stream", stream_url: "wss://a" })).toEqual({
      kind: "media_stream",
      stream_url: "wss://a",
    });
  });
});

describe("the address", () => {
  it("names each screen, and reads back what it wrote", () => {
    const routes = [
      { screen: "numbers" },
      { screen: "connect-carrier" },
      { screen: "trunks" },
      { screen: "trunk", id: "trk_1", tab: "status" },
      { screen: "trunk", id: "trk_1", tab: "directory" },
      { screen: "agents" },
      { screen: "agent", id: "agt_1", tab: "telephony" },
      { screen: "settings" },
    ] as const;
    for (const route of routes) expect(parseRoute(href(route))).toEqual(route);
    expect(section({ screen: "connect-carrier" })).toBe("numbers");
  });

  it("shows the phone numbers for an unknown or empty address", () => {
    expect(parseRoute("")).toEqual({ screen: "numbers" });
    expect(parseRoute("#/nowhere")).toEqual({ screen: "numbers" });
  });
});

describe("small words", () => {
  it("splits aliases on commas and lines", () => {
    expect(parseAliases("billing, accounts\n invoices ,,")).toEqual(["billing", "accounts", "invoices"]);
  });

  it("writes durations", () => {
    expect([0, 5, 60, 62].map(duration)).toEqual(["0 s", "5 s", "1 min", "1 min 2 s"]);
  });

  it("names a trunk by its label and where it registers", () => {
    expect(trunkName(trunk)).toBe("Reception (ext 1000 on pbx.example.com)");
    expect(trunkName({ ...trunk, label: null })).toBe("ext 1000 on pbx.example.com");
  });

  it("keeps a number just bound until the lagging list has it, and drops one just unbound", () => {
    const n = (id: string, at: string) => ({ id, created_at: at }) as PhoneNumber;
    const listed = [n("a", "1"), n("b", "2")];
    expect(mergeNumbers(listed, [n("c", "3")], new Set(["a"])).map((x) => x.id)).toEqual(["b", "c"]);
    expect(mergeNumbers(listed, [n("b", "2")], new Set()).map((x) => x.id)).toEqual(["a", "b"]);
  });
});
