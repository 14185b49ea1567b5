// Issue 10 in the UI: what the server now refuses (RE2 patterns, weak passwords) is said at the
// field, and a temporary password holds the app on the change-password page.
import { afterEach, describe, expect, it } from "vitest";

import { holdIfPasswordChangeRequired } from "../../api/client";
import { toApiError } from "../../api/errors";
import { loadSession, saveSession } from "../../api/session";
import { conditionFieldProblem, conditionProblem, regexWarning } from "../conditions";
import { PASSWORD_RULE, passwordProblem } from "../password";

const invalid = (message: string, code = "invalid_input") =>
  toApiError(400, { error: { code, message } });

describe("regex patterns the server's engine refuses", () => {
  it("warns about lookaround and backreferences that JavaScript accepts", () => {
    expect(regexWarning("^(?=.*a)")).toMatch(/^Lookahead \(\(\?=…\) is not supported/);
    expect(regexWarning("foo(?!bar)")).toMatch(/^Lookahead/);
    expect(regexWarning("(?<=@)togglr")).toMatch(/^Lookbehind \(\(\?<=…\)/);
    expect(regexWarning("(?<!x)y")).toMatch(/^Lookbehind/);
    expect(regexWarning("(a)\\1")).toMatch(/^Backreferences such as \\1/);
  });

  it("leaves what RE2 runs alone, escapes included", () => {
    for (const ok of ["@togglr\\.dev$", "^4\\d\\d$", "(?i)abc", "(?:a|b)+", "\\\\1", "(?P<n>x)"]) {
      expect(regexWarning(ok)).toBeNull();
    }
  });

  it("blocks saving such a condition", () => {
    const node = { type: "condition" as const, id: "c", attribute: "email", operator: "regex" };
    expect(conditionProblem({ ...node, value: "(?=a)" })).toMatch(/Lookahead/);
    expect(conditionProblem({ ...node, value: "a+" })).toBeNull();
  });

  it("puts the server's refusal at the field it names, in plain words", () => {
    const e = invalid(
      "rules[1].condition.group.children[0].condition.value: not a regular expression the " +
        "linear-time engine runs (invalid perl operator: (?<); it reads RE2 syntax, without " +
        "backreferences or lookaround (docs/evaluation.md)",
    );
    const problem = conditionFieldProblem(e, "rules[1].condition");
    expect(problem?.at).toBe("group.children[0].condition.value");
    expect(problem?.text).toBe(
      "Value is a pattern the server cannot run (invalid perl operator: (?<): lookahead, " +
        "lookbehind and backreferences are not supported",
    );
    expect(problem?.text).not.toContain("RE2");
    expect(conditionFieldProblem(e, "rules[0].condition")).toBeNull();
    const segment = invalid("condition.condition.value: regular expression too complex: ...");
    expect(conditionFieldProblem(segment, "condition")).toEqual({
      at: "condition.value",
      text: "Value is too complex a pattern: simplify it (large repeats such as {1,500} cost the most)",
    });
  });
});

describe("passwords", () => {
  it("says the real rule, not only a length", () => {
    expect(PASSWORD_RULE).toContain("8 to 256 characters");
    expect(PASSWORD_RULE).toMatch(/hard to guess/);
  });

  it("shows the server's weak_password reason at the field", () => {
    const weak = invalid(
      "password is too easy to guess. This is a top-10 common password. Add another word or two.",
      "weak_password",
    );
    expect(passwordProblem(weak, "new_password")).toBe(
      "Password is too easy to guess. This is a top-10 common password. Add another word or two.",
    );
    expect(
      passwordProblem(
        invalid("new_password: String should have at most 256 characters"),
        "new_password",
      ),
    ).toBe("New password can have at most 256 characters");
    expect(passwordProblem(invalid("email: not an e-mail"), "password")).toBeUndefined();
    expect(passwordProblem(new Error("x"), "password")).toBeUndefined();
  });
});

describe("temporary-password hold", () => {
  afterEach(() => saveSession(null));
  const session = { accessToken: "a", refreshToken: "r", expiresAt: 0, mustChangePassword: false };
  const answer = (code: string) =>
    new Response(JSON.stringify({ error: { code, message: "…" } }), { status: 403 });

  it("marks the session on 403 password_change_required", async () => {
    saveSession(session);
    expect(await holdIfPasswordChangeRequired(answer("password_change_required"))).toBe(true);
    expect(loadSession()?.mustChangePassword).toBe(true);
  });

  it("ignores other 403s", async () => {
    saveSession(session);
    expect(await holdIfPasswordChangeRequired(answer("permission_denied"))).toBe(false);
    expect(loadSession()?.mustChangePassword).toBe(false);
  });
});

describe("known words", () => {
  it("rewrites a bare field id but not one inside a dotted path", async () => {
    const { plainWords } = await import("../../api/errors");
    expect(plainWords("url and user_base_dn are needed")).toBe(
      "the server URL and the user base DN are needed",
    );
    expect(plainWords("send it again when config.url changes")).toBe(
      "send it again when config.url changes",
    );
  });
});
