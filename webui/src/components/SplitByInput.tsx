// "Split users by": the context attribute a multivariant feature's percentage split hashes
// (LaunchDarkly calls it "rollout by", Unleash "stickiness"). Empty means the server's default
// order, so a new flag splits users without anyone having to know about this field.
import { Autocomplete } from "@mantine/core";

import { useAttributes } from "../hooks/queries";
import { DEFAULT_SPLIT_ATTRIBUTES } from "../lib/split";

export function SplitByInput({
  value,
  onChange,
  readOnly,
  error,
}: {
  value: string;
  onChange: (next: string) => void;
  readOnly?: boolean;
  error?: string;
}) {
  const attributes = useAttributes();
  const data = [
    ...new Set([...DEFAULT_SPLIT_ATTRIBUTES, ...(attributes.data ?? []).map((a) => a.name)]),
  ];
  return (
    <Autocomplete
      label="Split users by"
      description={`The context attribute that keeps each user in one variant. Leave empty to use the first of ${DEFAULT_SPLIT_ATTRIBUTES.join(", ")} that the context has.`}
      placeholder="Automatic: the user's id"
      data={data}
      value={value}
      onChange={onChange}
      readOnly={readOnly}
      error={error}
      maxLength={100}
      classNames={{ input: "mono" }}
    />
  );
}
