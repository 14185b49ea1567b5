// A small date filter on the native date input (no extra date library needed).
import { TextInput } from "@mantine/core";

export function DateTimePickerLite({
  label,
  value,
  onChange,
}: {
  label: string;
  value: string | null;
  onChange: (iso: string | null) => void;
}) {
  const day = value ? value.slice(0, 10) : "";
  return (
    <TextInput
      type="date"
      aria-label={label}
      leftSection={
        <span style={{ fontSize: 11, color: "var(--mantine-color-dimmed)", paddingLeft: 4 }}>
          {label}
        </span>
      }
      leftSectionWidth={48}
      value={day}
      onChange={(e) => {
        const v = e.currentTarget.value;
        if (!v) return onChange(null);
        onChange(label === "Until" ? `${v}T23:59:59Z` : `${v}T00:00:00Z`);
      }}
      w={190}
    />
  );
}
