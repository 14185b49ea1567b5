import { afterEach, describe, expect, it, vi } from "vitest";

import { fromTokens, loadSession, refreshSession, saveSession } from "../session";

const tokens = (n: number) => ({
  access_token: `a${n}`,
  refresh_token: `r${n}`,
  token_type: "bearer" as const,
  expires_in: 900,
  is_tmp_password: false,
});

afterEach(() => {
  vi.restoreAllMocks();
  localStorage.clear();
});

describe("session refresh", () => {
  it("runs one refresh for many callers, because refresh tokens rotate", async () => {
    saveSession({ ...fromTokens(tokens(1)), expiresAt: 0 });
    let calls = 0;
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => {
        calls += 1;
        await new Promise((r) => setTimeout(r, 10));
        return new Response(JSON.stringify(tokens(2)), { status: 200 });
      }),
    );
    const stale = loadSession()!;
    const results = await Promise.all([
      refreshSession(stale),
      refreshSession(stale),
      refreshSession(stale),
    ]);
    expect(calls).toBe(1);
    expect(results.map((s) => s?.accessToken)).toEqual(["a2", "a2", "a2"]);
    expect(loadSession()?.refreshToken).toBe("r2");
  });

  it("reuses a session another tab already refreshed", async () => {
    const stale = { ...fromTokens(tokens(1)), expiresAt: 0 };
    saveSession(fromTokens(tokens(3)));
    const spy = vi.fn();
    vi.stubGlobal("fetch", spy);
    expect((await refreshSession(stale))?.accessToken).toBe("a3");
    expect(spy).not.toHaveBeenCalled();
  });

  it("signs out when the refresh token is refused", async () => {
    saveSession({ ...fromTokens(tokens(1)), expiresAt: 0 });
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => new Response("{}", { status: 401 })),
    );
    expect(await refreshSession(loadSession()!)).toBeNull();
    expect(loadSession()).toBeNull();
  });
});
