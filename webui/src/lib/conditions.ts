// The condition-tree model behind the rule builder. The server's JSON shape is
// {"condition": {attribute, operator, value}} | {"group": {operator, children}}; the editor works
// on a copy with stable ids (for React keys and drag and drop) and raw text values, and converts
// back with `toJson`, checking locally what the server would reject so errors show at the field.

import { ApiError, describeError } from "../api/errors";

export type GroupOperator = "and" | "or" | "and_not";

export interface OperatorInfo {
  value: string;
  label: string;
  kind: "text" | "list" | "number" | "percentage" | "regex" | "semver" | "date" | "none";
  hint: string;
}

// Every operator of src/togglr/domain/targeting.py, grouped as the menu shows them.
export const OPERATORS: OperatorInfo[] = [
  { value: "eq", label: "equals", kind: "text", hint: "exact match" },
  { value: "neq", label: "does not equal", kind: "text", hint: "anything else" },
  { value: "in", label: "is one of", kind: "list", hint: "comma-separated values" },
  { value: "not_in", label: "is not one of", kind: "list", hint: "comma-separated values" },
  { value: "contains", label: "contains", kind: "text", hint: "substring" },
  { value: "starts_with", label: "starts with", kind: "text", hint: "prefix" },
  { value: "ends_with", label: "ends with", kind: "text", hint: "suffix" },
  { value: "regex", label: "matches regex", kind: "regex", hint: "regular expression" },
  { value: "gt", label: ">", kind: "number", hint: "number" },
  { value: "gte", label: "≥", kind: "number", hint: "number" },
  { value: "lt", label: "<", kind: "number", hint: "number" },
  { value: "lte", label: "≤", kind: "number", hint: "number" },
  { value: "semver_eq", label: "version =", kind: "semver", hint: "e.g. 1.4.0" },
  { value: "semver_gt", label: "version >", kind: "semver", hint: "e.g. 1.4.0" },
  { value: "semver_gte", label: "version ≥", kind: "semver", hint: "e.g. 1.4.0" },
  { value: "semver_lt", label: "version <", kind: "semver", hint: "e.g. 2.0.0" },
  { value: "semver_lte", label: "version ≤", kind: "semver", hint: "e.g. 2.0.0" },
  { value: "before", label: "is before", kind: "date", hint: "ISO date-time" },
  { value: "after", label: "is after", kind: "date", hint: "ISO date-time" },
  {
    value: "percentage",
    label: "in percentage",
    kind: "percentage",
    hint: "0–100 of hashed values",
  },
  { value: "exists", label: "is set", kind: "none", hint: "" },
  { value: "not_exists", label: "is not set", kind: "none", hint: "" },
];

export const GROUP_OPERATORS: { value: GroupOperator; label: string }[] = [
  { value: "and", label: "all of (AND)" },
  { value: "or", label: "any of (OR)" },
  { value: "and_not", label: "first but not second (AND NOT)" },
];

export function operatorInfo(op: string): OperatorInfo {
  return OPERATORS.find((o) => o.value === op) ?? OPERATORS[0]!;
}

export interface ConditionNode {
  id: string;
  type: "condition";
  attribute: string;
  operator: string;
  value: string;
}

export interface GroupNode {
  id: string;
  type: "group";
  operator: GroupOperator;
  children: TreeNode[];
}

export type TreeNode = ConditionNode | GroupNode;
export type ConditionJson =
  | { condition: { attribute: string; operator: string; value?: unknown } }
  | { group: { operator: GroupOperator; children: ConditionJson[] } };

let counter = 0;
export function newId(prefix = "n"): string {
  counter += 1;
  return `${prefix}${counter}-${Math.random().toString(36).slice(2, 7)}`;
}

export function emptyCondition(): ConditionNode {
  return { id: newId(), type: "condition", attribute: "", operator: "eq", value: "" };
}

export function emptyGroup(operator: GroupOperator = "and"): GroupNode {
  return { id: newId(), type: "group", operator, children: [emptyCondition()] };
}

function valueText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.map((v) => String(v)).join(", ");
  return String(value);
}

/** Server JSON → editable tree; anything unrecognised becomes an empty AND group. */
export function fromJson(raw: unknown): TreeNode {
  const obj = raw as Record<string, unknown> | null;
  if (obj && typeof obj === "object" && "condition" in obj) {
    const c = obj.condition as { attribute?: unknown; operator?: unknown; value?: unknown };
    return {
      id: newId(),
      type: "condition",
      attribute: String(c.attribute ?? ""),
      operator: String(c.operator ?? "eq"),
      value: valueText(c.value),
    };
  }
  if (obj && typeof obj === "object" && "group" in obj) {
    const g = obj.group as { operator?: unknown; children?: unknown };
    const children = Array.isArray(g.children) ? g.children.map(fromJson) : [];
    return {
      id: newId(),
      type: "group",
      operator: (g.operator as GroupOperator) ?? "and",
      children,
    };
  }
  return { id: newId(), type: "group", operator: "and", children: [] };
}

