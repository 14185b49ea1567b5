// The server answers every failure as {"error": {"code", "message"}}; this turns it into one
// Error type the screens can show next to the field or action that caused it.

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** Extra fields of the error body, e.g. `session_id` of a 2fa_required answer. */
  readonly extra: Record<string, unknown>;

  constructor(status: number, code: string, message: string, extra: Record<string, unknown> = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.extra = extra;
  }

  /** The field path a validation message starts with, e.g. `rules[0].condition.value`. */
  get field(): string | null {
    const match = /^([A-Za-z_][\w.[\]]*):\s/.exec(this.message);
    return match?.[1] ?? null;
  }

  /** The message without its field path, for showing right under that field. */
  get detail(): string {
    const field = this.field;
    return field ? this.message.slice(field.length + 1).trim() : this.message;
  }
}

const FRIENDLY: Record<number, string> = {
  401: "Your session has ended. Please sign in again.",
  403: "You do not have permission to do this.",
  429: "Too many requests. Wait a moment and try again.",
};

export function toApiError(status: number, body: unknown): ApiError {
  const err = (body as { error?: Record<string, unknown> } | null)?.error;
  if (err && typeof err.message === "string") {
    const { code, message, ...extra } = err;
    return new ApiError(
      status,
      typeof code === "string" ? code : "error",
      message as string,
      extra,
    );
  }
  if (status >= 500) {
    return new ApiError(status, "server_error", "The server had a problem. Try again in a moment.");
  }
  return new ApiError(status, "error", FRIENDLY[status] ?? `Request failed (HTTP ${status}).`);
}

/** Plain words for any thrown value. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 403 && error.message === "permission denied") return FRIENDLY[403]!;
    return error.message.charAt(0).toUpperCase() + error.message.slice(1);
  }
  if (error instanceof TypeError) return "Cannot reach the server. Check your connection.";
  if (error instanceof Error) return error.message;
  return "Something went wrong.";
}
