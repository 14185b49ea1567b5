// Recursive editor for a condition tree: conditions (attribute, operator, value) and groups
// (and / or / and_not) nested up to the server's depth limit.
import {
  ActionIcon,
  Autocomplete,
  Button,
  Group,
  Paper,
  Select,
  Stack,
  Text,
  TextInput,
  Tooltip,
} from "@mantine/core";
import { IconFolderPlus, IconPlus, IconTrash } from "@tabler/icons-react";
import { createContext, useContext } from "react";

import {
  conditionProblem,
  emptyCondition,
  emptyGroup,
  GROUP_OPERATORS,
  OPERATORS,
  operatorInfo,
  regexWarning,
  type ConditionNode,
  type GroupNode,
  type GroupOperator,
  type TreeNode,
} from "../../lib/conditions";

const MAX_DEPTH = 10;

/** The server's refusal of one field of the tree: `at` is the field's path inside the
 * condition's JSON (`group.children[1].condition.value`), `text` what to show there. */
export interface ServerProblem {
  at: string;
  text: string;
}
const ServerProblemContext = createContext<ServerProblem | null>(null);
const join = (at: string, part: string) => (at ? `${at}.${part}` : part);

interface Props {
  value: TreeNode;
  onChange: (next: TreeNode) => void;
  attributes?: string[];
  readOnly?: boolean;
  label?: string;
  /** Shown at the root, e.g. the server's message for this rule. */
  showProblems?: boolean;
  /** A field the server refused, shown at that field. */
  serverProblem?: ServerProblem | null;
}

const operatorData = [
  { group: "Text", items: OPERATORS.filter((o) => ["text", "list", "regex"].includes(o.kind)) },
  { group: "Numbers", items: OPERATORS.filter((o) => o.kind === "number") },
  { group: "Versions", items: OPERATORS.filter((o) => o.kind === "semver") },
  { group: "Dates", items: OPERATORS.filter((o) => o.kind === "date") },
  { group: "Other", items: OPERATORS.filter((o) => ["percentage", "none"].includes(o.kind)) },
].map((g) => ({ group: g.group, items: g.items.map((o) => ({ value: o.value, label: o.label })) }));

function ConditionRow({
  node,
  update,
  remove,
  attributes,
  readOnly,
  showProblems,
  path,
  at,
}: {
  node: ConditionNode;
  update: (n: ConditionNode) => void;
  remove?: () => void;
  attributes: string[];
  readOnly?: boolean;
  showProblems?: boolean;
  path: string;
  at: string;
}) {
  const info = operatorInfo(node.operator);
  const own = join(at, "condition");
  const server = useContext(ServerProblemContext);
  const fromServer = server?.at.startsWith(`${own}.`) ? server : null;
  // Patterns the server's engine refuses are flagged while typing, not only on save.
  const problem = showProblems
    ? conditionProblem(node)
    : info.kind === "regex"
      ? regexWarning(node.value)
      : null;
  const attrProblem =
    fromServer?.at === `${own}.attribute`
      ? fromServer.text
      : problem?.startsWith("Attribute")
        ? problem
        : null;
  const valueProblem =
    fromServer && !attrProblem ? fromServer.text : problem && !attrProblem ? problem : null;
  return (
    <Group gap="xs" align="flex-start" wrap="nowrap" data-testid="condition-row">
      <Autocomplete
        aria-label={`Attribute ${path}`}
        placeholder="attribute, e.g. country"
        data={attributes}
        value={node.attribute}
        onChange={(v) => update({ ...node, attribute: v })}
        readOnly={readOnly}
        error={attrProblem}
        w={190}
        classNames={{ input: "mono" }}
      />
      <Select
        aria-label={`Operator ${path}`}
        data={operatorData}
        value={node.operator}
        onChange={(v) => update({ ...node, operator: v ?? "eq" })}
        allowDeselect={false}
        readOnly={readOnly}
        w={170}
        searchable
        comboboxProps={{ withinPortal: true }}
      />
      {info.kind !== "none" && (
        <TextInput
          aria-label={`Value ${path}`}
          placeholder={info.hint}
          value={node.value}
          onChange={(e) => update({ ...node, value: e.currentTarget.value })}
          readOnly={readOnly}
          error={valueProblem}
          style={{ flex: 1 }}
          miw={160}
        />
      )}
      {info.kind === "none" && <div style={{ flex: 1 }} />}
      {!readOnly && remove && (
        <Tooltip label="Remove condition">
          <ActionIcon
            variant="subtle"
            color="gray"
            onClick={remove}
            aria-label={`Remove condition ${path}`}
            mt={4}
          >
            <IconTrash size={16} />
          </ActionIcon>
        </Tooltip>
      )}
    </Group>
  );
}

