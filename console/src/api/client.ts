// The one way the console talks to the control API: JSON, a bearer token, and errors in the
// API's format, `{"error": {"code", "message", "field"}}` (control/chalicelib/errors.py).

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | null;

  constructor(status: number, code: string, message: string, field: string | null = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

export type ApiOptions = {
  baseUrl: string;
  token: () => string | null;
  /** Called on a 401: the token expired or is not trusted. */
  onUnauthorized?: (error: ApiError) => void;
  fetchImpl?: typeof fetch;
};

export type Api = {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  put<T>(path: string, body: unknown): Promise<T>;
  patch<T>(path: string, body: unknown): Promise<T>;
  del(path: string): Promise<void>;
};

/** The ApiError an answer stands for (a body in another format still gets a plain message). */
export function errorFromBody(status: number, body: unknown): ApiError {
  const error = (body as { error?: unknown } | null)?.error as
    | { code?: unknown; message?: unknown; field?: unknown }
    | undefined;
  if (error && typeof error.message === "string") {
    return new ApiError(
      status,
      typeof error.code === "string" ? error.code : "error",
      error.message,
      typeof error.field === "string" && error.field ? error.field : null,
    );
  }
  return new ApiError(
    status,
    "unexpected",
    status >= 500
      ? "Something went wrong on our side; nothing was changed if the request did not complete. Try again."
      : `The API answered ${status} without saying why. Try again.`,
  );
}

export function createApi(options: ApiOptions): Api {
  const fetchImpl = options.fetchImpl ?? ((input, init) => fetch(input, init));
  const base = options.baseUrl.replace(/\/+$/, "");

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: "application/json" };
    const token = options.token();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response: Response;
    try {
      response = await fetchImpl(base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "omit",
        cache: "no-store",
      });
    } catch {
      throw new ApiError(
        0,
        "unreachable",
        `Cannot reach the API at ${base}. Check your connection; locally, check that make run is still running.`,
      );
    }
    if (response.status === 204) return undefined as T;
    let parsed: unknown = null;
    const text = await response.text();
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = null;
      }
    }
    if (!response.ok) {
      const error = errorFromBody(response.status, parsed);
      if (response.status === 401) options.onUnauthorized?.(error);
      throw error;
    }
    return parsed as T;
  }

  return {
    get: (path) => call("GET", path),
    post: (path, body) => call("POST", path, body),
    put: (path, body) => call("PUT", path, body),
    patch: (path, body) => call("PATCH", path, body),
    del: (path) => call("DELETE", path),
  };
}

/** Path segments are ids and extensions from the API; encode them anyway. */
export function p(strings: TemplateStringsArray, ...values: string[]): string {
  return strings.reduce((out, part, i) => out + part + (i < values.length ? encodeURIComponent(values[i]) : ""), "");
}
