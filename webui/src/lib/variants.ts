// Percentage arithmetic for the variant editor. Shares are typed freely (each 0–100); a total
// over 100 % is reported beside the fields, and the editor offers the two usual fixes.

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

/** What is left of 100 % once the other variants have their share (never below 0). */
export function restFor(variants: VariantDraft[], id: string): number {
  const others = totalPercent(variants.filter((v) => v.id !== id));
  return round2(Math.max(0, 100 - others));
}

/** Set one variant's share as typed, kept within 0–100 (the total is checked separately). */
export function setPercent(variants: VariantDraft[], id: string, wanted: number): VariantDraft[] {
  const value = round2(Math.min(Math.max(Number.isFinite(wanted) ? wanted : 0, 0), 100));
  return variants.map((v) => (v.id === id ? { ...v, rollout_percent: value } : v));
}

/** A typed share as a number: "", "12.", "12,5" and "40%" are fine; null when not a number. */
export function parseShare(text: string): number | null {
  const t = text.trim().replace(",", ".").replace(/%$/, "").trim();
  if (t === "") return 0;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

/** Give the last variant whatever the others leave of 100 %. */
export function restOnLast(variants: VariantDraft[]): VariantDraft[] {
  const last = variants[variants.length - 1];
  return last ? setPercent(variants, last.id, restFor(variants, last.id)) : variants;
}

/** The shares' problem in words, or null when they add up to 100 % or less. */
export function overTotal(variants: VariantDraft[]): string | null {
  const total = totalPercent(variants);
  if (total <= 100) return null;
  return `The shares add up to ${total} %, ${round2(total - 100)} % more than 100 %. Lower a share, split evenly, or put the rest on the last variant.`;
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
  if (totalPercent(variants) > 100) return overTotal(variants);
  return null;
}