function GroupBox({
  node,
  update,
  remove,
  attributes,
  readOnly,
  showProblems,
  depth,
  path,
  at,
}: {
  node: GroupNode;
  update: (n: GroupNode) => void;
  remove?: () => void;
  attributes: string[];
  readOnly?: boolean;
  showProblems?: boolean;
  depth: number;
  path: string;
  at: string;
}) {
  const setChild = (i: number, child: TreeNode) =>
    update({ ...node, children: node.children.map((c, j) => (j === i ? child : c)) });
  const removeChild = (i: number) =>
    update({ ...node, children: node.children.filter((_, j) => j !== i) });
  const andNotFull = node.operator === "and_not" && node.children.length >= 2;
  const andNotWrong = showProblems && node.operator === "and_not" && node.children.length !== 2;
  return (
    <Paper
      withBorder
      p="xs"
      radius="sm"
      bg={depth % 2 === 0 ? "gray.0" : "white"}
      style={{ borderLeft: "3px solid var(--mantine-color-indigo-3)" }}
    >
      <Stack gap="xs">
        <Group gap="xs" justify="space-between">
          <Group gap="xs">
            <Text size="xs" c="dimmed">
              Match
            </Text>
            <Select
              aria-label={`Group operator ${path}`}
              data={GROUP_OPERATORS}
              value={node.operator}
              onChange={(v) => update({ ...node, operator: (v as GroupOperator) ?? "and" })}
              allowDeselect={false}
              readOnly={readOnly}
              size="xs"
              w={230}
              comboboxProps={{ withinPortal: true }}
            />
          </Group>
          {!readOnly && remove && (
            <Tooltip label="Remove group">
              <ActionIcon
                variant="subtle"
                color="gray"
                onClick={remove}
                aria-label={`Remove group ${path}`}
              >
                <IconTrash size={16} />
              </ActionIcon>
            </Tooltip>
          )}
        </Group>
        {node.children.map((child, i) => (
          <Stack key={child.id} gap={4}>
            {node.operator === "and_not" && i === 1 && (
              <Text size="xs" fw={700} c="red.8">
                BUT NOT
              </Text>
            )}
            <NodeEditor
              node={child}
              update={(n) => setChild(i, n)}
              remove={() => removeChild(i)}
              attributes={attributes}
              readOnly={readOnly}
              showProblems={showProblems}
              depth={depth + 1}
              path={`${path}.${i + 1}`}
              at={`${join(at, "group")}.children[${i}]`}
            />
          </Stack>
        ))}
        {andNotWrong && (
          <Text size="xs" c="red.8" role="alert">
            “First but not second” needs exactly two children.
          </Text>
        )}
        {!readOnly && (
          <Group gap="xs">
            <Button
              size="compact-xs"
              variant="subtle"
              leftSection={<IconPlus size={14} />}
              onClick={() => update({ ...node, children: [...node.children, emptyCondition()] })}
              disabled={andNotFull}
            >
              Condition
            </Button>
            {depth < MAX_DEPTH - 1 && (
              <Button
                size="compact-xs"
                variant="subtle"
                leftSection={<IconFolderPlus size={14} />}
                onClick={() => update({ ...node, children: [...node.children, emptyGroup()] })}
                disabled={andNotFull}
              >
                Group
              </Button>
            )}
          </Group>
        )}
      </Stack>
    </Paper>
  );
}

function NodeEditor(props: {
  node: TreeNode;
  update: (n: TreeNode) => void;
  remove?: () => void;
  attributes: string[];
  readOnly?: boolean;
  showProblems?: boolean;
  depth: number;
  path: string;
  at: string;
}) {
  const { node, ...rest } = props;
  if (node.type === "group") return <GroupBox node={node} {...rest} />;
  return <ConditionRow node={node} {...rest} />;
}

export function ConditionBuilder({
  value,
  onChange,
  attributes = [],
  readOnly,
  label = "rule",
  showProblems,
  serverProblem = null,
}: Props) {
  // A bare condition at the root can be widened into a group.
  const root = value;
  return (
    <ServerProblemContext.Provider value={serverProblem}>
      <Stack gap="xs">
        {root.type === "condition" ? (
          <Stack gap="xs">
            <ConditionRow
              node={root}
              update={onChange}
              attributes={attributes}
              readOnly={readOnly}
              showProblems={showProblems}
              path={label}
              at=""
            />
            {!readOnly && (
              <Group gap="xs">
                <Button
                  size="compact-xs"
                  variant="subtle"
                  leftSection={<IconPlus size={14} />}
                  onClick={() =>
                    onChange({ ...emptyGroup("and"), children: [root, emptyCondition()] })
                  }
                >
                  And…
                </Button>
                <Button
                  size="compact-xs"
                  variant="subtle"
                  leftSection={<IconPlus size={14} />}
                  onClick={() =>
                    onChange({ ...emptyGroup("or"), children: [root, emptyCondition()] })
                  }
                >
                  Or…
                </Button>
              </Group>
            )}
          </Stack>
        ) : (
          <GroupBox
            node={root}
            update={(n) => onChange(n.children.length === 1 && n.children[0] ? n.children[0] : n)}
            attributes={attributes}
            readOnly={readOnly}
            showProblems={showProblems}
            depth={0}
            path={label}
            at=""
          />
        )}
      </Stack>
    </ServerProblemContext.Provider>
  );
}
