import { SegmentedControl } from "@mantine/core";

import type { EnvironmentRead } from "../api/types";

export function EnvironmentPicker({
  envs,
  value,
  onChange,
}: {
  envs: EnvironmentRead[];
  value: string | null;
  onChange: (key: string) => void;
}) {
  return (
    <SegmentedControl
      aria-label="Environment"
      size="sm"
      value={value ?? ""}
      onChange={onChange}
      data={envs.map((e) => ({ value: e.key, label: e.key }))}
      color={value === "prod" ? "red.9" : "indigo.7"}
    />
  );
}
