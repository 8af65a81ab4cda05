// The screens' pure parts: request bodies, the routes in the address, aliases.
import { describe, expect, it } from "vitest";
import type { PhoneNumber, Trunk } from "../src/api/types";
import { duration, parseAliases, trunkName } from "../src/lib/format";
import { allowance, splitHostPort, whereItRegisters } from "../src/lib/pbxSide";
import { href, parseRoute, section } from "../src/lib/route";
import { agentBody } from "../src/screens/Agents";
import { agentPatch } from "../src/screens/AgentDetail";
import { mergeNumbers } from "../src/screens/Numbers";
import { createBody, initial, patchBody, portDefault } from "../src/screens/TrunkForm";

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

  it("leaves the port of a trunk found by DNS blank, and sends one typed for it", () => {
    const found = { ...trunk, port_explicit: false };
    expect(initial(found).port).toBe("");
    expect(initial({ ...trunk, port_explicit: true }).port).toBe("5060");
    expect(patchBody(found, { ...values, port: "" })).toEqual({});
    expect(patchBody(found, { ...values, port: "5060" })).toEqual({ port: 5060 });
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

describe("the PBX's side of a trunk", () => {
  const edges = { addresses: ["198.51.100.7", "198.51.100.8"], rtp_port_first: 10000, rtp_port_last: 19999 };

  it("says the port was entered, or found by DNS and how", () => {
    expect(whereItRegisters({ ...trunk, port_explicit: true })).toBe("UDP port 5060 (as entered)");
    expect(whereItRegisters({ ...trunk, port_explicit: false, transport: "tls", port: 5061 })).toBe(
      "TLS, port found by DNS: the SRV records _sips._tcp.pbx.example.com, else 5061",
    );
    // An IP address has no SRV records (RFC 3263): the default port.
    expect(whereItRegisters({ ...trunk, port_explicit: false, domain: "203.0.113.5" })).toBe(
      "UDP, port 5060 (no port entered: the default)",
    );
    expect(whereItRegisters({ ...trunk, outbound_proxy: "proxy.example.net:5070" })).toBe(
      "UDP through the outbound proxy proxy.example.net:5070",
    );
    expect(whereItRegisters({ ...trunk, outbound_proxy: "proxy.example.net", transport: "tcp" })).toBe(
      "TCP through the outbound proxy proxy.example.net, port found by DNS: the SRV records _sip._tcp.proxy.example.net, else 5060",
    );
  });

  it("reads a proxy's host and port, IPv6 in brackets too", () => {
    expect(splitHostPort("[2001:db8::1]:5070")).toEqual({ host: "2001:db8::1", port: "5070" });
    expect(splitHostPort("[2001:db8::1]")).toEqual({ host: "2001:db8::1", port: null });
    expect(splitHostPort("203.0.113.9")).toEqual({ host: "203.0.113.9", port: null });
  });

  it("names the addresses and ports the PBX's firewall must allow", () => {
    const allow = allowance({ ...trunk, port_explicit: true, edge_addresses: edges });
    expect(allow?.addresses).toEqual(["198.51.100.7", "198.51.100.8"]);
    expect(allow?.sip).toBe("SIP: from these addresses to the PBX's SIP port (UDP 5060), and back.");
    expect(allow?.media).toContain("between our ports 10000–19999 on these addresses and the PBX's RTP ports");
    expect(allowance({ ...trunk, port_explicit: false, edge_addresses: edges })?.sip).toContain(
      "the one its SRV records name",
    );
    expect(allowance({ ...trunk, outbound_proxy: "proxy.example.net", edge_addresses: edges })?.sip).toContain(
      "to the outbound proxy proxy.example.net",
    );
    expect(allowance({ ...trunk, port_explicit: false, domain: "203.0.113.5", edge_addresses: edges })?.sip).toBe(
      "SIP: from these addresses to the PBX's SIP port (UDP 5060), and back.",
    );
    const one = { ...edges, addresses: ["127.0.0.1"] };
    expect(allowance({ ...trunk, port_explicit: true, edge_addresses: one })?.media).toContain(
      "on this address and the PBX's RTP ports",
    );
    expect(allowance(trunk)).toBeNull(); // an API that sent none
  });
});
