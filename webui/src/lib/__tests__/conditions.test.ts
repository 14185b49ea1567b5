import { describe as suite, expect, it } from "vitest";

import {
  conditionProblem,
  describe,
  fromJson,
  OPERATORS,
  sameCondition,
  toJson,
  treeProblem,
  type ConditionNode,
} from "../conditions";

const cond = (operator: string, value: string, attribute = "plan"): ConditionNode => ({
  id: "c",
  type: "condition",
  attribute,
  operator,
  value,
});

suite("condition trees", () => {
  it("offers every operator the server knows", () => {
    const server = [
      "eq",
      "neq",
      "in",
      "not_in",
      "gt",
      "gte",
      "lt",
      "lte",
      "regex",
      "percentage",
      "contains",
      "starts_with",
      "ends_with",
      "semver_eq",
      "semver_gt",
      "semver_gte",
      "semver_lt",
      "semver_lte",
      "before",
      "after",
      "exists",
      "not_exists",
    ];
    expect(OPERATORS.map((o) => o.value).sort()).toEqual([...server].sort());
  });

  it("round-trips a nested tree and types values per operator", () => {
    const raw = {
      group: {
        operator: "and_not",
        children: [
          { condition: { attribute: "country", operator: "in", value: ["DE", "FR"] } },
          {
            group: {
              operator: "or",
              children: [
                { condition: { attribute: "age", operator: "gte", value: 18 } },
                { condition: { attribute: "beta", operator: "exists" } },
              ],
            },
          },
        ],
      },
    };
    expect(toJson(fromJson(raw))).toEqual(raw);
  });

  it("turns list text into a list and numbers into numbers", () => {
    expect(toJson(cond("in", " a, b ,, c"))).toEqual({
      condition: { attribute: "plan", operator: "in", value: ["a", "b", "c"] },
    });
    expect(toJson(cond("percentage", "25"))).toEqual({
      condition: { attribute: "plan", operator: "percentage", value: 25 },
    });
  });

  it("finds what the server would reject", () => {
    expect(conditionProblem(cond("eq", "x", "bad attr"))).toMatch(/Attribute/);
    expect(conditionProblem(cond("gt", "ten"))).toMatch(/number/);
    expect(conditionProblem(cond("percentage", "120"))).toMatch(/0 to 100/);
    expect(conditionProblem(cond("semver_gt", "1.x"))).toMatch(/semantic version/);
    expect(conditionProblem(cond("regex", "("))).toMatch(/regular expression/);
    expect(conditionProblem(cond("before", "soon"))).toMatch(/date/);
    expect(conditionProblem(cond("exists", ""))).toBeNull();
    expect(conditionProblem(cond("semver_gte", "v2.1.0-rc.1"))).toBeNull();
    const andNot = fromJson({
      group: {
        operator: "and_not",
        children: [{ condition: { attribute: "a", operator: "exists" } }],
      },
    });
    expect(treeProblem(andNot)).toMatch(/exactly two/);
  });

  it("reads a tree in plain words", () => {
    const tree = fromJson({
      group: {
        operator: "and",
        children: [
          { condition: { attribute: "country", operator: "in", value: ["DE", "FR"] } },
          { condition: { attribute: "plan", operator: "eq", value: "pro" } },
        ],
      },
    });
    expect(describe(tree)).toBe("country is one of DE, FR and plan equals pro");
  });

  it("compares trees by content, not key order", () => {
    expect(
      sameCondition(
        { condition: { value: 1, attribute: "a", operator: "eq" } },
        { condition: { attribute: "a", operator: "eq", value: 1 } },
      ),
    ).toBe(true);
    expect(
      sameCondition(
        { condition: { attribute: "a", operator: "eq", value: 1 } },
        { condition: { attribute: "a", operator: "eq", value: 2 } },
      ),
    ).toBe(false);
  });
});
