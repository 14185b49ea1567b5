import { describe, expect, it } from "vitest";

import {
  overTotal,
  parseValue,
  restFor,
  restOnLast,
  setPercent,
  splitEvenly,
  totalPercent,
  variantProblem,
  type VariantDraft,
} from "../variants";

const v = (id: string, pct: number, name = id): VariantDraft => ({
  id,
  name,
  rollout_percent: pct,
  value: "",
});

describe("variant split", () => {
  it("takes a share as typed and reports a total over 100", () => {
    const list = [v("a", 60), v("b", 30)];
    expect(restFor(list, "b")).toBe(40);
    const next = setPercent(list, "b", 80);
    expect(next[1]!.rollout_percent).toBe(80);
    expect(totalPercent(next)).toBe(140);
    expect(overTotal(next)).toMatch(/140 %, 40 % more than 100 %/);
    expect(variantProblem(next)).toMatch(/more than 100/);
    expect(setPercent(list, "b", 250)[1]!.rollout_percent).toBe(100);
  });

  it("puts the rest on the last variant", () => {
    expect(restOnLast([v("a", 70), v("b", 80)]).map((x) => x.rollout_percent)).toEqual([70, 30]);
    expect(restOnLast([v("a", 120), v("b", 5)])[1]!.rollout_percent).toBe(0);
    expect(restOnLast([])).toEqual([]);
  });

  it("clamps negative and non-numbers to zero", () => {
    expect(setPercent([v("a", 10)], "a", -5)[0]!.rollout_percent).toBe(0);
    expect(setPercent([v("a", 10)], "a", Number.NaN)[0]!.rollout_percent).toBe(0);
  });

  it("splits evenly to exactly 100 in 0.01 steps", () => {
    const three = splitEvenly([v("a", 0), v("b", 0), v("c", 0)]);
    expect(three.map((x) => x.rollout_percent)).toEqual([33.34, 33.33, 33.33]);
    expect(totalPercent(three)).toBe(100);
  });

  it("parses values as JSON when they are JSON", () => {
    expect(parseValue('{"a": 1}')).toEqual({ a: 1 });
    expect(parseValue("42")).toBe(42);
    expect(parseValue("blue")).toBe("blue");
    expect(parseValue("  ")).toBeNull();
  });

  it("reports duplicate and missing names", () => {
    expect(variantProblem([v("a", 10, "x"), v("b", 10, "x")])).toMatch(/twice/);
    expect(variantProblem([v("a", 10, " ")])).toMatch(/name/);
    expect(variantProblem([v("a", 50, "x"), v("b", 50, "y")])).toBeNull();
  });
});
