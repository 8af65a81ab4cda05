// What the PBX's admin needs to know about our side: where the edge sends its requests (the
// port as entered, or found by DNS: docs/registration.md), and which of our addresses and ports
// to allow through the PBX's firewall (the trunk's edge_addresses, docs/api.md).

import type { Transport, Trunk } from "../api/types";

// RFC 3263's SRV service of each transport (edge/resolver.py SRV_SERVICES).
const SRV_SERVICE: Record<Transport, string> = { udp: "_sip._udp", tcp: "_sip._tcp", tls: "_sips._tcp" };

/** "host:port" or "[v6]:port" (as the API validates outbound_proxy) into host and port. */
export function splitHostPort(value: string): { host: string; port: string | null } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(value);
  if (bracketed) return { host: bracketed[1], port: bracketed[2] ?? null };
  const plain = /^([^:]+)(?::(\d+))?$/.exec(value);
  return plain ? { host: plain[1], port: plain[2] ?? null } : { host: value, port: null };
}

/** An IP address rather than a name: RFC 3263 looks up no SRV record for it. */
function isAddress(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(":");
}

function found(transport: Transport, host: string, port: number): string {
  if (isAddress(host)) return `port ${port} (no port entered: the default)`;
  return `port found by DNS: the SRV records ${SRV_SERVICE[transport]}.${host}, else ${port}`;
}

/** Where REGISTERs and calls go, after the domain: "UDP port 5060 (as entered)", or the port
 *  found by DNS when the trunk gave none, and the outbound proxy when there is one. */
export function whereItRegisters(t: Trunk): string {
  const transport = t.transport.toUpperCase();
  if (t.outbound_proxy) {
    const proxy = splitHostPort(t.outbound_proxy);
    const port = proxy.port ? "" : `, ${found(t.transport, proxy.host, t.port)}`;
    return `${transport} through the outbound proxy ${t.outbound_proxy}${port}`;
  }
  if (t.port_explicit === false) return `${transport}, ${found(t.transport, t.domain, t.port)}`;
  return `${transport} port ${t.port} (as entered)`;
}

export type Allowance = {
  addresses: string[]; // empty: the deployment did not name them
  sip: string;
  media: string;
};

/** What to allow on the PBX's firewall for this trunk, in words; null when the API sent no
 *  edge_addresses (an older API). */
export function allowance(t: Trunk): Allowance | null {
  const e = t.edge_addresses;
  if (!e) return null;
  const to = t.outbound_proxy
    ? `the outbound proxy ${t.outbound_proxy}`
    : t.port_explicit === false && !isAddress(t.domain)
      ? `the PBX's SIP port (${t.transport.toUpperCase()}, the one its SRV records name)`
      : `the PBX's SIP port (${t.transport.toUpperCase()} ${t.port})`;
  const these = e.addresses.length === 1 ? "this address" : "these addresses";
  return {
    addresses: e.addresses,
    sip: `SIP: from ${these} to ${to}, and back.`,
    media: `Audio (RTP and RTCP, UDP): between our ports ${e.rtp_port_first}–${e.rtp_port_last} on ${these} and the PBX's RTP ports, both ways.`,
  };
}
