// Rule drafts for the feature page. Rules run exclude → assign → include; within an action the
// list order is the priority (the first rule wins), so drag and drop renumbers priorities.
import type { RuleRead, RuleWrite, SegmentRead } from "../api/types";
import { fromJson, newId, sameCondition, toJson, treeProblem, type TreeNode } from "./conditions";

export type RuleAction = "exclude" | "assign" | "include";
export const ACTIONS: { value: RuleAction; label: string; help: string }[] = [
  { value: "exclude", label: "Exclude", help: "Matching users never get the feature." },
  { value: "assign", label: "Assign", help: "Matching users get a chosen variant." },
  {
    value: "include",
    label: "Include",
    help: "When present, only matching users get the feature.",
  },
];

export interface RuleDraft {
  key: string; // client id for React and drag and drop
  id: string | null; // server id once saved
  action: RuleAction;
  tree: TreeNode;
  variant: string | null;
  segmentId: string | null;
  /** The condition was edited away from its segment (server flag, or edited here). */
  customized: boolean;
  /** Untouched since loading: a segment rule then keeps following its segment. */
  touched: boolean;
}

export function fromRead(rules: RuleRead[]): RuleDraft[] {
  return [...rules]
    .sort((a, b) => a.priority - b.priority)
    .map((r) => ({
      key: newId("r"),
      id: r.id,
      action: r.action as RuleAction,
      tree: fromJson(r.condition),
      variant: r.variant ?? null,
      segmentId: r.segment_id ?? null,
      customized: r.is_customized,
      touched: false,
    }));
}

export function newRule(action: RuleAction, segment?: SegmentRead): RuleDraft {
  return {
    key: newId("r"),
    id: null,
    action,
    tree: segment
      ? fromJson(segment.condition)
      : { id: newId(), type: "condition", attribute: "", operator: "eq", value: "" },
    variant: null,
    segmentId: segment?.id ?? null,
    customized: false,
    touched: false,
  };
}

/** Is this segment rule now different from its segment? */
export function isDesynced(rule: RuleDraft, segments: SegmentRead[] | undefined): boolean {
  if (!rule.segmentId) return false;
  if (!rule.touched) return rule.customized;
  const seg = segments?.find((s) => s.id === rule.segmentId);
  return seg ? !sameCondition(toJson(rule.tree), seg.condition) : rule.customized;
}

export function byAction(rules: RuleDraft[], action: RuleAction): RuleDraft[] {
  return rules.filter((r) => r.action === action);
}

/** Move a rule within its action list (drag and drop or keyboard). */
export function moveRule(rules: RuleDraft[], fromKey: string, toKey: string): RuleDraft[] {
  const from = rules.findIndex((r) => r.key === fromKey);
  const to = rules.findIndex((r) => r.key === toKey);
  if (from < 0 || to < 0 || rules[from]!.action !== rules[to]!.action) return rules;
  const next = [...rules];
  const [moved] = next.splice(from, 1);
  next.splice(to, 0, moved!);
  return next;
}

/** The write payload: priorities follow list order per action; untouched segment rules send no
 * condition, so they stay linked to the segment. */
export function toWrite(rules: RuleDraft[]): RuleWrite[] {
  const counters: Record<string, number> = {};
  return rules.map((r) => {
    const priority = counters[r.action] ?? 0;
    counters[r.action] = priority + 1;
    const followSegment = r.segmentId !== null && !r.touched && !r.customized;
    return {
      id: r.id,
      action: r.action,
      priority,
      condition: followSegment ? null : (toJson(r.tree) as Record<string, unknown>),
      variant: r.action === "assign" ? r.variant : null,
      segment_id: r.segmentId,
    };
  });
}

export function ruleProblem(rule: RuleDraft, variantNames: string[]): string | null {
  if (rule.action === "assign") {
    if (!rule.variant) return "Choose the variant this rule assigns";
    if (!variantNames.includes(rule.variant)) return `Unknown variant “${rule.variant}”`;
  }
  return treeProblem(rule.tree);
}

/** Which rule index a server message like `rules[2].condition...` points at. */
export function ruleIndexOf(message: string): number | null {
  const m = /^rules\[(\d+)\]/.exec(message);
  return m ? Number(m[1]) : null;
}
