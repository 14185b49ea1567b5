import { describe, expect, it } from "vitest";

import { ApiError, describeError, plainWords, toApiError } from "../errors";

const invalid = (message: string) => toApiError(400, { error: { code: "invalid_input", message } });

describe("API errors", () => {
  it("keeps the server's code and message and splits off the field", () => {
    const e = toApiError(400, {
      error: { code: "invalid_input", message: "rules[0].condition.value: needs a number" },
    });
    expect(e).toBeInstanceOf(ApiError);
    expect(e.code).toBe("invalid_input");
    expect(e.field).toBe("rules[0].condition.value");
    expect(e.detail).toBe("needs a number");
  });

  it("puts the schema library's messages in plain words", () => {
    expect(
      describeError(invalid("key: String should match pattern '^[A-Za-z0-9_:@!#$.-]+$'")),
    ).toBe("Key contains characters that are not allowed");
    expect(invalid("name: String should have at least 1 character").detail).toBe("cannot be empty");
    expect(describeError(invalid("query.status: Input should be 'pending' or 'approved'"))).toBe(
      "Status must be 'pending' or 'approved'",
    );
    expect(describeError(invalid("url and user_base_dn are needed to test a connection"))).toBe(
      "The server URL and the user base DN are needed to test a connection",
    );
    expect(
      plainWords(
        "starts_at (2026-01-02T00:00:00+00:00) must be before ends_at (2026-01-01T00:00:00+00:00)",
      ),
    ).toBe("the start must be before the end");
  });

  it("says something plain when the body is not ours", () => {
    expect(describeError(toApiError(502, "<html>"))).toMatch(/server had a problem/);
    expect(describeError(toApiError(403, null))).toMatch(/permission/);
    expect(describeError(new TypeError("Failed to fetch"))).toMatch(/Cannot reach/);
  });
});
