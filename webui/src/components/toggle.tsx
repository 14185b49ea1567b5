// One-click toggling with a confirmation where it matters (production).
import { Text } from "@mantine/core";
import { modals } from "@mantine/modals";

export function confirmToggle(
  envKey: string,
  featureKey: string,
  enabled: boolean,
  run: () => void,
  guarded = false,
): void {
  if (envKey !== "prod") {
    run();
    return;
  }
  modals.openConfirmModal({
    title: `${guarded ? "Request to " : ""}${enabled ? (guarded ? "enable" : "Enable") : guarded ? "disable" : "Disable"} ${featureKey} in production?`,
    children: (
      <Text size="sm">
        {guarded
          ? `Changes to ${featureKey} need an approval: confirming sends the request to the approvers, and users in production ${enabled ? "start getting" : "lose"} this feature once it is approved.`
          : enabled
            ? "Users in production start getting this feature as soon as you confirm."
            : "Users in production lose this feature as soon as you confirm."}
      </Text>
    ),
    labels: { confirm: enabled ? "Enable in prod" : "Disable in prod", cancel: "Cancel" },
    confirmProps: { color: enabled ? "indigo" : "red" },
    onConfirm: run,
  });
}
