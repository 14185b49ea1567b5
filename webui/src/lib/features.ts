// Client-side filtering and sorting of the features list (the server filters by search, kind,
// tag and enabled; it also judges staleness, see `GET /projects/{id}/stale-features`; category,
// the stale filter and the sort order are applied here on what was loaded).
import type { FeatureListItem } from "../api/types";

export type SortKey = "name" | "key" | "updated" | "evaluated";

export interface ClientFilters {
  category: string | null;
  /** Keep only these feature ids (the server's stale list); null keeps all. */
  only: ReadonlySet<string> | null;
  sort: SortKey;
}

const time = (iso: string | null | undefined) => (iso ? new Date(iso).getTime() : 0);

export function applyClientFilters(items: FeatureListItem[], f: ClientFilters): FeatureListItem[] {
  const kept = items.filter(
    (item) => (!f.category || item.category_id === f.category) && (!f.only || f.only.has(item.id)),
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
