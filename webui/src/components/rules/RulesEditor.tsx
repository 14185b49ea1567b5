// The rule list of one environment: three sections (exclude, assign, include), each ordered by
// drag and drop (mouse, touch or keyboard), each rule a condition tree or a segment.
import {
  closestCenter,
  DndContext,
  KeyboardSensor,
  PointerSensor,
  useSensor,
  useSensors,
  type DragEndEvent,
} from "@dnd-kit/core";
import {
  SortableContext,
  sortableKeyboardCoordinates,
  useSortable,
  verticalListSortingStrategy,
} from "@dnd-kit/sortable";
import { CSS } from "@dnd-kit/utilities";
import {
  ActionIcon,
  Badge,
  Button,
  Group,
  Menu,
  Paper,
  Select,
  Stack,
  Text,
  Tooltip,
} from "@mantine/core";
import {
  IconGripVertical,
  IconPlus,
  IconRefresh,
  IconTrash,
  IconUsersGroup,
} from "@tabler/icons-react";

import type { SegmentRead } from "../../api/types";
import { conditionFieldProblem, describe, fromJson } from "../../lib/conditions";
import {
  ACTIONS,
  byAction,
  isDesynced,
  moveRule,
  newRule,
  ruleProblem,
  type RuleAction,
  type RuleDraft,
} from "../../lib/rules";
import { ConditionBuilder } from "./ConditionBuilder";

interface Props {
  rules: RuleDraft[];
  onChange: (next: RuleDraft[]) => void;
  variants: string[];
  segments: SegmentRead[] | undefined;
  attributes: string[];
  readOnly?: boolean;
  showProblems?: boolean;
  serverError?: { index: number; message: string; error: unknown } | null;
  onResync?: (rule: RuleDraft) => void;
  multivariant: boolean;
}

function RuleCard({ rule, position, props }: { rule: RuleDraft; position: number; props: Props }) {
  const {
    rules,
    onChange,
    variants,
    segments,
    attributes,
    readOnly,
    showProblems,
    serverError,
    onResync,
  } = props;
  const sortable = useSortable({ id: rule.key, disabled: readOnly });
  const style = {
    transform: CSS.Transform.toString(sortable.transform),
    transition: sortable.transition,
    opacity: sortable.isDragging ? 0.6 : 1,
  };
  const index = rules.findIndex((r) => r.key === rule.key);
  const update = (patch: Partial<RuleDraft>) =>
    onChange(rules.map((r) => (r.key === rule.key ? { ...r, ...patch } : r)));
  const segment = segments?.find((s) => s.id === rule.segmentId);
  const desynced = isDesynced(rule, segments);
  const problem = showProblems ? ruleProblem(rule, variants) : null;
  const serverHere = serverError && serverError.index === index ? serverError : null;
  // A refused field inside the condition is shown at that field, the rest under the rule.
  const atField = serverHere
    ? conditionFieldProblem(serverHere.error, `rules[${index}].condition`)
    : null;
  const fromServer = serverHere && !atField ? serverHere.message : null;
  const label = `${rule.action} rule ${position}`;

  return (
    <Paper
      ref={sortable.setNodeRef}
      style={style}
      withBorder
      radius="md"
      p="sm"
      bg="white"
      data-testid="rule-card"
      aria-label={label}
      component="section"
    >
      <Stack gap="xs">
        <Group justify="space-between" wrap="nowrap">
          <Group gap="xs" wrap="nowrap">
            {!readOnly && (
              <Tooltip label="Drag to change priority (or focus and use Space + arrows)">
                <ActionIcon
                  variant="subtle"
                  color="gray"
                  aria-label={`Reorder ${label}`}
                  {...sortable.attributes}
                  {...sortable.listeners}
                  style={{ cursor: "grab" }}
                >
                  <IconGripVertical size={16} />
                </ActionIcon>
              </Tooltip>
            )}
            <Badge variant="light" color="gray" size="sm">
              #{position}
            </Badge>
            {segment && (
              <Badge variant="light" color="indigo" leftSection={<IconUsersGroup size={12} />}>
                segment: {segment.name}
              </Badge>
            )}
            {desynced && (
              <Tooltip label="This rule was customised and no longer follows its segment">
                <Badge variant="filled" color="orange" data-testid="desynced">
                  desynced
                </Badge>
              </Tooltip>
            )}
          </Group>
          <Group gap={4} wrap="nowrap">
            {rule.action === "assign" && (
              <Select
                aria-label={`Variant for ${label}`}
                placeholder="variant"
                data={variants}
                value={rule.variant}
                onChange={(v) => update({ variant: v })}
                readOnly={readOnly}
                size="xs"
                w={160}
                error={showProblems && !rule.variant ? "Choose a variant" : undefined}
                comboboxProps={{ withinPortal: true }}
              />
            )}
            {desynced && segment && !readOnly && (
              <Tooltip label="Reset this rule to the segment's current condition">
                <Button
                  size="compact-xs"
                  variant="light"
                  color="orange"
                  leftSection={<IconRefresh size={14} />}
                  onClick={() =>
                    rule.id && rule.customized && onResync
                      ? onResync(rule)
                      : update({
                          tree: fromJson(segment.condition),
                          touched: false,
                          customized: false,
                        })
                  }
                >
                  Re-sync
                </Button>
              </Tooltip>
            )}
            {!readOnly && (
              <ActionIcon
                variant="subtle"
                color="gray"
                aria-label={`Delete ${label}`}
                onClick={() => onChange(rules.filter((r) => r.key !== rule.key))}
              >
                <IconTrash size={16} />
              </ActionIcon>
            )}
          </Group>
        </Group>
        <ConditionBuilder
          value={rule.tree}
          onChange={(tree) => update({ tree, touched: true })}
          attributes={attributes}
          readOnly={readOnly}
          showProblems={showProblems}
          serverProblem={atField}
          label={`${rule.action} ${position}`}
        />
        <Text size="xs" c="dimmed">
          {rule.action === "exclude"
            ? "Never serve when "
            : rule.action === "include"
              ? "Serve only when "
              : "Serve "}
          {rule.action === "assign" && <b>{rule.variant ?? "…"}</b>}
          {rule.action === "assign" && " when "}
          {describe(rule.tree)}
        </Text>
        {(fromServer ?? problem) && (
          <Text size="sm" c="red.8" role="alert">
            {fromServer ?? problem}
          </Text>
        )}
      </Stack>
    </Paper>
  );
}

