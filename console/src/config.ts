// The runtime configuration: config.json, served next to index.html by the site
// (smartalex/console_site.py writes it: `make run` locally, the CDK app when deployed).

export type LocalAuth = { mode: "local" };
export type CognitoAuth = {
  mode: "cognito";
  domain: string; // https://<prefix>.auth.<region>.amazoncognito.com
  clientId: string;
  redirectUri: string;
  scopes: string[];
};
export type ConsoleConfig = {
  apiUrl: string;
  stage: string;
  auth: LocalAuth | CognitoAuth;
};

export class ConfigError extends Error {}

function text(value: unknown, name: string): string {
  if (typeof value !== "string" || value.trim() === "") {
    throw new ConfigError(`config.json: ${name} is missing or not a string.`);
  }
  return value.trim();
}

function httpUrl(value: unknown, name: string): string {
  const raw = text(value, name);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`config.json: ${name} is not a URL.`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ConfigError(`config.json: ${name} must be an http(s) URL.`);
  }
  return raw.replace(/\/+$/, "");
}

/** The config, checked; a ConfigError says what is wrong with it. */
export function parseConfig(raw: unknown): ConsoleConfig {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ConfigError("config.json must hold a JSON object.");
  }
  const data = raw as Record<string, unknown>;
  const apiUrl = httpUrl(data.apiUrl, "apiUrl");
  const stage = typeof data.stage === "string" && data.stage ? data.stage : "unknown";
  const auth = (data.auth ?? {}) as Record<string, unknown>;
  if (auth.mode === "local") {
    return { apiUrl, stage, auth: { mode: "local" } };
  }
  if (auth.mode === "cognito") {
    const scopes = Array.isArray(auth.scopes) && auth.scopes.every((s) => typeof s === "string")
      ? (auth.scopes as string[])
      : ["openid", "email"];
    return {
      apiUrl,
      stage,
      auth: {
        mode: "cognito",
        domain: httpUrl(auth.domain, "auth.domain"),
        clientId: text(auth.clientId, "auth.clientId"),
        redirectUri: text(auth.redirectUri, "auth.redirectUri"),
        scopes,
      },
    };
  }
  throw new ConfigError('config.json: auth.mode must be "local" or "cognito".');
}

export async function loadConfig(fetchImpl: typeof fetch = fetch): Promise<ConsoleConfig> {
  let response: Response;
  try {
    response = await fetchImpl("config.json", { cache: "no-store", credentials: "same-origin" });
  } catch {
    throw new ConfigError("The console could not load its settings (config.json). Reload the page.");
  }
  if (!response.ok) {
    throw new ConfigError(
      `The console could not load its settings: config.json answered ${response.status}. ` +
        "It is served next to index.html (make run writes it).",
    );
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new ConfigError("config.json is not valid JSON.");
  }
  return parseConfig(body);
}
