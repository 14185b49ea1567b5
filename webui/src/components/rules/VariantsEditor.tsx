// Variants with their share of traffic. Shares are typed freely; a total over 100 % is shown
// beside the fields with two fixes (split evenly, the rest on the last variant). What is left
// under 100 % falls through to the default value.
import {
  ActionIcon,
  Button,
  Group,
  Progress,
  Stack,
  Table,
  Text,
  TextInput,
  Tooltip,
} from "@mantine/core";
import { IconArrowBarToDown, IconArrowsSplit, IconPlus, IconTrash } from "@tabler/icons-react";
import { useEffect, useState } from "react";

import { newId } from "../../lib/conditions";
import {
  overTotal,
  parseShare,
  restFor,
  restOnLast,
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

/** One share, typed as text so no keystroke is lost ("12." stays while you type "12.5"). */
function ShareInput({
  label,
  percent,
  onChange,
  readOnly,
  invalid,
}: {
  label: string;
  percent: number;
  onChange: (next: number) => void;
  readOnly?: boolean;
  invalid: boolean;
}) {
  const [text, setText] = useState(String(percent));
  useEffect(() => {
    // a change from outside (split evenly, the rest on the last, a reload) replaces the text
    if (parseShare(text) !== percent) setText(String(percent));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [percent]);
  return (
    <TextInput
      aria-label={label}
      value={text}
      inputMode="decimal"
      autoComplete="off"
      onChange={(e) => {
        const next = e.currentTarget.value;
        setText(next);
        const n = parseShare(next);
        if (n !== null) onChange(n);
      }}
      onBlur={() => setText(String(percent))}
      rightSection={<span aria-hidden="true">%</span>}
      error={invalid}
      readOnly={readOnly}
    />
  );
}

/** The two quick fixes of a split: the rest of 100 % on the last variant, or an even split. */
function SplitFixes({
  value,
  onChange,
  rest,
  variant,
}: {
  value: VariantDraft[];
  onChange: (next: VariantDraft[]) => void;
  rest: boolean;
  variant: "subtle" | "light";
}) {
  return (
    <Group gap={4}>
      {rest && (
        <Button
          size="compact-xs"
          variant={variant}
          leftSection={<IconArrowBarToDown size={14} />}
          onClick={() => onChange(restOnLast(value))}
        >
          Put the rest on the last variant
        </Button>
      )}
      <Button
        size="compact-xs"
        variant={variant}
        leftSection={<IconArrowsSplit size={14} />}
        onClick={() => onChange(splitEvenly(value))}
      >
        Split evenly
      </Button>
    </Group>
  );
}

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
  const over = overTotal(value);
  const problem = over ? null : variantProblem(value);
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
          {/* when over 100 % both fixes sit beside the message instead */}
          {!readOnly && value.length > 1 && !over && (
            <SplitFixes value={value} onChange={onChange} rest={total < 100} variant="subtle" />
          )}
        </Group>
      </Stack>
      {value.length > 0 && (
        <Table withRowBorders={false} verticalSpacing={4}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Variant</Table.Th>
              <Table.Th w={120}>Share (%)</Table.Th>
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
                  <ShareInput
                    label={`Variant ${i + 1} share`}
                    percent={v.rollout_percent}
                    onChange={(n) => onChange(setPercent(value, v.id, n))}
                    readOnly={readOnly}
                    invalid={total > 100}
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
      {over && !readOnly && (
        <Group gap="xs" role="alert" data-testid="variant-over" align="center">
          <Text size="sm" c="red.8">
            {over}
          </Text>
          <SplitFixes value={value} onChange={onChange} rest variant="light" />
        </Group>
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
                  rollout_percent: value.length === 0 ? 50 : restFor(value, ""),
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
