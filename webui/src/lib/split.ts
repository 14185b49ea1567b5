// Who a multivariant split reads when the feature names no attribute: the server's order
// (src/togglr/evaluation/rollout.py, DEFAULT_SPLIT_ATTRIBUTES; docs/evaluation.md).
export const DEFAULT_SPLIT_ATTRIBUTES = ["targetingKey", "user.id", "userId", "user_id"] as const;

/** In words, for the variants card: which attribute keeps a user in one variant. */
export function splitByText(rolloutKey: string | null | undefined): string {
  return rolloutKey
    ? `Users are split by ${rolloutKey}. A context without it gets the default value.`
    : `Users are split by their id: the first of ${DEFAULT_SPLIT_ATTRIBUTES.join(", ")} in the context. A context with none of them gets the default value.`;
}
