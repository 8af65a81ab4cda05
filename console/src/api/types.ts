// What the control API answers (control/chalicelib/render*.py; GET /v1/openapi.json).

export type RegistrationState = "connecting" | "registered" | "failed";
export type Transport = "udp" | "tcp" | "tls";
export type PbxType = "3cx" | "yeastar" | "freepbx" | "asterisk" | "grandstream" | "other";

export type Registration = {
  state: RegistrationState;
  label: string;
  error: string | null;
  warning?: string | null;
  sip_code: number | null;
  since: string | null;
  last_attempt_at?: string | null;
  expires_at?: string | null;
};

export type Trunk = {
  id: string;
  pbx_type: PbxType;
  domain: string;
  extension: string;
  username: string;
  transport: Transport;
  port: number;
  tls_verify: boolean;
  pbx_source_addresses: string[];
  port_explicit?: boolean;
  outbound_proxy?: string | null;
  answer_delay_seconds?: number;
  edge_addresses?: { addresses: string[]; rtp_port_first: number; rtp_port_last: number };
  label: string | null;
  generation: number;
  created_at: string;
  updated_at: string;
  registration: Registration;
  assignment: { held: boolean; edge: string | null };
  agent_id: string | null;
};

export type AgentKind = "receptionist" | "media_stream";

export type Agent = {
  id: string;
  name: string;
  kind: AgentKind;
  stream_url: string | null;
  greeting: string | null;
  trunk_id: string | null;
  created_at: string;
  updated_at: string;
};

export type NewAgent = Agent & { signing_secret: string };

export type DirectoryEntry = { extension: string; display_name: string; aliases: string[] };

export type Candidate = { extension: string; display_name: string; matched: string; confidence: number };

export type Resolution = {
  match: Candidate | null;
  verdict: "match" | "ambiguous" | "no_match" | "empty";
  candidates: Candidate[];
};

export type PhoneNumber = {
  id: string;
  e164: string;
  display: string;
  label: string | null;
  trunk_id: string;
  extension: string;
  agent_id: string;
  agent_name: string | null;
  routing: string;
  created_at: string;
};

export type DiagnosticsCall = {
  started_at: string;
  caller: { number: string | null; name: string | null };
  duration_seconds: number;
  outcome: string;
  label: string;
  problem: boolean; // something for the admin to look at (the API decides which outcomes are)
  transfer_target: string | null;
  count?: number; // identical unanswered calls in a row, shown as one row
  first_started_at?: string;
};

export type DiagnosticsError = {
  at: string;
  source: string;
  message: string;
  hint: string | null;
  count?: number; // the same error in a row, shown as one row
  first_at?: string;
};

export type Diagnostics = {
  trunk_id: string;
  number_id: string | null;
  e164: string | null;
  display: string | null;
  calls_of: "number" | "trunk";
  health: {
    assignment: { held: boolean; edge: string | null; since: string | null };
    registration: Registration | null;
    credentials_valid: "yes" | "no" | "not yet known";
    last_call_at: string | null;
  };
  calls: DiagnosticsCall[];
  errors: DiagnosticsError[];
  window_start: string;
  generated_at: string;
};

export type Settings = { default_country: string | null; updated_at: string | null };

export type PbxPreset = {
  type: PbxType;
  name: string;
  default_transport: Transport;
  default_port: number;
  auth_id_differs: boolean;
  credentials: string;
  transfers: string;
  outside_network: string | null;
  quirks: string[];
  guide: string;
};
