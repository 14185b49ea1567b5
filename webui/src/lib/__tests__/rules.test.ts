import { describe, expect, it } from "vitest";

import type { RuleRead, SegmentRead } from "../../api/types";
import { fromJson } from "../conditions";
import { fromRead, isDesynced, moveRule, ruleIndexOf, ruleProblem, toWrite } from "../rules";

const rule = (
  id: string,
  action: string,
  priority: number,
  extra: Partial<RuleRead> = {},
): RuleRead => ({
  id,
  action,
  priority,
  condition: { condition: { attribute: "plan", operator: "eq", value: id } },
  variant: action === "assign" ? "a" : null,
  segment_id: null,
  is_customized: false,
  ...extra,
});

const segment: SegmentRead = {
  id: "s1",
  project_id: "p",
  name: "Beta",
  description: "",
  condition: { condition: { attribute: "beta", operator: "eq", value: "true" } },
  created_at: "",
  updated_at: "",
};

describe("rules", () => {
  it("orders by priority and renumbers per action on write", () => {
    const drafts = fromRead([
      rule("x", "assign", 7),
      rule("y", "exclude", 3),
      rule("z", "assign", 2),
    ]);
    expect(drafts.map((d) => d.id)).toEqual(["z", "y", "x"]);
    expect(toWrite(drafts).map((w) => [w.id, w.action, w.priority])).toEqual([
      ["z", "assign", 0],
      ["y", "exclude", 0],
      ["x", "assign", 1],
    ]);
  });

  it("moves a rule only within its own action", () => {
    const drafts = fromRead([
      rule("a", "assign", 0),
      rule("b", "exclude", 0),
      rule("c", "assign", 1),
    ]);
    const [a, b, c] = drafts;
    expect(moveRule(drafts, c!.key, a!.key).map((d) => d.id)).toEqual(["c", "a", "b"]);
    expect(moveRule(drafts, b!.key, a!.key)).toBe(drafts);
  });

  it("keeps an untouched segment rule linked and flags a customised one", () => {
    const [linked] = fromRead([
      rule("r", "exclude", 0, { segment_id: "s1", condition: segment.condition }),
    ]);
    expect(toWrite([linked!])[0]!.condition).toBeNull();
    expect(isDesynced(linked!, [segment])).toBe(false);
    const edited = {
      ...linked!,
      touched: true,
      tree: fromJson({ condition: { attribute: "beta", operator: "eq", value: "no" } }),
    };
    expect(isDesynced(edited, [segment])).toBe(true);
    expect(toWrite([edited])[0]!.condition).not.toBeNull();
  });

  it("needs a known variant on assign rules", () => {
    const [r] = fromRead([rule("r", "assign", 0, { variant: null })]);
    expect(ruleProblem(r!, ["a"])).toMatch(/Choose the variant/);
    expect(ruleProblem({ ...r!, variant: "zzz" }, ["a"])).toMatch(/Unknown variant/);
  });

  it("reads the rule index of a server message", () => {
    expect(ruleIndexOf("rules[2].condition.value: bad")).toBe(2);
    expect(ruleIndexOf("variants: too many")).toBeNull();
  });
});
