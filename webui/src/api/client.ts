// The typed API client: openapi-fetch over the generated schema, with the bearer token added
// and refreshed transparently, and failures turned into ApiError.
import createClient, { type Middleware } from "openapi-fetch";
import type { paths } from "./schema";
import { toApiError } from "./errors";
import { loadSession, refreshSession, saveSession, validSession } from "./session";

// A copy of each request, so one that meets a 401 can be replayed with its body.
const copies = new WeakMap<Request, Request>();

/** A temporary password holds every call (403 `password_change_required`): mark the session, so
 * the app sends the user to the change-password page whatever screen made the call. */
export async function holdIfPasswordChangeRequired(response: Response): Promise<boolean> {
  const body: unknown = await response
    .clone()
    .json()
    .catch(() => null);
  const code = (body as { error?: { code?: unknown } } | null)?.error?.code;
  if (code !== "password_change_required") return false;
  const session = loadSession();
  if (session && !session.mustChangePassword) saveSession({ ...session, mustChangePassword: true });
  return true;
}

const auth: Middleware = {
  async onRequest({ request }) {
    if (request.url.includes("/api/v1/auth/")) return request;
    const session = await validSession();
    if (session) request.headers.set("Authorization", `Bearer ${session.accessToken}`);
    copies.set(request, request.clone());
    return request;
  },
  async onResponse({ request, response }) {
    if (response.status === 403) {
      await holdIfPasswordChangeRequired(response);
      return response;
    }
    if (response.status !== 401 || request.url.includes("/api/v1/auth/")) return response;
    // The access token died early (e.g. server restart with a new secret): refresh once, retry.
    const stale = loadSession();
    const fresh = stale ? await refreshSession({ ...stale, expiresAt: 0 }) : null;
    if (!fresh) {
      saveSession(null);
      return response;
    }
    const retry = copies.get(request) ?? request;
    retry.headers.set("Authorization", `Bearer ${fresh.accessToken}`);
    return fetch(retry);
  },
};

export const api = createClient<paths>({ baseUrl: "" });
api.use(auth);

type Result<T> = { data?: T; error?: unknown; response: Response };

/** Unwrap an openapi-fetch result: the data, or throw an ApiError with the server's message. */
export async function unwrap<T>(call: Promise<Result<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw toApiError(response.status, error ?? null);
  return data as T;
}
