import { MantineProvider } from "@mantine/core";
import { fireEvent, render, screen } from "@testing-library/react";
import { useState } from "react";
import { describe, expect, it } from "vitest";

import type { VariantDraft } from "../../lib/variants";
import { VariantsEditor } from "../rules/VariantsEditor";

function Harness({ initial }: { initial: VariantDraft[] }) {
  const [value, setValue] = useState(initial);
  return (
    <MantineProvider>
      <VariantsEditor value={value} onChange={setValue} />
    </MantineProvider>
  );
}

describe("VariantsEditor", () => {
  it("adds variants without ever passing 100 % and reports what is left", () => {
    render(<Harness initial={[]} />);
    fireEvent.click(screen.getByRole("button", { name: "Add variant" }));
    fireEvent.click(screen.getByRole("button", { name: "Add variant" }));
    fireEvent.click(screen.getByRole("button", { name: "Add variant" }));
    expect(screen.getByTestId("variant-total")).toHaveTextContent(
      "100% assigned · 0% get the default value",
    );
  });

  it("splits evenly and removes a variant", () => {
    render(
      <Harness
        initial={[
          { id: "a", name: "a", rollout_percent: 90, value: "" },
          { id: "b", name: "b", rollout_percent: 10, value: "" },
        ]}
      />,
    );
    fireEvent.click(screen.getByRole("button", { name: "Split evenly" }));
    expect(screen.getByLabelText("Variant 1 share")).toHaveValue("50");
    fireEvent.click(screen.getByRole("button", { name: "Remove variant b" }));
    expect(screen.getByTestId("variant-total")).toHaveTextContent("50% assigned");
  });

  it("takes a share as typed and offers fixes when the total passes 100 %", () => {
    render(
      <Harness
        initial={[
          { id: "a", name: "a", rollout_percent: 50, value: "" },
          { id: "b", name: "b", rollout_percent: 50, value: "" },
        ]}
      />,
    );
    const share = screen.getByLabelText("Variant 2 share");
    for (const text of ["", "8", "80"]) fireEvent.change(share, { target: { value: text } });
    expect(share).toHaveValue("80");
    fireEvent.change(share, { target: { value: "12." } });
    expect(share).toHaveValue("12.");
    fireEvent.change(share, { target: { value: "80" } });
    expect(screen.getByTestId("variant-over")).toHaveTextContent("130 %");
    fireEvent.click(screen.getByRole("button", { name: "Put the rest on the last variant" }));
    expect(share).toHaveValue("50");
    expect(screen.queryByTestId("variant-over")).toBeNull();
  });

  it("shows a duplicate name next to the list", () => {
    render(
      <Harness
        initial={[
          { id: "a", name: "x", rollout_percent: 10, value: "" },
          { id: "b", name: "x", rollout_percent: 10, value: "" },
        ]}
      />,
    );
    expect(screen.getByRole("alert")).toHaveTextContent("appears twice");
  });
});
