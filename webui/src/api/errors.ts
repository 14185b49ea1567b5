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

  /** The message without its field path, in plain words, for showing right under that field. */
  get detail(): string {
    const field = this.field;
    return plainWords(field ? this.message.slice(field.length + 1).trim() : this.message);
  }
}

// Validation messages of the API's schema library, and the field names inside messages, in the
// words a person uses. Each phrase completes a sentence that starts with the field's name.
const PHRASES: [RegExp, string][] = [
  [/^String should match pattern .*$/s, "contains characters that are not allowed"],
  [/^String should have at least 1 characters?$/, "cannot be empty"],
  [/^String should have at least (\d+) characters?$/, "needs at least $1 characters"],
  [/^String should have at most (\d+) characters?$/, "can have at most $1 characters"],
  [/^List should have at most (\d+) items?.*$/, "can have at most $1 items"],
  [/^Field required$/, "is required"],
  [/^Input should be a valid integer.*$/, "must be a whole number"],
  [/^Input should be a valid number.*$/, "must be a number"],
  [/^Input should be a valid boolean.*$/, "must be true or false"],
  [/^Input should be a valid (datetime|date).*$/, "must be a date and time"],
  [/^Input should be less than or equal to (\S+)$/, "must be at most $1"],
  [/^Input should be greater than or equal to (\S+)$/, "must be at least $1"],
  [/^Input should be less than (\S+)$/, "must be less than $1"],
  [/^Input should be greater than (\S+)$/, "must be more than $1"],
  [/^Input should be (.+)$/, "must be $1"],
  [/^Value error, (.+)$/, "$1"],
  // The regex operator's engine (RE2, docs/evaluation.md "Regular expressions").
  [
    /^not a regular expression the linear-time engine runs \((.*)\); it reads RE2 syntax.*$/s,
    "is a pattern the server cannot run ($1): lookahead, lookbehind and backreferences are not supported",
  ],
  [
    /^regular expression too complex.*$/s,
    "is too complex a pattern: simplify it (large repeats such as {1,500} cost the most)",
  ],
];
const STARTS_A_SENTENCE = /^(contains|cannot|needs|can|is|must) /;

const WORDS: Record<string, string> = {
  starts_at: "the start",
  ends_at: "the end",
  user_base_dn: "the user base DN",
  bind_dn: "the bind DN",
  url: "the server URL",
  Url: "The server URL",
};

// Not inside a dotted path: `config.url` names a setting the user types as such.
const KNOWN_WORDS = new RegExp(`(?<![.\\w])(${Object.keys(WORDS).join("|")})\\b`, "g");

/** A server message in plain words: no patterns, no field ids, no timestamps. */
export function plainWords(message: string): string {
  let text = message.trim();
  for (const [pattern, phrase] of PHRASES) {
    if (pattern.test(text)) {
      text = text.replace(pattern, phrase);
      break;
    }
  }
  return text
    .replace(/ \(\d{4}-\d\d-\d\dT[^)]*\)/g, "") // "starts_at (2026-…) must be…"
    .replace(KNOWN_WORDS, (w) => WORDS[w] ?? w); // only known ids: keys like new_checkout stay
}

/** The last part of a field path as words: `rules[0].condition.value` → "value". */
function fieldWords(field: string): string {
  const last = field.split(".").pop() ?? field;
  const name = last.replace(/\[\d+\]$/, "");
  return (WORDS[name] ?? name.replace(/_/g, " ")).replace(/^the /, "");
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
    const field = error.field;
    const detail = error.detail;
    const text = !field
      ? detail
      : STARTS_A_SENTENCE.test(detail)
        ? `${fieldWords(field)} ${detail}`
        : `${fieldWords(field)}: ${detail}`;
    return text.charAt(0).toUpperCase() + text.slice(1);
  }
  if (error instanceof TypeError) return "Cannot reach the server. Check your connection.";
  if (error instanceof Error) return error.message;
  return "Something went wrong.";
}
