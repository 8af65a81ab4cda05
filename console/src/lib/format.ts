// Times, durations and names as the console shows them.

const dateTime = new Intl.DateTimeFormat(undefined, {
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

export function when(iso: string | null | undefined): string {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateTime.format(date);
}

export function duration(seconds: number): string {
  if (!seconds || seconds < 1) return "0 s";
  const s = Math.round(seconds);
  const minutes = Math.floor(s / 60);
  const rest = s % 60;
  if (minutes === 0) return `${rest} s`;
  return rest === 0 ? `${minutes} min` : `${minutes} min ${rest} s`;
}

export const PBX_TYPES: { value: string; label: string }[] = [
  { value: "3cx", label: "3CX" },
  { value: "yeastar", label: "Yeastar" },
  { value: "freepbx", label: "FreePBX" },
  { value: "asterisk", label: "Asterisk" },
  { value: "grandstream", label: "Grandstream" },
  { value: "other", label: "Other SIP PBX" },
];

export function pbxTypeLabel(value: string): string {
  return PBX_TYPES.find((t) => t.value === value)?.label ?? value;
}

export const TRANSPORTS = [
  { value: "udp", label: "UDP", port: 5060 },
  { value: "tcp", label: "TCP", port: 5060 },
  { value: "tls", label: "TLS (encrypted)", port: 5061 },
];

export function defaultPort(transport: string): number {
  return transport === "tls" ? 5061 : 5060;
}

export function trunkName(trunk: { label: string | null; extension: string; domain: string }): string {
  const where = `ext ${trunk.extension} on ${trunk.domain}`;
  return trunk.label ? `${trunk.label} (${where})` : where;
}

/** Aliases as typed ("billing, accounts" or one per line) into the list the API takes. */
export function parseAliases(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((alias) => alias.trim())
    .filter((alias) => alias !== "");
}

export function percent(confidence: number): string {
  return `${Math.round(confidence * 100)} %`;
}
