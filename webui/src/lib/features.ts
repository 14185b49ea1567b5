// Client-side filtering and sorting of the features list (the server filters by search, kind,
// tag and enabled; category, staleness and the sort order are applied here).
import type { FeatureListItem } from "../api/types";

export const STALE_DAYS = 30;

export type SortKey = "name" | "key" | "updated" | "evaluated";

/** Not evaluated for STALE_DAYS (or never, once it is older than that). */
export function isStale(f: FeatureListItem, now = Date.now()): boolean {
  const limit = now - STALE_DAYS * 86_400_000;
  const last = f.state?.last_evaluated_at;
  if (last) return new Date(last).getTime() < limit;
  return new Date(f.created_at).getTime() < limit;
}

export interface ClientFilters {
  category: string | null;
  staleOnly: boolean;
  sort: SortKey;
}

const time = (iso: string | null | undefined) => (iso ? new Date(iso).getTime() : 0);

export function applyClientFilters(
  items: FeatureListItem[],
  f: ClientFilters,
  now = Date.now(),
): FeatureListItem[] {
  const kept = items.filter(
    (item) =>
      (!f.category || item.category_id === f.category) && (!f.staleOnly || isStale(item, now)),
  );
  const by: Record<SortKey, (a: FeatureListItem, b: FeatureListItem) => number> = {
    name: (a, b) => a.name.localeCompare(b.name),
    key: (a, b) => a.key.localeCompare(b.key),
    updated: (a, b) =>
      time(b.state?.updated_at ?? b.updated_at) - time(a.state?.updated_at ?? a.updated_at),
    evaluated: (a, b) => time(b.state?.last_evaluated_at) - time(a.state?.last_evaluated_at),
  };
  return [...kept].sort(by[f.sort]);
}
