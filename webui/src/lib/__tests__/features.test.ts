import { describe, expect, it } from "vitest";

import type { FeatureListItem } from "../../api/types";
import { applyClientFilters, isStale } from "../features";

const NOW = Date.parse("2025-06-01T00:00:00Z");
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
  it("calls a feature stale after 30 days without evaluation", () => {
    expect(isStale(f("a", {}, "2025-05-20T00:00:00Z"), NOW)).toBe(false);
    expect(isStale(f("a", {}, "2025-03-01T00:00:00Z"), NOW)).toBe(true);
    expect(isStale(f("a", { created_at: "2025-05-30T00:00:00Z" }), NOW)).toBe(false);
  });

  it("filters by category and staleness, and sorts", () => {
    const items = [
      f("b", { category_id: "c1" }, "2025-05-30T00:00:00Z"),
      f("a", { category_id: "c2" }),
      f("c", { category_id: "c1" }),
    ];
    const byName = applyClientFilters(
      items,
      { category: null, staleOnly: false, sort: "name" },
      NOW,
    );
    expect(byName.map((x) => x.key)).toEqual(["a", "b", "c"]);
    const c1 = applyClientFilters(items, { category: "c1", staleOnly: true, sort: "key" }, NOW);
    expect(c1.map((x) => x.key)).toEqual(["c"]);
    const evaluated = applyClientFilters(
      items,
      { category: null, staleOnly: false, sort: "evaluated" },
      NOW,
    );
    expect(evaluated[0]!.key).toBe("b");
  });
});
