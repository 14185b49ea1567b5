// Percentage arithmetic for the variant editor: the split may never exceed 100 %.

export interface VariantDraft {
  id: string;
  name: string;
  rollout_percent: number;
  value: string; // raw text; parsed as JSON when it looks like JSON
}

export const round2 = (n: number): number => Math.round(n * 100) / 100;

export function totalPercent(variants: { rollout_percent: number }[]): number {
  return round2(
    variants.reduce(
      (sum, v) => sum + (Number.isFinite(v.rollout_percent) ? v.rollout_percent : 0),
      0,
    ),
  );
}

/** The most a variant may take given the others: never past 100 in total. */
export function maxFor(variants: VariantDraft[], id: string): number {
  const others = totalPercent(variants.filter((v) => v.id !== id));
  return round2(Math.max(0, 100 - others));
}

/** Set one variant's share, clamped so the total stays within 0–100. */
export function setPercent(variants: VariantDraft[], id: string, wanted: number): VariantDraft[] {
  const cap = maxFor(variants, id);
  const value = round2(Math.min(Math.max(Number.isFinite(wanted) ? wanted : 0, 0), cap));
  return variants.map((v) => (v.id === id ? { ...v, rollout_percent: value } : v));
}

/** Split 100 % evenly (the remainder goes to the first variants, in 0.01 steps). */
export function splitEvenly(variants: VariantDraft[]): VariantDraft[] {
  if (variants.length === 0) return variants;
  const cents = 10000;
  const base = Math.floor(cents / variants.length);
  let rest = cents - base * variants.length;
  return variants.map((v) => {
    const extra = rest > 0 ? 1 : 0;
    rest -= extra;
    return { ...v, rollout_percent: (base + extra) / 100 };
  });
}

/** A variant's optional value: JSON when it parses (numbers, booleans, objects), else the text. */
export function parseValue(text: string): unknown {
  const t = text.trim();
  if (t === "") return null;
  try {
    return JSON.parse(t);
  } catch {
    return text;
  }
}

export function valueText(value: unknown): string {
  if (value === null || value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

export function variantProblem(variants: VariantDraft[]): string | null {
  const names = new Set<string>();
  for (const v of variants) {
    if (!v.name.trim()) return "Every variant needs a name";
    if (names.has(v.name.trim())) return `Variant “${v.name}” appears twice`;
    names.add(v.name.trim());
  }
  if (totalPercent(variants) > 100) return "The split adds up to more than 100 %";
  return null;
}
