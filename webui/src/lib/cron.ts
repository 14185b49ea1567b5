import cronstrue from "cronstrue";

/** A 5-field cron in words ("At 09:00, Monday through Friday"), or the reason it is not valid. */
export function cronText(expr: string): { ok: boolean; text: string } {
  const fields = expr.trim().split(/\s+/);
  if (!expr.trim()) return { ok: false, text: "Enter a cron expression, e.g. 0 9 * * MON-FRI" };
  if (fields.length !== 5)
    return { ok: false, text: "Use the 5-field form: minute hour day month weekday" };
  try {
    return {
      ok: true,
      text: cronstrue.toString(expr, {
        use24HourTimeFormat: true,
        throwExceptionOnParseError: true,
      }),
    };
  } catch (e) {
    return { ok: false, text: String(e).replace(/^Error:\s*/, "") };
  }
}
