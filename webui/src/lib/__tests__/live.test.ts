import { describe, expect, it } from "vitest";

import { invalidationsFor } from "../../realtime/useLiveUpdates";

describe("live updates", () => {
  it("invalidates the feature, its list and the history", () => {
    const keys = invalidationsFor({
      type: "feature.changed",
      project_id: "p",
      environment_id: "e",
      feature_id: "f",
    });
    expect(keys).toEqual(
      expect.arrayContaining([
        ["feature", "f"],
        ["features", "p"],
        ["audit", "p"],
      ]),
    );
  });

  it("refreshes segments and usages on segment changes", () => {
    const keys = invalidationsFor({ type: "segment.changed", project_id: "p" });
    expect(keys).toEqual(expect.arrayContaining([["segments", "p"], ["segment-usages"]]));
  });

  it("ignores the hello and pong frames", () => {
    expect(invalidationsFor({ type: "hello" })).toEqual([]);
  });
});