function Section({ action, props }: { action: (typeof ACTIONS)[number]; props: Props }) {
  const { rules, onChange, segments, readOnly, multivariant } = props;
  const list = byAction(rules, action.value);
  const add = (a: RuleAction, seg?: SegmentRead) => onChange([...rules, newRule(a, seg)]);
  if (action.value === "assign" && !multivariant && list.length === 0) return null;
  return (
    <Stack gap="xs">
      <Group justify="space-between">
        <div>
          <Text fw={600} size="sm">
            {action.label} rules
          </Text>
          <Text size="xs" c="dimmed">
            {action.help}
          </Text>
        </div>
        {!readOnly && (
          <Menu withinPortal position="bottom-end">
            <Menu.Target>
              <Button size="xs" variant="light" leftSection={<IconPlus size={14} />}>
                Add {action.label.toLowerCase()} rule
              </Button>
            </Menu.Target>
            <Menu.Dropdown>
              <Menu.Item onClick={() => add(action.value)}>With conditions</Menu.Item>
              <Menu.Divider />
              <Menu.Label>From a segment</Menu.Label>
              {(segments ?? []).length === 0 && <Menu.Item disabled>No segments yet</Menu.Item>}
              {(segments ?? []).map((s) => (
                <Menu.Item
                  key={s.id}
                  leftSection={<IconUsersGroup size={14} />}
                  onClick={() => add(action.value, s)}
                >
                  {s.name}
                </Menu.Item>
              ))}
            </Menu.Dropdown>
          </Menu>
        )}
      </Group>
      <SortableContext items={list.map((r) => r.key)} strategy={verticalListSortingStrategy}>
        {list.map((r, i) => (
          <RuleCard key={r.key} rule={r} position={i + 1} props={props} />
        ))}
      </SortableContext>
    </Stack>
  );
}

export function RulesEditor(props: Props) {
  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 4 } }),
    useSensor(KeyboardSensor, { coordinateGetter: sortableKeyboardCoordinates }),
  );
  const onDragEnd = (e: DragEndEvent) => {
    if (e.over && e.active.id !== e.over.id) {
      props.onChange(moveRule(props.rules, String(e.active.id), String(e.over.id)));
    }
  };
  return (
    <DndContext sensors={sensors} collisionDetection={closestCenter} onDragEnd={onDragEnd}>
      <Stack gap="lg">
        {ACTIONS.map((a) => (
          <Section key={a.value} action={a} props={props} />
        ))}
      </Stack>
    </DndContext>
  );
}
