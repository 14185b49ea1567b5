import { describe, expect, it } from "vitest";

import { ApiError, describeError, toApiError } from "../errors";

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

  it("says something plain when the body is not ours", () => {
    expect(describeError(toApiError(502, "<html>"))).toMatch(/server had a problem/);
    expect(describeError(toApiError(403, null))).toMatch(/permission/);
    expect(describeError(new TypeError("Failed to fetch"))).toMatch(/Cannot reach/);
  });
});
