// Variants with their share of traffic. The editor clamps every share so the total can never
// pass 100 %; what is left over falls through to the default value.
import {
  ActionIcon,
  Button,
  Group,
  NumberInput,
  Progress,
  Stack,
  Table,
  Text,
  TextInput,
  Tooltip,
} from "@mantine/core";
import { IconArrowsSplit, IconPlus, IconTrash } from "@tabler/icons-react";

import { newId } from "../../lib/conditions";
import {
  maxFor,
  setPercent,
  splitEvenly,
  totalPercent,
  variantProblem,
  type VariantDraft,
} from "../../lib/variants";

// Dark shades, so white labels on the split bar keep AA contrast.
const COLORS = [
  "indigo.7",
  "teal.9",
  "grape.8",
  "orange.9",
  "cyan.9",
  "pink.8",
  "lime.9",
  "violet.8",
];
const cssColor = (c: string) => `var(--mantine-color-${c.replace(".", "-")})`;

export function VariantsEditor({
  value,
  onChange,
  readOnly,
  error,
}: {
  value: VariantDraft[];
  onChange: (next: VariantDraft[]) => void;
  readOnly?: boolean;
  error?: string | null;
}) {
  const total = totalPercent(value);
  const problem = variantProblem(value);
  const update = (id: string, patch: Partial<VariantDraft>) =>
    onChange(value.map((v) => (v.id === id ? { ...v, ...patch } : v)));
  return (
    <Stack gap="sm">
      <Stack gap={4}>
        <Progress.Root size={18}>
          {value.map((v, i) => (
            <Tooltip key={v.id} label={`${v.name || "unnamed"}: ${v.rollout_percent}%`}>
              <Progress.Section
                value={v.rollout_percent}
                color={COLORS[i % COLORS.length]}
                aria-label={`${v.name || "unnamed"}: ${v.rollout_percent}%`}
              >
                <Progress.Label>{v.rollout_percent >= 8 ? v.name : ""}</Progress.Label>
              </Progress.Section>
            </Tooltip>
          ))}
        </Progress.Root>
        <Group justify="space-between">
          <Text size="xs" c={total > 100 ? "red.8" : "dimmed"} data-testid="variant-total">
            {total}% assigned · {Math.max(0, Math.round((100 - total) * 100) / 100)}% get the
            default value
          </Text>
          {!readOnly && value.length > 1 && (
            <Button
              size="compact-xs"
              variant="subtle"
              leftSection={<IconArrowsSplit size={14} />}
              onClick={() => onChange(splitEvenly(value))}
            >
              Split evenly
            </Button>
          )}
        </Group>
      </Stack>
      {value.length > 0 && (
        <Table withRowBorders={false} verticalSpacing={4}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Variant</Table.Th>
              <Table.Th w={140}>Share (%)</Table.Th>
              <Table.Th>Value (optional, text or JSON)</Table.Th>
              <Table.Th w={40}>
                <span className="visually-hidden">Remove</span>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {value.map((v, i) => (
              <Table.Tr key={v.id}>
                <Table.Td>
                  <TextInput
                    aria-label={`Variant ${i + 1} name`}
                    value={v.name}
                    onChange={(e) => update(v.id, { name: e.currentTarget.value })}
                    readOnly={readOnly}
                    leftSection={
                      <span
                        style={{
                          width: 10,
                          height: 10,
                          borderRadius: 5,
                          background: cssColor(COLORS[i % COLORS.length]!),
                        }}
                      />
                    }
                  />
                </Table.Td>
                <Table.Td>
                  <NumberInput
                    aria-label={`Variant ${i + 1} share`}
                    value={v.rollout_percent}
                    min={0}
                    max={maxFor(value, v.id)}
                    clampBehavior="strict"
                    decimalScale={2}
                    step={5}
                    suffix="%"
                    onChange={(n) =>
                      onChange(setPercent(value, v.id, typeof n === "number" ? n : Number(n) || 0))
                    }
                    readOnly={readOnly}
                  />
                </Table.Td>
                <Table.Td>
                  <TextInput
                    aria-label={`Variant ${i + 1} value`}
                    placeholder='e.g. "blue", 42 or {"layout": "grid"}'
                    value={v.value}
                    onChange={(e) => update(v.id, { value: e.currentTarget.value })}
                    readOnly={readOnly}
                    classNames={{ input: "mono" }}
                  />
                </Table.Td>
                <Table.Td>
                  {!readOnly && (
                    <ActionIcon
                      variant="subtle"
                      color="gray"
                      aria-label={`Remove variant ${v.name || i + 1}`}
                      onClick={() => onChange(value.filter((x) => x.id !== v.id))}
                    >
                      <IconTrash size={16} />
                    </ActionIcon>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {(error ?? problem) && (
        <Text size="sm" c="red.8" role="alert">
          {error ?? problem}
        </Text>
      )}
      {!readOnly && (
        <Group>
          <Button
            size="xs"
            variant="light"
            leftSection={<IconPlus size={14} />}
            onClick={() =>
              onChange([
                ...value,
                {
                  id: newId("v"),
                  name: `variant_${String.fromCharCode(97 + (value.length % 26))}`,
                  rollout_percent: Math.min(
                    maxFor(value, ""),
                    value.length === 0 ? 50 : maxFor(value, ""),
                  ),
                  value: "",
                },
              ])
            }
            disabled={value.length >= 50}
          >
            Add variant
          </Button>
        </Group>
      )}
    </Stack>
  );
}
