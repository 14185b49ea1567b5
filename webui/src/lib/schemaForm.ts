// A small JSON-Schema reader for algorithm settings: the fields a form should show, with their
// limits, and the validation the server would apply.

export interface FieldSpec {
  name: string;
  type: "number" | "integer" | "boolean" | "string";
  label: string;
  description: string;
  default: unknown;
  min?: number;
  max?: number;
  exclusiveMin?: boolean;
  exclusiveMax?: boolean;
  options?: (string | number)[];
}

type Prop = Record<string, unknown>;

const label = (name: string) => name.replace(/_/g, " ").replace(/^\w/, (c) => c.toUpperCase());

export function fieldsOf(schema: Record<string, unknown>): FieldSpec[] {
  const props = (schema.properties ?? {}) as Record<string, Prop>;
  return Object.entries(props).map(([name, p]) => {
    const type = (
      ["number", "integer", "boolean", "string"].includes(String(p.type)) ? p.type : "string"
    ) as FieldSpec["type"];
    const num = (k: string) => (typeof p[k] === "number" ? (p[k] as number) : undefined);
    return {
      name,
      type,
      label: String(p.title ?? label(name)),
      description: String(p.description ?? ""),
      default: p.default,
      min: num("minimum") ?? num("exclusiveMinimum"),
      max: num("maximum") ?? num("exclusiveMaximum"),
      exclusiveMin: p.exclusiveMinimum !== undefined,
      exclusiveMax: p.exclusiveMaximum !== undefined,
      options: Array.isArray(p.enum) ? (p.enum as (string | number)[]) : undefined,
    };
  });
}

export function defaultsOf(schema: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(fieldsOf(schema).map((f) => [f.name, f.default]));
}

/** Why a value is out of range, or null. */
export function fieldProblem(f: FieldSpec, value: unknown): string | null {
  if (f.type === "number" || f.type === "integer") {
    if (typeof value !== "number" || Number.isNaN(value)) return "Enter a number";
    if (f.type === "integer" && !Number.isInteger(value)) return "Enter a whole number";
    if (f.options && !f.options.includes(value)) return `One of ${f.options.join(", ")}`;
    if (f.min !== undefined && (f.exclusiveMin ? value <= f.min : value < f.min)) {
      return `Must be ${f.exclusiveMin ? "more than" : "at least"} ${f.min}`;
    }
    if (f.max !== undefined && (f.exclusiveMax ? value >= f.max : value > f.max)) {
      return `Must be ${f.exclusiveMax ? "less than" : "at most"} ${f.max}`;
    }
  }
  return null;
}
