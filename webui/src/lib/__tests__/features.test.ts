import { describe, expect, it } from "vitest";

import type { FeatureListItem } from "../../api/types";
import { applyClientFilters } from "../features";

const f = (
  key: string,
  extra: Partial<FeatureListItem> = {},
  evaluated: string | null = null,
): FeatureListItem => ({
  id: key,
  project_id: "p",
  key,
  name: key.toUpperCase(),
  description: "",
  kind: "simple",
  rollout_key: null,
  tags: [],
  category_id: null,
  created_at: "2025-01-01T00:00:00Z",
  updated_at: "2025-01-01T00:00:00Z",
  state: {
    feature_id: key,
    environment_id: "e",
    environment_key: "prod",
    enabled: true,
    default_value: "",
    variants: [],
    rules: [],
    updated_at: null,
    last_evaluated_at: evaluated,
  },
  ...extra,
});

describe("features list", () => {
  it("filters by category and the server's stale list, and sorts", () => {
    const items = [
      f("b", { category_id: "c1" }, "2025-05-30T00:00:00Z"),
      f("a", { category_id: "c2" }),
      f("c", { category_id: "c1" }),
    ];
    const byName = applyClientFilters(items, { category: null, only: null, sort: "name" });
    expect(byName.map((x) => x.key)).toEqual(["a", "b", "c"]);
    const c1 = applyClientFilters(items, {
      category: "c1",
      only: new Set(["a", "c"]),
      sort: "key",
    });
    expect(c1.map((x) => x.key)).toEqual(["c"]);
    const none = applyClientFilters(items, { category: null, only: new Set(), sort: "key" });
    expect(none).toEqual([]);
    const evaluated = applyClientFilters(items, { category: null, only: null, sort: "evaluated" });
    expect(evaluated[0]!.key).toBe("b");
  });
});
