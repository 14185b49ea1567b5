// A form generated from an algorithm's settings_schema (JSON Schema).
import { NumberInput, Select, SimpleGrid, Switch, TextInput } from "@mantine/core";

import { fieldProblem, fieldsOf } from "../lib/schemaForm";

export function SchemaForm({
  schema,
  value,
  onChange,
  readOnly,
  serverError,
}: {
  schema: Record<string, unknown>;
  value: Record<string, unknown>;
  onChange: (next: Record<string, unknown>) => void;
  readOnly?: boolean;
  serverError?: { field: string | null; message: string } | null;
}) {
  const fields = fieldsOf(schema);
  const set = (name: string, v: unknown) => onChange({ ...value, [name]: v });
  return (
    <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
      {fields.map((f) => {
        const v = value[f.name];
        const fromServer = serverError?.field?.endsWith(f.name) ? serverError.message : null;
        const error = fromServer ?? fieldProblem(f, v);
        if (f.options) {
          return (
            <Select
              key={f.name}
              label={f.label}
              description={f.description}
              data={f.options.map((o) => ({ value: String(o), label: String(o) }))}
              value={v === undefined ? null : String(v)}
              onChange={(s) => set(f.name, f.type === "string" ? s : Number(s))}
              readOnly={readOnly}
              error={error}
              allowDeselect={false}
            />
          );
        }
        if (f.type === "boolean") {
          return (
            <Switch
              key={f.name}
              label={f.label}
              description={f.description}
              checked={Boolean(v)}
              onChange={(e) => set(f.name, e.currentTarget.checked)}
              disabled={readOnly}
            />
          );
        }
        if (f.type === "string") {
          return (
            <TextInput
              key={f.name}
              label={f.label}
              description={f.description}
              value={String(v ?? "")}
              onChange={(e) => set(f.name, e.currentTarget.value)}
              readOnly={readOnly}
            />
          );
        }
        return (
          <NumberInput
            key={f.name}
            label={f.label}
            description={f.description}
            value={typeof v === "number" ? v : ""}
            onChange={(n) =>
              set(f.name, typeof n === "number" ? n : n === "" ? undefined : Number(n))
            }
            min={f.exclusiveMin ? undefined : f.min}
            max={f.exclusiveMax ? undefined : f.max}
            allowDecimal={f.type === "number"}
            decimalScale={f.type === "number" ? 6 : 0}
            readOnly={readOnly}
            error={error}
          />
        );
      })}
    </SimpleGrid>
  );
}