/** The tree as the server wants it: a single condition stays bare, values typed per operator. */
export function toJson(node: TreeNode): ConditionJson {
  if (node.type === "group") {
    return { group: { operator: node.operator, children: node.children.map(toJson) } };
  }
  const info = operatorInfo(node.operator);
  const base = { attribute: node.attribute.trim(), operator: node.operator };
  switch (info.kind) {
    case "none":
      return { condition: base };
    case "list":
      return {
        condition: {
          ...base,
          value: node.value
            .split(",")
            .map((v) => v.trim())
            .filter((v) => v.length > 0),
        },
      };
    case "number":
    case "percentage": {
      const n = Number(node.value.trim());
      return {
        condition: { ...base, value: node.value.trim() === "" || isNaN(n) ? node.value : n },
      };
    }
    default:
      return { condition: { ...base, value: node.value } };
  }
}

const ATTRIBUTE = /^[A-Za-z0-9_.:-]{1,100}$/;
const SEMVER =
  /^v?(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?(?:\.(0|[1-9]\d*))?(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

/** Why a single condition would be rejected, or null. Mirrors the server's checks. */
export function conditionProblem(node: ConditionNode): string | null {
  if (!ATTRIBUTE.test(node.attribute.trim())) {
    return "Attribute: 1–100 letters, digits, '.', '_', ':' or '-'";
  }
  const info = operatorInfo(node.operator);
  const v = node.value.trim();
  switch (info.kind) {
    case "none":
      return null;
    case "list":
      return v.split(",").some((x) => x.trim()) ? null : "Enter at least one value";
    case "number":
      return v !== "" && !isNaN(Number(v)) ? null : "Enter a number";
    case "percentage": {
      const n = Number(v);
      return v !== "" && n >= 0 && n <= 100 ? null : "Enter a percentage from 0 to 100";
    }
    case "regex":
      try {
        new RegExp(node.value);
      } catch {
        return "Not a valid regular expression";
      }
      return regexWarning(node.value);
    case "semver":
      return SEMVER.test(v) ? null : "Not a semantic version (e.g. 1.4.0)";
    case "date":
      return v !== "" && !isNaN(Date.parse(v)) ? null : "Enter a date, e.g. 2025-06-01T00:00:00Z";
    default:
      return v === "" ? "Enter a value" : null;
  }
}

/** Why the server's regex engine (RE2, linear time: docs/evaluation.md "Regular expressions")
 * would refuse a pattern that JavaScript accepts, for the constructs that are easy to spot, or
 * null. The server has the last word; this only says it before saving. */
export function regexWarning(pattern: string): string | null {
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      const next = pattern[i + 1] ?? "";
      if (/[1-9]/.test(next)) {
        return `Backreferences such as \\${next} are not supported: use a second condition instead`;
      }
      i++; // an escaped character is just that character
    } else if (c === "(" && pattern[i + 1] === "?") {
      const look = /^\(\?(=|!|<=|<!)/.exec(pattern.slice(i));
      if (look) {
        const kind = look[1]!.startsWith("<") ? "Lookbehind" : "Lookahead";
        return `${kind} (${look[0]}…) is not supported: use “First but not second” with a second condition instead`;
      }
    }
  }
  return null;
}

/** The first problem anywhere in the tree, or null. */
export function treeProblem(node: TreeNode): string | null {
  if (node.type === "condition") return conditionProblem(node);
  if (node.children.length === 0) return "A group needs at least one condition";
  if (node.operator === "and_not" && node.children.length !== 2) {
    return "“First but not second” needs exactly two children";
  }
  for (const child of node.children) {
    const problem = treeProblem(child);
    if (problem) return problem;
  }
  return null;
}

/** A one-line, human reading of a tree: `country is one of DE, FR and plan equals pro`. */
export function describe(node: TreeNode): string {
  if (node.type === "condition") {
    const info = operatorInfo(node.operator);
    if (info.kind === "none") return `${node.attribute || "…"} ${info.label}`;
    return `${node.attribute || "…"} ${info.label} ${node.value || "…"}`;
  }
  const parts = node.children.map((c) => (c.type === "group" ? `(${describe(c)})` : describe(c)));
  if (node.operator === "and_not") return `${parts[0] ?? "…"} but not ${parts[1] ?? "…"}`;
  return parts.join(node.operator === "and" ? " and " : " or ");
}

/** Replace the node with `id` anywhere in the tree. */
export function updateNode(
  root: TreeNode,
  id: string,
  fn: (n: TreeNode) => TreeNode | null,
): TreeNode {
  if (root.id === id) return fn(root) ?? root;
  if (root.type === "condition") return root;
  const children: TreeNode[] = [];
  for (const child of root.children) {
    if (child.id === id) {
      const next = fn(child);
      if (next) children.push(next);
    } else {
      children.push(updateNode(child, id, fn));
    }
  }
  return { ...root, children };
}

/** Structural equality of two server condition trees (segment vs customised rule). */
export function sameCondition(a: unknown, b: unknown): boolean {
  return JSON.stringify(normalise(a)) === JSON.stringify(normalise(b));
}

function normalise(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalise);
  if (v && typeof v === "object") {
    return Object.fromEntries(
      Object.keys(v as object)
        .sort()
        .map((k) => [k, normalise((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

/** The server's refusal of a field inside the condition at `prefix` (`condition`,
 * `rules[2].condition`), to show at that field: its path inside the tree, in plain words. */
export function conditionFieldProblem(
  error: unknown,
  prefix: string,
): { at: string; text: string } | null {
  if (!(error instanceof ApiError)) return null;
  const field = error.field;
  if (!field?.startsWith(`${prefix}.`)) return null;
  return { at: field.slice(prefix.length + 1), text: describeError(error) };
}
