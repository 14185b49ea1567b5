// What a new password must be, in the words of the form that asks for one. The server decides
// (docs/security.md "Password policy": 8 to 256 characters, zxcvbn score 3 or more); this only
// says it up front and puts the server's refusal at the password field.
import { ApiError, describeError } from "../api/errors";

export const PASSWORD_RULE =
  "8 to 256 characters, hard to guess: a few unrelated words work well. " +
  "Not a common password, and not your name or e-mail.";

/** The server's reason a new password was refused, for the field named `field` (`password`,
 * `new_password`), or undefined when the error is about something else. */
export function passwordProblem(error: unknown, field: string): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  if (error.code !== "weak_password" && error.field !== field) return undefined;
  const text = error.field ? describeError(error) : error.detail;
  return text.charAt(0).toUpperCase() + text.slice(1);
}
