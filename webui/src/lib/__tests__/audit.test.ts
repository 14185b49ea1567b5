import { describe, expect, it } from "vitest";

import type { AuditRead } from "../../api/types";
import { diff, groupByRequest } from "../audit";

const entry = (id: number, request: string | null, extra: Partial<AuditRead> = {}): AuditRead => ({
  id,
  project_id: "p",
  environment_id: null,
  feature_id: null,
  entity: "feature",
  entity_id: "f",
  action: "update",
  actor: "user",
  user_id: "u",
  username: "ann",
  request_id: request,
  old_value: null,
  new_value: null,
  created_at: "2025-01-01T00:00:00Z",
  ...extra,
});

describe("audit", () => {
  it("groups consecutive entries of one request", () => {
    const groups = groupByRequest([
      entry(3, "r1"),
      entry(2, "r1"),
      entry(1, "r2"),
      entry(0, null),
      entry(-1, null),
    ]);
    expect(groups.map((g) => g.entries.length)).toEqual([2, 1, 1, 1]);
  });

  it("diffs nested values leaf by leaf", () => {
    const changes = diff(
      { enabled: false, variants: [{ name: "a", rollout_percent: 50 }], default_value: "x" },
      { enabled: true, variants: [{ name: "a", rollout_percent: 60 }], default_value: "x" },
    );
    expect(changes).toEqual([
      { path: "enabled", before: false, after: true },
      { path: "variants[0].rollout_percent", before: 50, after: 60 },
    ]);
  });

  it("shows creations and deletions", () => {
    expect(diff(null, { key: "k" })).toEqual([{ path: "key", before: undefined, after: "k" }]);
    expect(diff({ key: "k" }, null)).toEqual([{ path: "key", before: "k", after: undefined }]);
  });
});
