// Audit entries grouped by request (one user action may write several rows) and old → new
// diffs computed on flattened JSON paths.
import type { AuditRead } from "../api/types";

export interface AuditGroup {
  key: string;
  requestId: string | null;
  entries: AuditRead[];
  at: string;
  username: string;
  actor: string;
}

/** Consecutive entries (newest first) that share a request id form one group. */
export function groupByRequest(entries: AuditRead[]): AuditGroup[] {
  const groups: AuditGroup[] = [];
  for (const e of entries) {
    const last = groups[groups.length - 1];
    if (last && e.request_id && last.requestId === e.request_id) {
      last.entries.push(e);
      continue;
    }
    groups.push({
      key: `${e.request_id ?? "none"}-${e.id ?? groups.length}`,
      requestId: e.request_id ?? null,
      entries: [e],
      at: e.created_at,
      username: e.username,
      actor: e.actor,
    });
  }
  return groups;
}

export interface Change {
  path: string;
  before: unknown;
  after: unknown;
}

function flatten(value: unknown, prefix: string, out: Map<string, unknown>): void {
  if (value && typeof value === "object") {
    const entries = Array.isArray(value)
      ? value.map((v, i) => [`[${i}]`, v] as const)
      : Object.entries(value);
    if (entries.length === 0) {
      out.set(prefix || "(value)", Array.isArray(value) ? [] : {});
      return;
    }
    for (const [k, v] of entries) {
      const path = Array.isArray(value) ? `${prefix}${k}` : prefix ? `${prefix}.${k}` : String(k);
      flatten(v, path, out);
    }
    return;
  }
  out.set(prefix || "(value)", value);
}

/** What changed between two JSON values, leaf by leaf. */
export function diff(before: unknown, after: unknown): Change[] {
  const a = new Map<string, unknown>();
  const b = new Map<string, unknown>();
  if (before !== null && before !== undefined) flatten(before, "", a);
  if (after !== null && after !== undefined) flatten(after, "", b);
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  return paths
    .filter((p) => JSON.stringify(a.get(p)) !== JSON.stringify(b.get(p)))
    .map((p) => ({ path: p, before: a.get(p), after: b.get(p) }));
}

export function show(value: unknown): string {
  if (value === undefined) return "—";
  if (typeof value === "string") return value === "" ? '""' : value;
  return JSON.stringify(value);
}

/** "toggled feature", "updated state" — plain words for entity + action. */
export function summary(e: AuditRead): string {
  const action = e.action.replace(/_/g, " ");
  return `${action} ${e.entity.replace(/_/g, " ")}`;
}
